"""Estimators of Gao et al.'s claims: a sample in, an ``Estimate`` out.

Deterministic inequalities must hold on every run: their interval is the range over the runs
(``stats.range_interval``), so a bound HOLDS when every run is within it and is VIOLATED when every run exceeds it.
Exponents are per-seed least-squares slopes in log m with a t interval over seeds (seeds are the independent
units; a seed's widths share its draws).  ``form`` names the bound a check judges against
(``bounds.LINEARISATION_FORMS``, ...): the theorem's, or a planted twin in the tests.
"""
from __future__ import annotations

import math

import numpy as np

from numerics import stats
from numerics.backends import evaluate, value
from numerics.estimate import Estimate, every_run, no_value
from numerics.experiment import estimator
from numerics.papers.ntk_convergence.experiments import (CapacitySample, LinearisationSample, RegretSample,
                                                         TrainingSample)
from numerics.papers.ntk_convergence.settings import CAPACITY, LINEARISATION, REGRET, TRAINING, ball_radius
from theory.papers.ntk_convergence.bounds import (EXPONENTIAL_WIDTH, LINEARISATION_FORMS, RATE_FORMS,
                                                  REGRET_FORMS, THEOREM_SLACK, R, T, X, aligned_ratio, alpha, c_exp,
                                                  constants, distance, grad_sq, m, x_norm)
from theory.symbols import d as d_symbol


def slopes(widths, values: np.ndarray) -> np.ndarray:
    """Per-seed least-squares slope of log(values) against log(width); values (widths, S)."""
    logs = np.log(np.asarray(widths, dtype=np.float64))
    centred = logs - logs.mean()
    return (centred[:, None] * np.log(values)).sum(0) / (centred ** 2).sum()


def slope_estimate(widths, values: np.ndarray, out_of_regime: str = "", **figures) -> Estimate:
    per_seed = slopes(widths, values)
    return Estimate(lambda delta: stats.mean_interval(per_seed, delta), per_seed.size, out_of_regime=out_of_regime,
                    figures={"slope_min": float(per_seed.min()), "slope_max": float(per_seed.max()), **figures})


def _linearisation_bound(sample: LinearisationSample, form: str) -> np.ndarray:
    """The bound at every (width, radius, input), shaped like the errors' trailing axes."""
    config = sample.config
    widths = np.asarray(config.widths, dtype=np.float64)[:, None, None]
    radii = np.asarray(config.radii)[None, :, None]
    return evaluate(LINEARISATION_FORMS[form].subs(constants(config.activation)),
                    {m: widths, distance: radii, x_norm: sample.norms[None, None, :]})


@estimator(LINEARISATION)
def lin_bound_ratio(sample: LinearisationSample, form: str = "theorem") -> Estimate:
    """The largest linearisation error found (aligned movement, then projected ascent) over D1's bound, on every
    seed, width, radius and input."""
    ratios = np.maximum(sample.aligned, sample.searched) / _linearisation_bound(sample, form)[None]
    return every_run(ratios.ravel(), figures={"max": float(ratios.max()), "median": float(np.median(ratios)),
                                              "searched_over_aligned": float(np.max(sample.searched / sample.aligned))})


def _unit_inputs(sample: LinearisationSample) -> np.ndarray:
    chosen = np.isclose(sample.norms, 1.0)
    if not chosen.any():
        raise ValueError("the tightness and exponent checks read inputs of norm 1; add 1.0 to the norms")
    return chosen


def _aligned_regime(sample: LinearisationSample) -> str:
    """Why the aligned movement does not attain D1's order at the run's activation ('' where it does): to second
    order its error is the bound times ``bounds.aligned_ratio``, which is 0 where sigma'' is odd (tanh)."""
    activation = sample.config.activation
    if aligned_ratio(activation) != 0:
        return ""
    return (f"E[sigma''(r g)] = 0 for {activation} (sigma'' is odd), so the aligned movement's error has no "
            "second-order term and does not follow the bound's m^(-1/2), which the derivation attains only where "
            "E[sigma''(r g)] != 0")


@estimator(LINEARISATION)
def lin_exponent(sample: LinearisationSample) -> Estimate:
    """Per seed, the log-log slope in m of the aligned error at unit inputs (mean over inputs and radii of the
    per-radius slopes); out of regime at an activation whose aligned movement does not attain D1's order."""
    aligned = sample.aligned[..., _unit_inputs(sample)].mean(-1)  # (S, W, R)
    per_radius = [slopes(sample.config.widths, aligned[:, :, r].T) for r in range(aligned.shape[2])]
    per_seed = np.mean(per_radius, axis=0)
    return Estimate(lambda delta: stats.mean_interval(per_seed, delta), per_seed.size,
                    out_of_regime=_aligned_regime(sample),
                    figures={"slope_min": float(per_seed.min()), "slope_max": float(per_seed.max())})


@estimator(LINEARISATION)
def lin_tightness(sample: LinearisationSample, activation: str, form: str = "theorem") -> Estimate:
    """Per seed, the mean over the wider half of the widths (the claim is about the limit), the radii and the unit
    inputs of the aligned error over the bound; every width's mean is reported.  ``activation`` is the one the
    claim's limit is computed for: a run of another is out of regime (its limit, ``bounds.aligned_ratio``, is
    another number)."""
    unit = _unit_inputs(sample)
    ratios = sample.aligned[..., unit] / _linearisation_bound(sample, form)[None][..., unit]
    wide = ratios[:, len(sample.config.widths) // 2:]
    per_seed = wide.reshape(wide.shape[0], -1).mean(1)
    per_width = ratios.mean(axis=(0, 2, 3))
    run = sample.config.activation
    regime = "" if run == activation else (
        f"the claim's limit E[sigma''(z)]/L_2 is computed for {activation}; this run's activation {run} has "
        f"{value(aligned_ratio(run), {x_norm: 1.0}):.4g}")
    return Estimate(lambda delta: stats.mean_interval(per_seed, delta), per_seed.size, out_of_regime=regime,
                    figures={f"ratio_m{w}": float(r) for w, r in zip(sample.config.widths, per_width)})


def _regret_bound(sample: RegretSample, form: str) -> np.ndarray:
    return evaluate(REGRET_FORMS[form], {distance: sample.distance, alpha: sample.alpha[:, None],
                                         grad_sq: sample.grad_sq})


@estimator(REGRET)
def regret_ratio(sample: RegretSample, form: str = "theorem") -> Estimate:
    """(sum_t l_t(W_t) - sum_t l_t(W^dagger)) over D3's bound at the hindsight comparator, every seed and horizon."""
    ratios = (sample.played - sample.hindsight) / _regret_bound(sample, form)
    return every_run(ratios.ravel(), figures={"max": float(ratios.max()), "median": float(np.median(ratios)),
                                              "comparator_gap_max": float(sample.gap.max())})


@estimator(REGRET)
def rate_ratio(sample: RegretSample, form: str = "theorem") -> Estimate:
    """The average regret (1/T) sum_t (l_t(W_t) - l_t(W^dagger)) at the theorem's step over R G / sqrt(T), every
    seed and horizon."""
    config = sample.config
    horizons = np.asarray(config.horizons, dtype=np.float64)[:, None]
    rate = evaluate(RATE_FORMS[form].subs(constants("softplus")), {R: config.radius, T: horizons,
                                                                  X: 1 + config.delta})
    average = (sample.played - sample.hindsight) / horizons
    ratios = average / rate
    figures = {f"average_regret_T{int(h)}": float(np.median(a)) for h, a in zip(horizons[:, 0], average)}
    figures["slope_in_T"] = float(np.median(slopes(config.horizons, np.maximum(average, 1e-300))))
    return every_run(ratios.ravel(), figures={"max": float(ratios.max()), **figures})


def comparators(sample: TrainingSample) -> np.ndarray:
    """Per width and seed, the lowest strong-attack robust loss among the comparators: W_0 and every run's final
    iterate (each in the ball); a lower estimate of each one's L*, so an upper bound that holds against it holds."""
    return np.minimum(sample.robust_init, sample.robust_final.min(1))


def surrogate_bounds(sample: TrainingSample) -> np.ndarray:
    """D2's right-hand side per (width, attack, seed) at the best comparator (``bounds.SURROGATE_BOUND`` less
    L*, plus L̂*)."""
    config = sample.config
    widths = np.asarray(config.widths, dtype=np.float64)
    radii = np.array([ball_radius(config, int(w)) for w in widths])[:, None, None]
    terms = (radii ** 2 / (2 * sample.alpha * config.steps) + sample.alpha / (2 * config.steps)
             * sample.grad_sq.sum(2))
    slack = evaluate(THEOREM_SLACK.subs(constants("softplus")), {R: radii, m: widths[:, None, None],
                                                                 X: 1 + config.delta})
    return comparators(sample)[:, None, :] + terms + slack


@estimator(TRAINING)
def surrogate_ratio(sample: TrainingSample, attacks: tuple = (), score: str = "surrogate") -> Estimate:
    """min_t L_A(W_t) over D2's right-hand side at the best comparator, for every seed, width and chosen attack
    (all by default).  ``score="robust_final"`` puts the strong-attack robust loss of the final iterate on the left
    instead (the planted twin: the theorem bounds the surrogate only)."""
    config = sample.config
    chosen = [i for i, a in enumerate(config.attacks) if not attacks or a in attacks]
    if config.radius is None:
        raise ValueError("the surrogate bound needs a ball (a radius)")
    if not chosen:
        return no_value(sample.units, out_of_regime=f"the claim reads training with {', '.join(attacks)}; this run "
                                                    f"trains with {', '.join(config.attacks)}")
    left = sample.loss.min(2) if score == "surrogate" else sample.robust_final
    ratios = (left / surrogate_bounds(sample))[:, chosen]
    gap = (sample.robust_final - sample.surrogate_final)[:, chosen]
    return every_run(ratios.ravel(), figures={"max": float(ratios.max()), "median": float(np.median(ratios)),
                                              "attack_gap_max": float(gap.max()),
                                              "attack_gap_median": float(np.median(gap))})


@estimator(TRAINING)
def reach_exponent(sample: TrainingSample) -> Estimate:
    """Per seed, the log-log slope in m of the best comparator's advantage over W_0, L*(W_0) - L̂*(m): how the
    function-space reach of the ball changes with the width (0 for the NTK ball).  Out of regime where the ball's
    radius changes with the width (the per_neuron twin): the claim is derived for a radius fixed in m."""
    config = sample.config
    radii = [ball_radius(config, width) for width in config.widths]
    regime = "" if len(set(radii)) == 1 else (
        f"the ball's radius changes with the width ({config.ball}: {radii[0]:.3g} at m = {config.widths[0]}, "
        f"{radii[-1]:.3g} at m = {config.widths[-1]}); the claim is derived for a radius fixed in m")
    advantage = sample.robust_init - comparators(sample)  # (widths, S)
    # an advantage within the training precision's rounding of L*(W_0) (about log 2) is not measured
    floor = max(1e-9, 16 * np.finfo(config.dtype).eps * float(np.abs(sample.robust_init).max()))
    if np.any(advantage <= floor):
        if regime:
            return no_value(sample.units, out_of_regime=regime)
        return no_value(sample.units, unreliable="no comparator beats W_0 at some width and seed, so the ball's "
                                                 "reach is not measured (a larger radius or smaller delta would)")
    return slope_estimate(config.widths, advantage, out_of_regime=regime,
                          advantage_median=float(np.median(advantage)))


@estimator(TRAINING)
def lazy_exponent(sample: TrainingSample) -> Estimate:
    """Per seed, the log-log slope in m of the relative movement ||W_T - W_0||_F / ||W_0||_F (unconstrained)."""
    relative = sample.distance[:, 0] / sample.init_norm  # (widths, S)
    frobenius = slopes(sample.config.widths, sample.distance[:, 0])
    return slope_estimate(sample.config.widths, relative, frobenius_slope=float(np.median(frobenius)),
                          distance_median=float(np.median(sample.distance[:, 0])))


def smallest_widths(success: np.ndarray, widths) -> np.ndarray:
    """Per pattern, the smallest width that memorises it: success (patterns, widths); a pattern no width memorises
    counts as twice the widest (censored, counted in the figures)."""
    widths = np.asarray(widths, dtype=np.float64)
    first = np.argmax(success, axis=1)
    return np.where(success.any(1), widths[first], 2 * widths[-1])


def m50(success: np.ndarray, widths) -> float:
    """The digest's rule: the smallest width at which at least half the patterns are memorised (inf if none)."""
    enough = np.nonzero(success.mean(0) >= 0.5)[0]
    return float(widths[enough[0]]) if enough.size else math.inf


#: bootstrap resamples of the patterns behind a capacity interval (fixed stream: the interval is reproducible)
BOOTSTRAP = 2000


def _percentile(values: np.ndarray, point: float):
    def interval(delta: float) -> stats.Interval:
        low, high = np.quantile(values, [delta / 2, 1 - delta / 2])
        return stats.Interval(point, float(low), float(high), float(np.std(values)), delta)
    return interval


@estimator(CAPACITY)
def capacity_trend(sample: CapacitySample, law: str = "ratio_grows") -> Estimate:
    """``ratio_grows``: the log-log slope in d of the mean over patterns of the smallest memorising width, robust
    over clean (robust: no strong-attack point misclassified and every forced probe labelled by its sign; clean:
    every point classified), with a bootstrap interval over patterns (the independent units); the digest's m_50
    per d is reported beside it.  ``exponential``: the planted twin "robust width >= c e^d" with c fitted at the
    smallest d, as the largest c e^d / (mean robust width) over d (at most 1 if the twin held)."""
    config = sample.config
    dims = np.asarray(config.dims, dtype=np.float64)
    robust = np.stack([smallest_widths(s, config.widths) for s in sample.robust])  # (dims, patterns)
    clean = np.stack([smallest_widths(s, config.widths) for s in sample.clean])
    figures = {**{f"m50_robust_d{int(d)}": m50(s, config.widths) for d, s in zip(dims, sample.robust)},
               **{f"m50_clean_d{int(d)}": m50(s, config.widths) for d, s in zip(dims, sample.clean)},
               **{f"mean_robust_d{int(d)}": float(r.mean()) for d, r in zip(dims, robust)},
               **{f"mean_clean_d{int(d)}": float(c.mean()) for d, c in zip(dims, clean)},
               "never_memorised": float((robust > config.widths[-1]).sum() + (clean > config.widths[-1]).sum()),
               "probe_failures": float(sample.probes_wrong.sum())}
    logs = np.log(dims) - np.log(dims).mean()

    def statistic(rob: np.ndarray, cle: np.ndarray) -> float:
        """From per-pattern widths (dims, patterns)."""
        if law == "exponential":
            c = rob[0].mean() / np.exp(dims[0])
            return float(np.max(evaluate(EXPONENTIAL_WIDTH, {c_exp: c, d_symbol: dims}) / rob.mean(1)))
        slope = float((logs * np.log(rob.mean(1) / cle.mean(1))).sum() / (logs ** 2).sum())
        return round(slope, 12)  # a constant ratio has slope 0 exactly, not a rounding error's sign

    rng = np.random.default_rng(0)
    P = config.patterns
    boot = []
    for _ in range(BOOTSTRAP):
        pick = rng.integers(0, P, (2, len(dims), P))  # patterns resampled per dimension and kind
        boot.append(statistic(np.take_along_axis(robust, pick[0], 1), np.take_along_axis(clean, pick[1], 1)))
    return Estimate(_percentile(np.asarray(boot), statistic(robust, clean)), sample.units, figures=figures)
