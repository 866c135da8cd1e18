"""Confidence intervals and tests used by the verdicts.

Entries of one network share its weights, so they are not independent: every interval here treats the B
independent *networks* as the sampling units (cluster jackknife), and the i.i.d.-entry chi-square interval is
kept beside it to show how much the network-to-network fluctuation (the finite-width effect) widens the truth.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import stats as sst


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided (1 - delta) confidence interval."""

    estimate: float
    low: float
    high: float
    se: float
    delta: float

    def scaled(self, factor: float) -> "Interval":
        """The interval of factor * statistic (factor > 0)."""
        return Interval(self.estimate * factor, self.low * factor, self.high * factor, self.se * factor, self.delta)

    def shifted(self, offset: float) -> "Interval":
        return Interval(self.estimate + offset, self.low + offset, self.high + offset, self.se, self.delta)


def _check_delta(delta: float) -> None:
    if not 0 < delta < 1:
        raise ValueError(f"delta must lie in (0, 1), got {delta}")


def cluster_interval(moments: np.ndarray, combine: Callable[[np.ndarray], np.ndarray], delta: float) -> Interval:
    """Jackknife-over-networks interval for statistic = combine(mean of per-network moments).

    ``moments`` is (B, m): one row of moment estimates per independent network, each from the same number of
    entries.  ``combine`` maps (..., m) -> (...) and is applied to leave-one-network-out means, so ratios of
    moments (kurtosis, variance ratios) get a delta-method-equivalent standard error with no formula to derive.
    The t quantile with B - 1 degrees of freedom gives the interval.
    """
    _check_delta(delta)
    moments = np.asarray(moments, dtype=np.float64)
    if moments.ndim != 2 or moments.shape[0] < 2:
        raise ValueError(f"moments must be (B, m) with B >= 2 networks, got shape {moments.shape}")
    B = moments.shape[0]
    estimate = float(combine(moments.mean(axis=0)))
    leave_one_out = (moments.sum(axis=0) - moments) / (B - 1)
    pseudo = np.asarray(combine(leave_one_out), dtype=np.float64)
    se = float(np.sqrt((B - 1) / B * np.sum((pseudo - pseudo.mean()) ** 2)))
    half = float(sst.t.ppf(1 - delta / 2, B - 1)) * se
    return Interval(estimate, estimate - half, estimate + half, se, delta)


def chi2_variance_interval(sum_squares: float, n: int, delta: float) -> Interval:
    """Exact interval for the variance of n i.i.d. N(0, s^2) values given their sum of squares."""
    _check_delta(delta)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    estimate = sum_squares / n
    low = sum_squares / sst.chi2.ppf(1 - delta / 2, n)
    high = sum_squares / sst.chi2.ppf(delta / 2, n)
    return Interval(float(estimate), float(low), float(high), float(estimate * np.sqrt(2 / n)), delta)


def ks_normal_pvalue(samples: np.ndarray) -> float:
    """Kolmogorov-Smirnov p-value of standardized samples against N(0, 1)."""
    return float(sst.kstest(np.ravel(samples), "norm").pvalue)


def ks_two_sample_pvalue(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov p-value: do x and y come from one law?"""
    return float(sst.ks_2samp(np.ravel(x), np.ravel(y)).pvalue)


def rank_correlation_moments(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Per-unit moments, and the function of their means that is the Spearman correlation across units.

    x and y are (B, K): B independent units (networks), K paired columns (rows of J, entries of a).  Ranks are
    taken across the units within each column; the statistic is the Pearson correlation of the ranks, averaged
    over the columns.  Feeding the (B, 5K) moments to ``cluster_interval`` gives a jackknife over units with the
    ranks held fixed, so dependent columns need no model.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 2 or x.shape[0] < 3:
        raise ValueError(f"x and y must be equal (B >= 3, K) arrays, got {x.shape} and {y.shape}")
    B, K = x.shape
    if np.any(np.ptp(x, axis=0) == 0) or np.any(np.ptp(y, axis=0) == 0):
        raise ValueError("a rank correlation needs values that vary across the units in every column")
    rx = sst.rankdata(x, axis=0) - (B + 1) / 2  # average ranks for ties, centred: no cancellation
    ry = sst.rankdata(y, axis=0) - (B + 1) / 2
    moments = np.concatenate([rx, ry, rx * rx, ry * ry, rx * ry], axis=1)

    def combine(m: np.ndarray) -> np.ndarray:
        mx, my, mxx, myy, mxy = np.moveaxis(m.reshape(*m.shape[:-1], 5, K), -2, 0)
        return ((mxy - mx * my) / np.sqrt((mxx - mx**2) * (myy - my**2))).mean(axis=-1)

    return moments, combine


def bonferroni(delta: float, m: int) -> float:
    """Per-test level keeping the family-wise error at delta over m simultaneous intervals."""
    _check_delta(delta)
    return delta / max(m, 1)


#: the share of a claim's delta spent over the looks before the last one, when its samples come in rounds
EARLY_SHARE = 0.1


def spent(delta: float, look: int, looks: int) -> float:
    """The error spent at look ``look`` (0-based) of ``looks``: an alpha-spending schedule that keeps the
    family-wise error of a claim judged after every round, and stopped at the first decisive look, at ``delta``
    (the union bound over the looks: the levels add up to delta whatever data decide the stop).

    ``EARLY_SHARE`` of delta is split evenly over the early looks, the rest goes to the last one: a claim that
    needs every network is judged almost as a fixed-size run is (z at 0.9 delta instead of delta), and one
    decided early was decided by a wide margin.  A lone look spends all of delta.
    """
    _check_delta(delta)
    if not 0 <= look < looks:
        raise ValueError(f"look must be in 0..{looks - 1}, got {look}")
    if looks == 1:
        return delta
    return delta * (1 - EARLY_SHARE) if look == looks - 1 else delta * EARLY_SHARE / (looks - 1)


def as_normal_level(delta: float, units: int) -> float:
    """The level at which a normal quantile is as wide as Student's t with ``units`` - 1 degrees of freedom at
    ``delta``: an interval whose spread is estimated from ``units`` units and judged in a deep tail (an early look
    spends a small share of delta) covers at its level only if it is this much wider (at 8 networks and
    3.3e-5, z = 4.15 misses 4.3e-3 of the time; the t quantile 10.2 does not)."""
    _check_delta(delta)
    if units < 2:
        raise ValueError(f"units must be >= 2 for a spread, got {units}")
    t = float(sst.t.ppf(1 - delta / 2, units - 1))
    return max(float(2 * sst.norm.sf(t)), float(np.finfo(float).tiny))  # beyond it, an interval of ~38 sd


def normal_interval(estimate: float, se: float, delta: float) -> Interval:
    """estimate +- z_{1 - delta/2} se: the interval of an asymptotically normal estimate."""
    _check_delta(delta)
    half = float(sst.norm.ppf(1 - delta / 2)) * se
    return Interval(float(estimate), float(estimate - half), float(estimate + half), float(se), delta)


def log_mean_slope(x: np.ndarray, samples: list[np.ndarray], delta: float) -> Interval:
    """Slope of log(mean of sample i) against x_i, weighted least squares, with a normal interval.

    Each sample is i.i.d. (one value per network); log of a mean has variance var/(n mean^2) (delta method),
    and the samples are independent, so the slope's variance is 1 / sum w_i (x_i - xbar_w)^2.
    """
    x = np.asarray(x, dtype=np.float64)
    if len(samples) != x.size or x.size < 2:
        raise ValueError("log_mean_slope needs one sample per x and two or more x")
    means = np.array([np.mean(s) for s in samples])
    if np.any(means <= 0):
        raise ValueError("log_mean_slope needs positive means")
    variances = np.array([np.var(s, ddof=1) / np.size(s) for s in samples]) / means**2
    return _weighted_slope(x, np.log(means), variances, delta)


def mean_slope(x: np.ndarray, samples: list[np.ndarray], delta: float) -> Interval:
    """Slope of the mean of sample i against x_i, weighted least squares, with a normal interval (independent
    i.i.d. samples, one value per network)."""
    x = np.asarray(x, dtype=np.float64)
    if len(samples) != x.size or x.size < 2:
        raise ValueError("mean_slope needs one sample per x and two or more x")
    means = np.array([np.mean(s) for s in samples])
    variances = np.array([np.var(s, ddof=1) / np.size(s) for s in samples])
    return _weighted_slope(x, means, variances, delta)


def _weighted_slope(x: np.ndarray, y: np.ndarray, variances: np.ndarray, delta: float) -> Interval:
    """The weighted least-squares slope of y on x (weights 1/variance): its variance is 1 / sum w_i (x_i - xbar_w)^2."""
    weights = 1.0 / variances
    centred = x - np.sum(weights * x) / weights.sum()
    spread = np.sum(weights * centred**2)
    slope = float(np.sum(weights * centred * y) / spread)
    return normal_interval(slope, float(np.sqrt(1.0 / spread)), delta)


def ratio_interval(x: np.ndarray, y: np.ndarray, delta: float, scale: float = 1.0) -> Interval:
    """Interval for mean(x) / (scale * mean(y)) from two independent i.i.d. samples (delta method, normal)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.size < 2 or y.size < 2:
        raise ValueError("ratio_interval needs two or more values in each sample")
    mx, my = x.mean(), y.mean()
    estimate = mx / (scale * my)
    rel_se = np.sqrt(x.var(ddof=1) / x.size / mx**2 + y.var(ddof=1) / y.size / my**2)
    return normal_interval(estimate, rel_se * abs(estimate), delta)


def mean_interval(x: np.ndarray, delta: float, scale: float = 1.0) -> Interval:
    """t interval for mean(x) / scale from an i.i.d. sample."""
    return cluster_interval(np.asarray(x, dtype=np.float64)[:, None] / scale, lambda m: m[..., 0], delta)


def clopper_pearson(k: int, n: int, delta: float) -> Interval:
    """Exact two-sided (1 - delta) interval for a binomial rate with k successes in n trials."""
    _check_delta(delta)
    low = 0.0 if k == 0 else float(sst.beta.ppf(delta / 2, k, n - k + 1))
    high = 1.0 if k == n else float(sst.beta.ppf(1 - delta / 2, k + 1, n - k))
    return Interval(k / n, low, high, float(np.sqrt(max(k, 1) * (n - k) / n) / n), delta)


def exceedance_pvalue(k: int, n: int, rate: float) -> float:
    """P(Bin(n, rate) >= k): small when k exceedances are too many for a bound failing with probability rate."""
    return float(sst.binom.sf(k - 1, n, rate))


def median_range(values: np.ndarray) -> dict:
    """Median, minimum and maximum over the last axis (seeds), as lists: a figure's curve and its band."""
    return {"median": np.median(values, -1).tolist(), "low": values.min(-1).tolist(),
            "high": values.max(-1).tolist()}


def range_interval(values) -> Interval:
    """[min, max] of n per-run values, around their median.

    For claims that must hold on every run: an upper bound judged by this interval HOLDS when every run is
    within it and is VIOLATED when every run exceeds it.  Were the n values independent, it would cover the
    median of their law with probability 1 - 2^(1-n) (distribution-free order statistics), its ``delta``; runs
    that share a seed's data are not, so that level is nominal and no verdict reads it.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size < 2 or not np.all(np.isfinite(values)):
        raise ValueError(f"range_interval needs two or more finite values, got {values}")
    return Interval(float(np.median(values)), float(values.min()), float(values.max()),
                    float(values.std(ddof=1)), float(2.0 ** (1 - values.size)))
