"""Estimators of Li & Li's claims: a sample in, an ``Estimate`` out.

Every claim must hold on every seed, so the interval is seed-level: a range over seeds of per-seed values
(feature coefficients, times), or, for accuracies and their paired differences, the range of per-seed
Clopper-Pearson intervals on the test set (each at delta / seeds).  Every estimate reports the regime ratios of the
run (``model.RATIOS``; the measured ones, planting and usage, at their largest over seeds and classes) and is out
of regime when a ratio the claim needs is outside its margin (``model.MARGINS``): the whole run, never a subset of
its seeds chosen after training.  Parameters name what the statement reads, so a planted twin is the
same estimator with a parameter changed (u and v swapped, the training attack, another threshold, ...).
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import itertools
from typing import Callable

import numpy as np
import sympy as sp

from numerics import stats
from numerics.backends import evaluate
from numerics.estimate import Estimate, every_run, no_value
from numerics.experiment import estimator
from numerics.papers.feature_learning.experiments import ATTACKS, THRESHOLD_FACTORS, TRAININGS, PatchSample
from numerics.papers.feature_learning.settings import PATCHES, PatchRun
from theory.papers.feature_learning.model import (BLOWUP, COPIES, MARGINS, MEASURED, RATIOS, RECURSION_A,
                                                  RECURSION_B, SIGNAL_PREACTIVATION, STRENGTHS, THRESHOLDS,
                                                  UNEQUAL_THRESHOLD, D, P, a, alpha, beta, copies, gamma_other,
                                                  gamma_own, gamma_u, gamma_v, gamma_v_other, gamma_v_own, m, q, rho,
                                                  share, x, x0)
from theory.papers.feature_learning.model import strength as feature_strength
from theory.symbols import eps, eta, k

#: how far below log k the training loss may fall in the recursion's window (the softmax still about 1/k)
SOFTMAX_DRIFT = 0.1
#: PGD below these sizes is not accepted as evidence of robustness (the issue's minimum)
PGD_STEPS, PGD_RESTARTS = 20, 2
TRAINING_ATTACK = ("the one-step training attack is AT's own: it can be masked (the competitor's neurons are "
                   "inactive at the clean point), so it is no evidence of robustness")


def values(config: PatchRun) -> dict:
    """The run's values of the model's symbols."""
    return {k: config.k, D: config.D, P: config.P, alpha: config.alpha, beta: config.beta, q: config.q,
            rho: config.rho, m: config.m, eps: config.eps, eta: config.eta}


def planting_ratios(sample: PatchSample) -> np.ndarray:
    """Per seed, the planting ratio at AT's trained Gamma^u for the attacker's best pair (y, y'), (S,)."""
    gamma = coefficients(sample, "at", "u")  # (S, k)
    expr = RATIOS["planting"].subs(values(sample.config))
    pairs = [evaluate(expr, {gamma_own: gamma[:, y], gamma_other: gamma[:, other]})
             for y, other in itertools.permutations(range(sample.config.k), 2)]
    return np.max(np.asarray(pairs, dtype=np.float64), axis=0)


def usage(sample: PatchSample) -> np.ndarray:
    """Per seed, the largest over classes of ST's Gamma^u_j / Gamma^v_j (``model.USAGE``), (S,)."""
    ratio = evaluate(RATIOS["usage"], {gamma_u: coefficients(sample, "st", "u"), gamma_v: coefficients(sample, "st",
                                                                                                        "v")})
    return np.asarray(ratio, dtype=np.float64).max(-1)


def ratios(sample: PatchSample) -> dict[str, float]:
    """The regime ratios of the run (the measured ones at their largest over seeds)."""
    at = values(sample.config)
    out = {name: float(expr.subs(at)) for name, expr in RATIOS.items() if name not in MEASURED}
    out["planting"] = float(planting_ratios(sample).max())
    out["usage"] = float(usage(sample).max())
    return out


def _outside(name: str, ratio: float) -> bool:
    relation = MARGINS[name]
    return not bool(relation.func(sp.Float(ratio), relation.rhs))


def regime(sample: PatchSample, regimes: tuple[str, ...]) -> tuple[str, dict[str, float]]:
    """Why the run is outside the margins the claim needs ("" if inside), and the ratios to report."""
    measured = ratios(sample)
    failed = [f"{name} ratio {measured[name]:.3g} outside its margin {MARGINS[name].rel_op} "
              f"{MARGINS[name].rhs}" for name in regimes if _outside(name, measured[name])]
    return "; ".join(failed), {f"ratio_{name}": value for name, value in measured.items()}


def gated(function: Callable[..., Estimate]) -> Callable[..., Estimate]:
    """An estimator that is judged only inside the margins of the ``regimes`` a claim names (out of regime, before
    anything is computed, otherwise), and reports the run's ratios either way."""

    @functools.wraps(function)
    def gate(sample: PatchSample, *args, regimes: tuple = (), **kwargs) -> Estimate:
        why, reported = regime(sample, tuple(regimes))
        estimate = no_value(sample.units, out_of_regime=why) if why else function(sample, *args, **kwargs)
        return dataclasses.replace(estimate, figures={**estimate.figures, **reported})

    signature = inspect.signature(function)
    gate.__signature__ = signature.replace(parameters=[
        *signature.parameters.values(), inspect.Parameter("regimes", inspect.Parameter.KEYWORD_ONLY, default=())])
    return gate


def coefficients(sample: PatchSample, training: str, feature: str, step: int = -1) -> np.ndarray:
    """Gamma^f_j at a step: the largest correlation of a class's neurons with its feature, (S, k)."""
    trace = (sample.A if feature == "u" else sample.B)[TRAININGS.index(training), step]
    return trace.max(-1)


def _log_gamma(sample: PatchSample, training: str, feature: str) -> np.ndarray:
    """Per seed, the mean over classes of log Gamma^f at T (nan where a Gamma is not positive)."""
    gamma = coefficients(sample, training, feature)
    return np.where(gamma > 0, np.log(np.where(gamma > 0, gamma, 1.0)), np.nan).mean(-1)


@estimator(PATCHES)
@gated
def feature_ratio(sample: PatchSample, training: str = "st", feature: str = "u", over: str = "v") -> Estimate:
    """Per seed, Gamma^feature / Gamma^over at T (geometric mean over classes), on every seed."""
    log_ratio = _log_gamma(sample, training, feature) - _log_gamma(sample, training, over)
    if not np.all(np.isfinite(log_ratio)):
        return no_value(sample.units, unreliable="a feature coefficient is not positive, so its ratio is undefined")
    per_seed = np.exp(log_ratio)
    return every_run(per_seed, figures={f"seed{s}": float(v) for s, v in enumerate(per_seed)})


def _rates(correct: np.ndarray, n: int, side: str, figures: dict) -> Estimate:
    """Per-seed Clopper-Pearson intervals (each at delta / seeds) of an accuracy (``side="accuracy"``) or an error,
    combined into their range over seeds; ``correct`` (S,) fractions of n test points."""
    counts = np.rint(correct * n).astype(int)
    counts = counts if side == "accuracy" else n - counts

    def interval(delta: float) -> stats.Interval:
        each = [stats.clopper_pearson(int(c), n, delta / counts.size) for c in counts]
        return stats.Interval(float(np.median(counts / n)), min(i.low for i in each), max(i.high for i in each),
                              float(np.std(counts / n)), delta)

    return Estimate(interval, counts.size * n, figures={**figures, **{f"seed{s}": float(c / n)
                                                                        for s, c in enumerate(counts)}})


@estimator(PATCHES)
@gated
def clean_rate(sample: PatchSample, training: str = "st", side: str = "error") -> Estimate:
    """The clean error (or accuracy) of the trained networks, per seed."""
    correct = sample.clean[TRAININGS.index(training)]
    return _rates(correct, sample.config.n_test, side, {})


def _radius(sample: PatchSample, radius: float) -> int:
    found = np.nonzero(np.isclose(sample.radii, radius))[0]
    if not found.size:
        raise ValueError(f"radius {radius:g} was not evaluated; the run's radii are {sample.radii.tolist()}")
    return int(found[0])


def _pgd_weak(sample: PatchSample, attack: str) -> str:
    """Why the run's attack cannot support a robustness HOLDS ("" when it can)."""
    if attack == "training":
        return TRAINING_ATTACK
    config = sample.config
    if attack in ("pgd", "strong") and (config.pgd_steps < PGD_STEPS or config.pgd_restarts < PGD_RESTARTS):
        return (f"PGD with {config.pgd_steps} steps and {config.pgd_restarts} restarts is below the "
                f"{PGD_STEPS} steps and {PGD_RESTARTS} restarts robustness is judged with")
    return ""


@estimator(PATCHES)
@gated
def robust_rate(sample: PatchSample, training: str = "st", attack: str = "strong", side: str = "error",
                radius_scale: float = 1.0) -> Estimate:
    """The robust error (or accuracy) at radius eps * radius_scale under an attack of ``experiments.ATTACKS``, per
    seed."""
    if attack not in ATTACKS:
        raise ValueError(f"attack must be one of {', '.join(ATTACKS)}, got {attack!r}")
    correct = sample.robust[attack][TRAININGS.index(training), _radius(sample, sample.config.eps * radius_scale)]
    return dataclasses.replace(_rates(correct, sample.config.n_test, side, {}), weak=_pgd_weak(sample, attack))


@estimator(PATCHES)
@gated
def pgd_blocks(sample: PatchSample, training: str = "st", block: str = "dense") -> Estimate:
    """Per seed, 1 - the share of the margin drop of PGD's successful perturbations at eps that their ``block``
    makes (``dense``: where v lives; ``robust``: where u lives; each block applied alone), on every seed; the mean
    cosine of the dense block with v_{y'} - v_y is reported beside it."""
    index = TRAININGS.index(training)
    share = sample.dense_share[index]
    if not np.all(np.isfinite(share)):
        return no_value(sample.units, unreliable="PGD fooled no example on some seed, so there is no perturbation "
                                                 "to read")
    per_seed = 1 - (share if block == "dense" else 1 - share)
    return every_run(per_seed, figures={"cos_v_min": float(np.min(sample.cos_v[index])),
                                        "fooled_min": float(sample.successes[index].min())})


@estimator(PATCHES)
@gated
def threshold_error(sample: PatchSample, threshold: str = "nonrobust") -> Estimate:
    """Per seed, max(robust error at 0.9 t, robust accuracy at 1.1 t) of ST (strong attacks), t a threshold of
    ``model.THRESHOLDS``; per-seed Clopper-Pearson intervals (each at delta / (2 seeds)), their range.  The
    spread of the thresholds that the trained, unequal class coefficients give (``model.UNEQUAL_THRESHOLD``) is
    reported beside it.  The thresholds are derived for a network that uses only v: the claim names the usage
    regime, which gates the whole run."""
    radius = float(THRESHOLDS[threshold].subs(values(sample.config)))
    below, above = (sample.robust["strong"][0, _radius(sample, f * radius)] for f in THRESHOLD_FACTORS)
    n = sample.config.n_test
    unequal = unequal_thresholds(sample)

    def interval(delta: float) -> stats.Interval:
        level = delta / (2 * below.size)
        lows, highs = [], []
        for low_side, high_side in zip(below, above):
            error = stats.clopper_pearson(int(round((1 - low_side) * n)), n, level)
            accuracy = stats.clopper_pearson(int(round(high_side * n)), n, level)
            lows.append(max(error.low, accuracy.low))
            highs.append(max(error.high, accuracy.high))
        point = np.maximum(1 - below, above)
        return stats.Interval(float(np.median(point)), min(lows), max(highs), float(np.std(point)), delta)

    figures = {"error_below_max": float((1 - below).max()), "accuracy_above_max": float(above.max()),
               "unequal_threshold_min": float(unequal.min()), "unequal_threshold_max": float(unequal.max()),
               "threshold": radius}
    return Estimate(interval, 2 * below.size * n, weak=_pgd_weak(sample, "strong"), figures=figures)


def unequal_thresholds(sample: PatchSample) -> np.ndarray:
    """Per seed and class, the radius at which a v-only network with ST's trained, unequal class coefficients loses
    that class's examples (``model.UNEQUAL_THRESHOLD`` against the strongest competitor), (S, k)."""
    gamma = coefficients(sample, "st", "v")
    expr = UNEQUAL_THRESHOLD.subs({beta: sample.config.beta, D: sample.config.D})
    return np.stack([evaluate(expr, {gamma_v_own: gamma[:, j], gamma_v_other: np.delete(gamma, j, 1).max(1)})
                     for j in range(sample.config.k)], axis=1)


@estimator(PATCHES)
@gated
def paired_features(sample: PatchSample, effect: str = "both") -> Estimate:
    """Per seed, paired on data and initialisation: ``both`` = min(log Gu_AT / Gu_ST, log Gv_ST / Gv_AT) (AT
    strengthens u and suppresses v); ``suppresses_robust`` = log Gu_ST / Gu_AT (the planted twin)."""
    up = _log_gamma(sample, "at", "u") - _log_gamma(sample, "st", "u")
    down = _log_gamma(sample, "st", "v") - _log_gamma(sample, "at", "v")
    per_seed = np.minimum(up, down) if effect == "both" else -up
    if not np.all(np.isfinite(per_seed)):
        return no_value(sample.units, unreliable="a feature coefficient is not positive, so its log is undefined")
    wins = int((per_seed > 0).sum())
    return every_run(per_seed, figures={"seeds_positive": float(wins),
                                        "sign_test_p": stats.exceedance_pvalue(wins, per_seed.size, 0.5),
                                        "log_u_gain_median": float(np.median(up)),
                                        "log_v_drop_median": float(np.median(down))})


@estimator(PATCHES)
@gated
def robust_gain(sample: PatchSample, attack: str = "strong") -> Estimate:
    """Per seed, AT's robust accuracy at eps minus ST's (paired on the test set), under an attack of
    ``experiments.ATTACKS``: each seed's interval is [low_AT - high_ST, high_AT - low_ST] from Clopper-Pearson
    intervals at delta / (2 seeds), and the estimate's interval their range."""
    accuracy = sample.robust[attack][:, _radius(sample, sample.config.eps)]  # (training, S)
    n = sample.config.n_test
    counts = np.rint(accuracy * n).astype(int)
    per_seed = accuracy[1] - accuracy[0]

    def interval(delta: float) -> stats.Interval:
        level = delta / (2 * per_seed.size)
        st, at = ([stats.clopper_pearson(int(c), n, level) for c in row] for row in counts)
        return stats.Interval(float(np.median(per_seed)), min(a.low - s.high for s, a in zip(st, at)),
                              max(a.high - s.low for s, a in zip(st, at)), float(np.std(per_seed)), delta)

    wins = int((per_seed > 0).sum())
    return Estimate(interval, 2 * per_seed.size * n, weak=_pgd_weak(sample, attack),
                    figures={"seeds_positive": float(wins),
                             "sign_test_p": stats.exceedance_pvalue(wins, per_seed.size, 0.5),
                             "st_median": float(np.median(accuracy[0])), "at_median": float(np.median(accuracy[1]))})


def crossing(sample: PatchSample, training: str, feature: str) -> np.ndarray:
    """Per seed, the first step at which the class mean of Gamma^f reaches 1 (T + 1 if it never does), (S,)."""
    trace = (sample.A if feature == "u" else sample.B)[TRAININGS.index(training)].max(-1).mean(-1)  # (T + 1, S)
    reached = trace >= 1
    return np.where(reached.any(0), reached.argmax(0), trace.shape[0]).astype(np.float64)


@estimator(PATCHES)
@gated
def phase_order(sample: PatchSample, training: str = "st", first: str = "v") -> Estimate:
    """Per seed, log(t_other / t_first): positive when the ``first`` feature's Gamma reaches 1 first."""
    t_first, t_other = crossing(sample, training, first), crossing(sample, training, "u" if first == "v" else "v")
    never = sample.A.shape[1]
    if np.any((t_first == never) & (t_other == never)):
        return no_value(sample.units, unreliable="neither feature's Gamma reaches 1 on some seed, so there is no "
                                                 "order to read")
    per_seed = np.log(t_other / np.maximum(t_first, 1))
    return every_run(per_seed, figures={"t_first_median": float(np.median(t_first)),
                                        "t_other_median": float(np.median(t_other)),
                                        "censored": float((t_other == never).sum())})


@estimator(PATCHES)
@gated
def recursion_error(sample: PatchSample, copies_of: str = "model") -> Estimate:
    """Per seed, the largest |B_t / B_t^rec - 1| over classes and t <= t*/2, where B_t is ST's correlation with v_j
    of the class-j neuron with the largest initial one, B^rec the joint (B, A) recursion from the same (B_0, A_0)
    with the plain patches' count ``model.COPIES[copies_of]``, and t* that neuron's blow-up time in the scalar
    limit with v's strength P beta^q (the window is the data's, whatever recursion is judged)."""
    config = sample.config
    at = values(config)
    best = sample.B[0, 0].argmax(-1)[None, ..., None]  # (1, S, k, 1)
    B = np.take_along_axis(sample.B[0], best, -1)[..., 0]  # (T + 1, S, k)
    A = np.take_along_axis(sample.A[0], best, -1)[..., 0]
    fixed = {**at, feature_strength: STRENGTHS["nonrobust"].subs(at)}
    blowup = evaluate(BLOWUP.subs(fixed), {x0: B[0], share: sample.shares})  # (S, k)
    window = np.floor(blowup / 2).astype(int)
    if window.min() < 2 or window.max() >= B.shape[0]:
        return no_value(sample.units, unreliable=f"half the blow-up times span {window.min()} to {window.max()} "
                                                 f"steps: fewer than 2, or beyond the run's {B.shape[0] - 1}")
    span = window.max() + 1
    inside = np.arange(span)[:, None, None] <= window[None]  # (t, S, k)
    signal = evaluate(SIGNAL_PREACTIVATION.subs(at), {x: B[:span], a: np.maximum(A[:span], 0)})
    preactivation = np.where(inside, signal, 0).max()
    if preactivation >= config.rho:
        return no_value(sample.units, out_of_regime=f"the neuron's largest pre-activation reaches "
                                                    f"{preactivation:.3g} >= rho before t*/2: the tensor-power phase "
                                                    "is over")
    # the loss is log k while the softmax is 1/k; after the first blow-up, one class's examples may be fitted
    fitted = 1 - sample.loss[0, :window.min() + 1].min() / np.log(config.k)
    if fitted > SOFTMAX_DRIFT:
        return no_value(sample.units, out_of_regime=f"the training loss falls {fitted:.3g} below log k before the "
                                                    "earliest t*/2: the softmax has moved away from 1/k")
    steps = [expr.subs({**at, copies: COPIES[copies_of].subs(at)}) for expr in (RECURSION_B, RECURSION_A)]
    predicted, a_now = [B[0]], A[0]
    for _ in range(span - 1):
        point = {x: predicted[-1], a: a_now, share: sample.shares}
        predicted.append(evaluate(steps[0], point))
        a_now = evaluate(steps[1], point)
    errors = np.where(inside, np.abs(B[:span] / np.asarray(predicted) - 1), 0)
    per_seed = errors.max(axis=(0, 2))
    growth = np.take_along_axis(B, window[None], 0)[0] / B[0]
    return every_run(per_seed, figures={"window_min": float(window.min()), "window_max": float(window.max()),
                                        "growth_in_window_median": float(np.median(growth))})
