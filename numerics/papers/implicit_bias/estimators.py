"""Estimators of Lyu & Zhu's claims: a training run in, an ``Estimate`` out.

Limit claims must hold on every run: their interval is the range over the runs (``stats.range_interval``), so an
upper bound HOLDS when every run is within it and is VIOLATED when every run exceeds it.  An estimate is
*unreliable* when a reference it rests on failed its own checks (INCONCLUSIVE, whatever else), *out of regime*
when the run does not meet the theorem's precondition (measured: eps >= gamma, an adversarial point still
misclassified), and *weak* when a twin of the reference is too close to it for the check to tell them apart (it
cannot support HOLDS; a violation still stands).
"""
from __future__ import annotations

import numpy as np

from numerics import stats
from numerics.backends import evaluate
from numerics.estimate import Estimate, every_run, no_value
from numerics.experiment import estimator
from numerics.papers.implicit_bias.experiments import HomogeneousSample, LinearSample
from numerics.papers.implicit_bias.kkt import residuals
from numerics.papers.implicit_bias.models import Relu2
from numerics.papers.implicit_bias.references import one_minus_cos
from numerics.papers.implicit_bias.settings import DEEP_LINEAR, HOMOGENEOUS
from theory.papers.implicit_bias.margins import (LIMIT_MARGIN_L2, MARGIN_DEFICIT_BOUND, NORMALIZED_MARGIN,
                                                 ROBUST_MARGIN, SMOOTHED_MARGIN, degree, dual_norm, e, gamma,
                                                 log_loss, q_min, radius, s, theta_norm)
from theory.symbols import eps as eps_symbol

def _runs(sample: LinearSample, control: bool = False) -> list[tuple[int, int]]:
    """(seed, fraction index) of the judged runs, or of the control runs."""
    config = sample.config
    chosen = range(len(config.eps), len(config.fractions)) if control else range(len(config.eps))
    if not chosen:
        raise ValueError(f"the run has no {'control' if control else 'judged'} fractions")
    return [(seed, k) for seed in range(config.seeds) for k in chosen]


def _index(sample: LinearSample, seed: int, k: int) -> int:
    return seed * len(sample.config.fractions) + k


def _reference(sample: LinearSample, name: str, seed: int, k: int):
    found = sample.references[name][seed]
    return found[k] if name == "mixed_norm" else found


def _regime(sample: LinearSample, runs) -> tuple[list, str]:
    """The runs inside the deep-linear theorem's regime, eps below the data's margin (gamma for l2 attacks,
    gamma_1 for l_inf, each measured by the seed's reference solver), and why there are none, if there are none.
    Judged fractions lie in (0, 1) by the settings, so this separates the controls beyond the margin."""
    unit = "gamma" if sample.config.attack == "fgm" else "gamma_1"
    inside = [(seed, k) for seed, k in runs if sample.eps[seed, k] < sample.margin[seed]]
    if inside:
        return inside, ""
    ratio = min(sample.eps[seed, k] / sample.margin[seed] for seed, k in runs)
    loss = np.exp(sample.trace.log_loss[-1][[_index(sample, *r) for r in runs]])
    return runs, (f"eps/{unit} = {ratio:.3g} >= 1 ({unit} measured by each seed's reference solver), so the "
                  f"adversarial points are not separable; the median final adversarial loss is {np.median(loss):.3g} "
                  "(the theorem's regime sends it to 0)")


def _unit_reference(sample: LinearSample) -> str:
    """The reference whose margin sets the fractions' unit: the l2-SVM (gamma) or the l1-SVM (gamma_1)."""
    return "l2_svm" if sample.config.attack == "fgm" else "l1_svm"


def _failed(sample: LinearSample, names, runs) -> str:
    """Why a reference the estimate rests on failed its own checks ("" if none did); the unit's reference (the
    margin the fractions are of) always counts."""
    for seed, k in runs:
        for name in (_unit_reference(sample), *names):
            found = _reference(sample, name, seed, k)
            if not found.ok:
                return f"reference failed: {found.reason}"
    return ""


@estimator(DEEP_LINEAR)
def dln_direction_error(sample: LinearSample, reference: str = "l2_svm", control: bool = False,
                        twins: tuple = ("centroid", "l1_svm"), twin_floor: float = 1e-3) -> Estimate:
    """1 - cos(w_prod(T), reference direction) on every seed, at every judged fraction of the margin (or every
    control fraction).

    Every run is judged: a run off the reference keeps the claim from HOLDS.  A seed whose dataset puts a twin
    direction closer than ``twin_floor`` to the reference (the l1-SVM can sit within 1e-4 of the l2-SVM when the
    SVM has d support vectors) cannot tell the two apart: with fewer than two seeds that can, the sample cannot
    support HOLDS (a violation still stands).  The runs without that power are counted in the figures.
    """
    runs = _runs(sample, control)
    failed = _failed(sample, (reference, *(t for t in twins if t != "centroid")), runs)
    if failed:
        return no_value(sample.config.seeds, unreliable=failed)
    runs, outside = _regime(sample, runs)
    distances = np.array([[_twin_distance(sample, reference, name, seed, k) for name in twins] for seed, k in runs])
    powerless = {seed for (seed, _), row in zip(runs, distances) if twins and np.any(row < twin_floor)}
    powerful = len({seed for seed, _ in runs} - powerless)
    w, previous = sample.trace.w[-1], sample.trace.w[-2]
    errors = np.array([one_minus_cos(w[_index(sample, seed, k)], _reference(sample, reference, seed, k).w)
                       for seed, k in runs])
    earlier = np.array([one_minus_cos(previous[_index(sample, seed, k)], _reference(sample, reference, seed, k).w)
                        for seed, k in runs])
    figures = {"median": float(np.median(errors)), "max": float(errors.max()),
               "median_previous_checkpoint": float(np.median(earlier)),
               **{f"twin_{name}": float(np.median(distances[:, i])) for i, name in enumerate(twins)},
               "runs_without_power": float(sum(seed in powerless for seed, _ in runs))}
    weak = "" if powerful >= 2 else (
        f"on {len(powerless)} of {sample.config.seeds} seeds a twin direction ({', '.join(twins)}) lies within "
        f"1 - cos < {twin_floor:g} of the reference, so the check cannot tell them apart")
    return every_run(errors, figures=figures, out_of_regime=outside, weak=weak)


def _twin_distance(sample: LinearSample, reference: str, twin: str, seed: int, k: int) -> float:
    """1 - cos between the reference and a twin direction (the centroid sum_i y_i x_i, or another reference)."""
    target = _reference(sample, reference, seed, k).w
    if twin == "centroid":
        other = (sample.y[seed][:, None] * sample.X[seed]).sum(0)
    else:
        other = _reference(sample, twin, seed, k).w
    return float(one_minus_cos(target, other))


@estimator(DEEP_LINEAR)
def dln_margin_deficit(sample: LinearSample, direction_tolerance: float = 1e-4) -> Estimate:
    """|1 - r| over its bound, per run: r = robust normalized margin / (gamma - eps), and the bound
    R sqrt(2 e) / (gamma - eps) + 1e-9 (``margins.MARGIN_DEFICIT_BOUND``) at e = ``direction_tolerance``, the
    direction claim's threshold: the robust margin a direction within that threshold of the l2-SVM must reach.
    (At the measured e the bound would hold for every w, trained or not.)"""
    failed = _failed(sample, (), _runs(sample))
    if failed:
        return no_value(sample.config.seeds, unreliable=failed)
    runs, outside = _regime(sample, _runs(sample))
    values = []
    for seed, k in runs:
        w = sample.trace.w[-1][_index(sample, seed, k)]
        X, y, size = sample.X[seed], sample.y[seed], sample.eps[seed, k]
        norm = np.linalg.norm(w)
        robust = evaluate(ROBUST_MARGIN, {s: (y * (X @ w)).min() / norm, dual_norm: 1.0, eps_symbol: size})
        limit = evaluate(LIMIT_MARGIN_L2, {gamma: sample.margin[seed], eps_symbol: size})
        bound = evaluate(MARGIN_DEFICIT_BOUND, {radius: np.linalg.norm(X, axis=1).max(), e: direction_tolerance,
                                                gamma: sample.margin[seed], eps_symbol: size}) + 1e-9
        values.append(abs(1 - robust / limit) / bound)
    return every_run(values, figures={"median": float(np.median(values))}, out_of_regime=outside)


def layers(theta: np.ndarray, dims: tuple[int, ...]) -> list[np.ndarray]:
    """The (d_k, d_{k-1}) layers of a flattened deep linear net."""
    out, start = [], 0
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):
        out.append(theta[start:start + fan_in * fan_out].reshape(fan_out, fan_in))
        start += fan_in * fan_out
    return out


def layer_statistics(theta: np.ndarray, dims: tuple[int, ...]) -> tuple[float, float]:
    """(max_k sigma_2/sigma_1 of the hidden layers, max_k 1 - |v_{k+1} . u_k|) for one net."""
    Ws = layers(theta, dims)
    ratios, misalignment = [], []
    for k, W in enumerate(Ws):
        U, sv, Vt = np.linalg.svd(W)
        if k < len(Ws) - 1:
            ratios.append(sv[1] / sv[0])
            _, _, Vt_next = np.linalg.svd(Ws[k + 1])
            misalignment.append(1 - abs(Vt_next[0] @ U[:, 0]))
    return max(ratios, default=np.nan), max(misalignment, default=np.nan)


def _layer_estimate(sample: LinearSample, which: int) -> Estimate:
    if sample.config.L < 2:
        raise ValueError("layer alignment needs a deep linear net of depth L >= 2")
    failed = _failed(sample, (), _runs(sample))
    if failed:
        return no_value(sample.config.seeds, unreliable=failed)
    runs, outside = _regime(sample, _runs(sample))
    values = np.array([layer_statistics(sample.trace.theta[-1][_index(sample, seed, k)], sample.dims)[which]
                       for seed, k in runs])
    return every_run(values, figures={"median": float(np.median(values))}, out_of_regime=outside)


@estimator(DEEP_LINEAR)
def dln_rank_ratio(sample: LinearSample) -> Estimate:
    """max over hidden layers of sigma_2 / sigma_1 (each layer tends to rank one), on every seed."""
    return _layer_estimate(sample, 0)


@estimator(DEEP_LINEAR)
def dln_misalignment(sample: LinearSample) -> Estimate:
    """max over adjacent layers of 1 - |v_{k+1} . u_k| (top singular vectors align), on every seed."""
    return _layer_estimate(sample, 1)


@estimator(DEEP_LINEAR)
def dln_clean_gap(sample: LinearSample, from_step: int = 1000) -> Estimate:
    """Per seed, the mean over fractions and checkpoints t >= from_step of log(||w_clean - u|| / ||w_adv - u||),
    with u the l2-SVM direction (a clean and an adversarial run of a seed share its data and initialisation);
    the t interval over seeds (positive: adversarial training is closer), and a sign test over seeds."""
    if 0.0 not in sample.config.control:
        raise ValueError("the comparison with clean training needs a clean control run (fraction 0)")
    clean = sample.config.fractions.index(0.0)
    failed = _failed(sample, (), _runs(sample))
    if failed:
        return no_value(sample.config.seeds, unreliable=failed)
    late = sample.trace.steps >= from_step
    if late.sum() < 1:
        return no_value(sample.config.seeds, out_of_regime=f"the run ends at step {sample.trace.steps[-1]}, before "
                                                           f"step {from_step} where the comparison starts")
    w = sample.trace.w[late]
    per_seed = []
    for seed in range(sample.config.seeds):
        u = sample.references["l2_svm"][seed].direction
        gap = lambda k: np.linalg.norm(w[:, _index(sample, seed, k)]  # noqa: E731
                                       / np.linalg.norm(w[:, _index(sample, seed, k)], axis=-1, keepdims=True) - u,
                                       axis=-1)
        per_seed.append(np.mean([np.log(gap(clean) / gap(k)) for k in range(len(sample.config.eps))]))
    per_seed = np.asarray(per_seed)
    wins = int((per_seed > 0).sum())
    return Estimate(lambda delta: stats.mean_interval(per_seed, delta), len(per_seed),
                    figures={"seeds_adv_closer": float(wins),
                             "sign_test_p": stats.exceedance_pvalue(wins, per_seed.size, 0.5)})


def _kkt(sample: HomogeneousSample, attack: str, eps_factor: float, relaxed: bool, checkpoint: int = -1):
    config = sample.config
    return residuals(sample.trace.theta[checkpoint], sample.X, sample.y, config.eps * eps_factor,
                     attack or config.attack, config.width, config.pgd_steps, relaxed)


#: twin problems of the KKT check, at the same parameters: (attack, eps factor)
KKT_TWINS = {"half_eps": ("", 0.5), "double_eps": ("", 2.0), "clean": ("none", 1.0)}
#: a twin problem whose median residual falls below this is also near-KKT: the check cannot tell them apart
TWIN_RESIDUAL = 0.1


@estimator(HOMOGENEOUS)
def hom_kkt_residual(sample: HomogeneousSample, attack: str = "", eps_factor: float = 1.0, relaxed: bool = False,
                     twins: bool = True) -> Estimate:
    """Active-set KKT residual of the adversarial margin problem at the final normalised parameters, per seed
    (``kkt.residuals``); ``attack``/``eps_factor`` choose another problem than the run's (the twins)."""
    values, margins = _kkt(sample, attack, eps_factor, relaxed)
    inside = np.isfinite(values)
    if inside.sum() < 2:
        return no_value(values.size, out_of_regime=f"{(~inside).sum()} of {values.size} seeds still misclassify an "
                                                   "adversarial point at the end (min q <= 0), the precondition of the "
                                                   "homogeneous-net theorem")
    kept = values[inside]
    figures = {"median": float(np.median(kept)), "seeds_in_regime": float(inside.sum())}
    previous, _ = _kkt(sample, attack, eps_factor, relaxed, checkpoint=-2)
    figures["median_previous_checkpoint"] = float(np.nanmedian(previous)) if np.isfinite(previous).any() else \
        float("nan")
    weak = []
    if twins:
        for name, (twin_attack, factor) in KKT_TWINS.items():
            twin, _ = _kkt(sample, twin_attack, eps_factor * factor, relaxed)
            figures[f"twin_{name}"] = float(np.nanmedian(twin)) if np.isfinite(twin).any() else float("nan")
            if figures[f"twin_{name}"] < TWIN_RESIDUAL:
                weak.append(f"{name} ({figures[f'twin_{name}']:.2g})")
    why = f"twin problems also near-KKT (median residual < {TWIN_RESIDUAL:g}): {', '.join(weak)}" if weak else ""
    return every_run(kept, figures=figures, weak=why)


def _largest_drop(series: np.ndarray) -> float:
    """The largest relative decrease between consecutive values (0 if none decreases)."""
    return max(0.0, float(np.max((series[:-1] - series[1:]) / np.abs(series[:-1]))))


def normalized_margins(sample: HomogeneousSample) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log sum_i e^{-q_i}, min_i q_i / ||theta||^L, -log(sum_i e^{-q_i}) / ||theta||^L) per checkpoint and seed
    (``margins.NORMALIZED_MARGIN``, ``margins.SMOOTHED_MARGIN``)."""
    trace = sample.trace
    log_sum = trace.log_loss + np.log(sample.X.shape[1])
    scale = {theta_norm: trace.norm, degree: Relu2.degree}
    return (log_sum, evaluate(NORMALIZED_MARGIN, {q_min: trace.q_min, **scale}),
            evaluate(SMOOTHED_MARGIN, {log_loss: log_sum, **scale}))


@estimator(HOMOGENEOUS)
def hom_margin_decrease(sample: HomogeneousSample) -> Estimate:
    """Per seed, the largest relative decrease of the smoothed normalised margin -log(sum_i e^{-q_i}) / ||theta||^L
    between consecutive checkpoints from t_0 on, the first checkpoint with sum_i e^{-q_i} < 1 (Lyu & Li's
    condition; every adversarial point is then classified right), whatever happens after it.  A seed that reaches
    t_0 only at the last checkpoint (or never) has nothing to judge and is counted out of regime.  The same
    statistic for the plain normalised margin min_i q_i / ||theta||^L is reported beside it (monotone only
    eventually)."""
    log_sum, plain, smoothed = normalized_margins(sample)
    values, plain_drops = [], []
    for seed in range(sample.config.seeds):
        after = np.nonzero(log_sum[:, seed] < 0)[0]
        if after.size == 0 or after[0] >= len(log_sum) - 1:
            continue
        values.append(_largest_drop(smoothed[after[0]:, seed]))
        plain_drops.append(_largest_drop(plain[after[0]:, seed]))
    if len(values) < 2:
        return no_value(sample.config.seeds, out_of_regime="fewer than two seeds reach sum_i e^{-q_i} < 1 (t_0) "
                                                           "before the last checkpoint")
    return every_run(values, figures={"median": float(np.median(values)), "max_plain_margin_drop": max(plain_drops),
                                      "seeds_in_regime": float(len(values)),
                                      "final_smoothed_margin": float(np.median(smoothed[-1]))})
