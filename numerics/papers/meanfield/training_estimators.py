"""Estimators of the training-dynamics claims: a ``TrainingRun`` (or a sweep of them) in, an ``Estimate`` out.

Networks are the independent units: every interval is a jackknife or t interval over networks, except the Euler
identity's, which is the deterministic envelope (min, max) of an exact quantity over every network, step and
layer.  Estimators measure; ``verify`` compares.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from numerics import stats
from numerics.estimate import Estimate, _first
from numerics.experiment import estimator
from numerics.papers.meanfield.training import TrainingRun

DYNAMICS = "meanfield.dynamics"


def _mean_sigma2(run: TrainingRun) -> np.ndarray:
    """sigma^2 averaged over layers, (B, T + 1)."""
    return run.sigma2.mean(axis=2)


@estimator(DYNAMICS)
def euler_ratio_envelope(run: TrainingRun) -> Estimate:
    """First-order change of ||W_l||_F^2 over -2 eta L_adv at every network, step and layer: [min, max]."""
    ratio = run.first_order / run.loss[..., None]
    low, high, mean = float(ratio.min()), float(ratio.max()), float(ratio.mean())
    worst = float(np.abs(ratio - 1).max())
    return Estimate(lambda delta: stats.Interval(mean, low, high, 0.0, delta), ratio.size,
                    figures={"max_abs_error": worst, "steps": run.loss.shape[1], "networks": run.B})


@estimator(DYNAMICS)
def euler_ratio_mean(run: TrainingRun) -> Estimate:
    """<W_l, grad_l L_adv> / L_adv at the first step, averaged over layers; per-layer means as figures."""
    ratio = run.inner[:, 0, :] / run.loss[:, 0, None]  # (B, L)
    figures = {f"layer_{l + 1}": float(v) for l, v in enumerate(ratio.mean(axis=0))}
    return Estimate.from_moments(ratio.mean(axis=1, keepdims=True), _first, ratio.size, figures=figures)


@estimator(DYNAMICS)
def variance_drop(run: TrainingRun, curve: Callable[[np.ndarray], np.ndarray], band: float) -> Estimate:
    """sigma^2(0) - sigma^2(T) per network at the run's last step T (its mean is compared with the ODE).

    Figures: T*, the last step up to which the measured mean drop stays within (1 +- band) of the ODE's
    ``curve`` (t -> predicted drop) at every step; the relative variance change reached by then; the ratio at T;
    and what happened meanwhile to the loss and ||J|| (the low-rank route the ODE does not see).
    """
    sigma2 = _mean_sigma2(run)
    drops = sigma2[:, :1] - sigma2  # (B, T + 1)
    steps = np.arange(drops.shape[1])
    predicted = np.asarray(curve(steps[1:].astype(np.float64)), dtype=np.float64)
    ratios = drops[:, 1:].mean(axis=0) / predicted
    outside = np.nonzero(np.abs(ratios - 1) > band)[0]
    t_star = int(outside[0]) if outside.size else int(steps[-1])  # steps before the first exit
    setup = run.setup
    figures = {
        "t_star": t_star, "eta_eps": setup.eta * setup.eps, "eta_eps_t_star": setup.eta * setup.eps * t_star,
        "relative_change_at_t_star": float(drops[:, t_star].mean() / sigma2[:, 0].mean()),
        "ratio_at_horizon": float(ratios[-1]),
        "loss_ratio_at_horizon": _final_over_initial(run.loss),
        "jacobian_ratio_at_horizon": _final_over_initial(run.jacobian_norm),
    }
    return Estimate.from_moments(drops[:, -1:], _first, run.B, figures=figures)


@estimator(DYNAMICS)
def variance_rate(run: TrainingRun) -> Estimate:
    """-(sigma^2(T) - sigma^2(0)) / T over the run's first T steps: the initial rate of the variance."""
    return Estimate.from_moments(variance_rate_values(run)[:, None], _first, run.B,
                                 figures={"loss_at_start": float(run.loss[:, 0].mean())})


@estimator(DYNAMICS, sweep=True)
def variance_rate_width_slope(runs: tuple[TrainingRun, ...]) -> Estimate:
    """d log(rate) / d log N over a width sweep (weighted least squares on the log of each mean rate)."""
    widths = np.array([run.setup.spec.N for run in runs], dtype=np.float64)
    rates = [variance_rate_values(run) for run in runs]
    figures = {f"rate_at_N={int(n)}": float(r.mean()) for n, r in zip(widths, rates)}
    return Estimate(lambda delta: stats.log_mean_slope(np.log(widths), rates, delta),
                    sum(run.B for run in runs), figures=figures)


def variance_rate_values(run: TrainingRun) -> np.ndarray:
    """Per-network initial rate of the variance, (B,)."""
    sigma2 = _mean_sigma2(run)
    return (sigma2[:, 0] - sigma2[:, -1]) / (sigma2.shape[1] - 1)


@estimator(DYNAMICS, sweep=True)
def clean_gradient_depth_slope(runs: tuple[TrainingRun, ...]) -> Estimate:
    """d log ||grad_{W_1} clean loss|| / dL after adversarial training (half the slope of the mean square).

    Figures: the same slope before training (the control: flat at criticality for vanilla nets) and the
    gradient norms at each depth.
    """
    depths = np.array([run.setup.spec.L for run in runs], dtype=np.float64)

    def squares(when: str) -> list[np.ndarray]:
        return [run.clean_grad[when][:, 0] ** 2 for run in runs]

    before = stats.log_mean_slope(depths, squares("before"), 0.05)
    figures = {"slope_before": before.estimate / 2}
    for run in runs:
        for when in ("before", "after"):
            figures[f"grad_{when}_L={run.setup.spec.L}"] = float(np.sqrt(np.mean(run.clean_grad[when][:, 0] ** 2)))
    return Estimate(lambda delta: stats.log_mean_slope(depths, squares("after"), delta).scaled(0.5),
                    sum(run.B for run in runs), figures=figures)


@estimator(DYNAMICS)
def clean_loss_log_ratio(run: TrainingRun) -> Estimate:
    """log(best clean test loss after adversarial training / best without it), paired per network."""
    best = _best_clean_losses(run)
    figures = {"best_loss_without": float(best["before"].mean()), "best_loss_after": float(best["after"].mean())}
    return Estimate(lambda delta: stats.mean_interval(_capacity_effect(run), delta), run.B, figures=figures)


def _best_clean_losses(run: TrainingRun) -> dict:
    """"before" / "after" -> the best clean test loss of each network's clean training from those weights, (B,)."""
    return {when: run.clean_loss[when].min(axis=1) for when in ("before", "after")}


def _capacity_effect(run: TrainingRun) -> np.ndarray:
    """Per network, log(best clean test loss after adversarial training / best from the initial weights), (B,)."""
    best = _best_clean_losses(run)
    return np.log(best["after"] / best["before"])


def _gradient_effect(runs: list[TrainingRun]) -> stats.Interval:
    """The change of the depth slope of log ||grad_{W_1} clean loss|| that adversarial training causes: the depth
    slope of the mean per-network log(||grad after|| / ||grad before||) (paired, so the finite-width offset of the
    initial slope cancels)."""
    depths = np.array([run.setup.spec.L for run in runs], dtype=np.float64)
    log_ratios = [np.log(run.clean_grad["after"][:, 0] / run.clean_grad["before"][:, 0]) for run in runs]
    return stats.mean_slope(depths, log_ratios, 0.05)  # only its estimate and standard error are used


def _final_over_initial(values: np.ndarray) -> float:
    """Mean over networks at the last step over the mean at the first, for a (B, steps) record."""
    return float(values[:, -1].mean() / values[:, 0].mean())


def _by_width(runs: tuple[TrainingRun, ...]) -> list[tuple[int, list[TrainingRun]]]:
    """The sweep's runs grouped by width, narrowest first (two widths)."""
    groups: dict[int, list[TrainingRun]] = {}
    for run in runs:
        groups.setdefault(run.setup.spec.N, []).append(run)
    if len(groups) != 2:
        raise ValueError(f"a width comparison needs runs at two widths, got {sorted(groups)}")
    return sorted(groups.items())


def _width_alleviation(effects: list[tuple[int, float, float]], groups: list[tuple[int, list[TrainingRun]]]
                       ) -> Estimate:
    """|E(N')| - |E(N)| from the effects (width, estimate, standard error) at the narrow N' and the wide N, which
    are independent samples: a normal interval with the standard errors added in quadrature.

    |.| is smooth away from 0; an interval wholly above 0 already puts |E(N')| beyond its own noise (there was an
    effect to alleviate), and one wholly below puts |E(N)| beyond its own.  Figures: each width's effect, and
    what the training did there (mean over its runs): the relative fall of sigma^2, which the derived mechanism
    runs on, and ||J(x_probe)|| after over before, which also falls through changes the variance does not see.
    """
    (narrow, e_n, s_n), (wide, e_w, s_w) = effects
    figures = {f"effect_at_N={narrow}": e_n, f"se_at_N={narrow}": s_n, f"effect_at_N={wide}": e_w,
               f"se_at_N={wide}": s_w}
    for n, runs in groups:
        figures[f"variance_fall_at_N={n}"] = float(np.mean([1 - _final_over_initial(_mean_sigma2(run))
                                                            for run in runs]))
        figures[f"jacobian_ratio_at_N={n}"] = float(np.mean([_final_over_initial(run.jacobian_norm) for run in runs]))
    return Estimate(lambda delta: stats.normal_interval(abs(e_n) - abs(e_w), float(np.hypot(s_n, s_w)), delta),
                    sum(run.B for _, runs in groups for run in runs), figures=figures)


@estimator(DYNAMICS, sweep=True)
def clean_gradient_width_alleviation(runs: tuple[TrainingRun, ...]) -> Estimate:
    """|change of the clean-gradient depth slope caused by adversarial training| at the narrow width minus at the
    wide one (``_gradient_effect``; depth sweeps at two widths, same eta, eps and steps)."""
    groups = _by_width(runs)
    effects = [(n, fit.estimate, fit.se) for n, fit in ((n, _gradient_effect(group)) for n, group in groups)]
    return _width_alleviation(effects, groups)


@estimator(DYNAMICS, sweep=True)
def clean_loss_width_alleviation(runs: tuple[TrainingRun, ...]) -> Estimate:
    """|log(best clean loss after adversarial training / from the initial weights)| at the narrow width minus at
    the wide one (one run per width, same eta, eps and steps)."""
    groups, effects = _by_width(runs), []
    for n, group in groups:
        (run,) = group
        values = _capacity_effect(run)
        effects.append((n, float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))))
    return _width_alleviation(effects, groups)
