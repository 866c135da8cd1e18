"""Limits judged as limits: a statistic measured on a ladder of widths, extrapolated to infinite width.

A theorem about N -> oo says nothing about N = 512; a verdict at one width mixes the theorem with finite-width
bias.  Here each rung (one width, its own networks) gives the statistic r(N); the model

    r(N) = r_inf + c * N^(-gamma)

is fitted by weighted least squares (weights 1 / the rung's variance), with gamma stated by the claim where theory
gives it, or fitted over a grid.  Every number's uncertainty comes from resampling the units (networks, matrices)
within each rung: the rungs' variances, and the spread of the refitted r_inf over the replicates.  A chi-square
goodness-of-fit check says whether the model describes the rungs at all; a model that does not is no basis for a
limit (the judge then says INCONCLUSIVE, with the reason).

The bootstrap is vectorised (one matrix of resampled unit indices per group of units) and seeded through
``numerics.random``, so a verdict replays exactly.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy import stats as sps

from numerics.estimate import Estimate, no_value
from numerics.random import Draws
from numerics.stats import Interval, normal_interval

#: the level below which the fit check rejects the model (a rejection needs a chi-square this unlikely under it)
FIT_LEVEL = 1e-3
#: resampling replicates per rung: the Monte Carlo error of a bootstrap standard error is about 1/sqrt(2 * 400),
#: 3.5% of it
REPLICATES = 400
#: the exponents a fitted gamma is searched over
GAMMA_GRID = np.round(np.arange(0.25, 3.0001, 0.01), 2)


class FlatRung(ValueError):
    """A rung whose resamples all give one value: the fit has no weight for it."""


@dataclass(frozen=True)
class Rung:
    """One width of a ladder: groups of i.i.d. units, each an (n, m) array of per-unit moments, and ``combine``,
    which maps each group's mean moments (arrays (..., m)) to the statistic (an array (...))."""

    width: int
    groups: tuple[np.ndarray, ...]
    combine: Callable[..., np.ndarray]

    def statistic(self) -> float:
        return float(self.combine(*(group.mean(axis=0) for group in self.groups)))

    def replicates(self, draws: Draws, count: int) -> np.ndarray:
        """The statistic on ``count`` resamples of the units (each group resampled apart): shape (count,)."""
        means = []
        for index, group in enumerate(self.groups):
            n = group.shape[0]
            picks = draws.child(f"group/{index}").integers(0, n, (count, n), portable=True).numpy()
            means.append(group[picks].mean(axis=1))  # (count, m): one resample per row
        return np.asarray(self.combine(*means), dtype=np.float64)


def ratio_rung(width: int, numerator: np.ndarray, denominator: np.ndarray) -> Rung:
    """mean(numerator) / mean(denominator) from two independent samples (e.g. networks and Gaussian matrices)."""
    return Rung(width, (np.asarray(numerator, np.float64)[:, None], np.asarray(denominator, np.float64)[:, None]),
                lambda top, bottom: top[..., 0] / bottom[..., 0])


@dataclass(frozen=True)
class LimitFit:
    """The fitted model, its uncertainty and its check; ``widths``/``values``/``ses`` are the finite-width map."""

    limit: float
    limit_se: float
    c: float
    c_se: float
    gamma: float
    gamma_se: float | None  # None: gamma was stated, not fitted
    chi2: float
    dof: int
    widths: tuple[int, ...]
    values: tuple[float, ...]
    ses: tuple[float, ...]

    @property
    def fit_p_value(self) -> float | None:
        """P(chi-square >= the fit's) under the model; None when no degree of freedom is left to check it."""
        return float(sps.chi2.sf(self.chi2, self.dof)) if self.dof > 0 else None

    def misfit(self) -> str:
        """Why the model cannot be trusted to give the limit ("" when it can)."""
        if self.dof <= 0:
            return (f"{len(self.widths)} rungs leave no degree of freedom to check the model r(N) = r_inf + "
                    f"c N^-gamma; a limit needs more rungs")
        if self.fit_p_value < FIT_LEVEL:
            stated = "stated" if self.gamma_se is None else "fitted"
            return (f"the model r(N) = r_inf + c N^-gamma ({stated} gamma = {self.gamma:g}) does not describe the "
                    f"rungs: chi2 = {self.chi2:.3g} on {self.dof} dof, p = {self.fit_p_value:.2g} < {FIT_LEVEL:g}")
        return ""

    def interval(self, delta: float) -> Interval:
        """The (1 - delta) interval on r_inf (normal, with the resampling standard error)."""
        return normal_interval(self.limit, self.limit_se, delta)

    def figures(self) -> dict:
        """The model's numbers a verdict reports beside r_inf: the finite-width rate c N^-gamma and its check."""
        out = {"c": self.c, "c_se": self.c_se, "gamma": self.gamma, "fit_chi2": self.chi2, "fit_dof": self.dof}
        if self.gamma_se is not None:
            out["gamma_se"] = self.gamma_se
        if self.dof > 0:
            out["fit_p"] = self.fit_p_value
        return out

    def estimate(self, n_samples: int) -> Estimate:
        """The verdict's estimate: r_inf with its interval; the rungs (the finite-width map beneath the limit) as
        extras; INCONCLUSIVE with the reason when the model fails its check."""
        return Estimate(self.interval, n_samples, figures=self.figures(), unreliable=self.misfit(),
                        extras={"ladder": list(self.widths), "rung_values": list(self.values),
                                "rung_ses": list(self.ses)})


def _powers(widths: np.ndarray, gamma) -> np.ndarray:
    """N^-gamma for each width: shape (k,) for one gamma, (..., k) for an array of them (one per row)."""
    return widths.astype(np.float64) ** -np.asarray(gamma, dtype=np.float64)[..., None]


def _wls(values: np.ndarray, widths: np.ndarray, weights: np.ndarray, gamma) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares of values (..., k) on [1, N^-gamma]: (r_inf, c), each of shape (...)."""
    x = _powers(widths, gamma)
    sw, swx, swxx = weights.sum(), (weights * x).sum(axis=-1), (weights * x * x).sum(axis=-1)
    swy, swxy = (values * weights).sum(axis=-1), (values * weights * x).sum(axis=-1)
    det = sw * swxx - swx**2
    return (swxx * swy - swx * swxy) / det, (sw * swxy - swx * swy) / det


def _chi2(values: np.ndarray, widths: np.ndarray, weights: np.ndarray, gamma) -> np.ndarray:
    limit, c = _wls(values, widths, weights, gamma)
    fitted = np.asarray(limit)[..., None] + np.asarray(c)[..., None] * _powers(widths, gamma)
    return ((values - fitted) ** 2 * weights).sum(axis=-1)


def _best_gamma(values: np.ndarray, widths: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The grid's gamma of least chi-square, per row of ``values`` (..., k)."""
    table = np.stack([_chi2(values, widths, weights, g) for g in GAMMA_GRID], axis=-1)
    return GAMMA_GRID[np.argmin(table, axis=-1)]


def extrapolate(rungs: Sequence[Rung], gamma: float | None, seed: int = 0, replicates: int = REPLICATES) -> LimitFit:
    """Fit r(N) = r_inf + c N^-gamma to the rungs (``gamma`` None: fitted too) and resample for the errors."""
    if len({rung.width for rung in rungs}) != len(rungs) or len(rungs) < 2:
        raise ValueError(f"a ladder needs two or more distinct widths, got {[rung.width for rung in rungs]}")
    if gamma is not None and not gamma > 0:
        raise ValueError(f"a finite-width rate gamma must be positive, got {gamma}")
    draws = Draws(seed)
    widths = np.array([rung.width for rung in rungs])
    values = np.array([rung.statistic() for rung in rungs])
    # (replicates, k): each rung resampled from its own stream
    boot = np.stack([rung.replicates(draws.child(f"rung/{rung.width}"), replicates) for rung in rungs], axis=-1)
    ses = boot.std(axis=0, ddof=1)
    if not np.all(ses > 0):
        raise FlatRung(f"the statistic does not vary over the resamples of the rung(s) at N = "
                       f"{widths[ses <= 0].tolist()} (too few networks, or every network alike): no weights to fit")
    weights = 1.0 / ses**2
    if gamma is None:
        used, boot_gammas = float(_best_gamma(values, widths, weights)), _best_gamma(boot, widths, weights)
        limits, cs = _wls(boot, widths, weights, boot_gammas)  # each replicate at its own best gamma
        gamma_se = float(np.std(boot_gammas, ddof=1))
    else:
        used, gamma_se = float(gamma), None
        limits, cs = _wls(boot, widths, weights, used)
    limit, c = _wls(values, widths, weights, used)
    return LimitFit(limit=float(limit), limit_se=float(np.std(limits, ddof=1)), c=float(c),
                    c_se=float(np.std(cs, ddof=1)), gamma=used, gamma_se=gamma_se,
                    chi2=float(_chi2(values, widths, weights, used)), dof=len(rungs) - (2 if gamma_se is None else 3),
                    widths=tuple(int(w) for w in widths), values=tuple(values.tolist()), ses=tuple(ses.tolist()))


def limit_estimate(rungs: Sequence[Rung], gamma: float | None, n_samples: int) -> Estimate:
    """A limit claim's estimate from its rungs (``LimitFit.estimate``), or no value, and why, where a rung
    cannot be weighted."""
    try:
        return extrapolate(rungs, gamma).estimate(n_samples)
    except FlatRung as flat:
        return no_value(n_samples, unreliable=str(flat))
