"""Samples -> intervals -> verdicts: the judge of a claim at each of its points, and the claim's verdict.

The judge names no experiment: it reads a point's theory values and description from the experiment that drew
it, and the estimator's arguments from the claim (SymPy expressions evaluated at the point, Lambdas made numpy
functions).
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp

from numerics.backends import curve, value
from numerics.estimate import Estimate
from numerics.experiment import Estimator, Experiment, Sweep
from theory.claims import Claim
from theory.comparisons import COMPARISONS
from verify.verdict import ConfigResult, Status, Verdict, combined_status, worst


def point_values(experiment: Experiment, point) -> dict:
    """The theory side's substitution map at a point (a Sweep's chosen configuration)."""
    return experiment.values(point.chosen if isinstance(point, Sweep) else point)


def point_description(experiment: Experiment, point) -> dict:
    if isinstance(point, Sweep):
        return {"sweep": [experiment.describe(config) for config in point.configs]}
    return experiment.describe(point)


def estimator_arguments(claim: Claim, estimator: Estimator, values: dict) -> dict:
    """The claim's params that the estimator accepts, evaluated at the point (the rest choose configurations)."""
    out = {}
    for name, param in claim.params:
        if name not in estimator.params:
            continue
        if isinstance(param, sp.Lambda):
            out[name] = curve(param, values)
        else:
            out[name] = value(param, values) if isinstance(param, sp.Basic) else param
    return out


def theory_value(claim: Claim, experiment: Experiment, point) -> float:
    """The claim's right-hand side at a point, checked against its comparison (before any sampling).

    A non-finite value, a value the comparison refuses (a ratio against a value that is not positive), or a
    negative tolerance is an error in the claim at that configuration, not a verdict.
    """
    values = point_values(experiment, point)
    if not claim.comparison.has_tolerance:  # the rhs states the null law; the test's p-value decides
        if not value(claim.tolerance, values) == 0:
            raise ValueError(f"{claim.id}: a test has no tolerance (its level is its error budget)")
        return 0.0
    theory = value(claim.rhs, values)
    where = point_description(experiment, point)
    if not np.isfinite(theory):
        raise ValueError(f"{claim.id}: the right-hand side is not a finite number at {where}")
    refusal = claim.comparison.refusal(theory)
    if refusal:
        raise ValueError(f"{claim.id}: {refusal} at {where}")
    if not value(claim.tolerance, values) >= 0:
        raise ValueError(f"{claim.id}: the tolerance is not a non-negative number at {where}")
    return theory


def check_config(claim: Claim, experiment: Experiment, point, estimate: Estimate, delta: float, units: int,
                 theory: float | None = None) -> ConfigResult:
    """Judge one claim at one point from its estimate (``theory``: the rhs there, if already known)."""
    theory = theory_value(claim, experiment, point) if theory is None else theory
    comparison = claim.comparison
    tolerance = value(claim.tolerance, point_values(experiment, point))
    interval = estimate.interval(delta)
    scale, shift = comparison.scale(theory), comparison.shift(theory)  # the statistic in the band's units
    compared = interval.scaled(scale).shifted(shift)
    p_value = comparison.p_value(estimate, theory)
    extras = dict(estimate.extras)
    estimate, examined = comparison.examined(estimate, delta)
    extras.update(examined)
    iid = estimate.iid_interval(delta)
    if iid is not None and iid.se > 0:
        extras["iid_ci_low"], extras["iid_ci_high"] = iid.low / theory, iid.high / theory
        extras["design_effect"] = (interval.se / iid.se) ** 2
    if interval.se == 0:
        extras["envelope"] = True  # a range or maximum over draws, not an interval at an error level (rounds.stops)
    status = comparison.judge(compared.low, compared.high, tolerance, theory, p_value, delta)
    if estimate.runs is not None:
        low, high = comparison.band(tolerance, theory)
        scaled = np.asarray(estimate.runs) * scale + shift
        extras["runs"], extras["runs_outside"] = len(scaled), int(np.sum((scaled < low) | (scaled > high)))
    status, reason = overridden(estimate, status)
    return ConfigResult(
        config=point_description(experiment, point), status=status, comparison=comparison.name,
        statistic=compared.estimate, ci_low=compared.low, ci_high=compared.high, tolerance=tolerance,
        n_samples=estimate.n_samples, units=units, measured=interval.estimate, theory=theory, p_value=p_value,
        extras=extras, figures=dict(estimate.figures),
        reason=reason,
    )


def overridden(estimate: Estimate, status: Status) -> tuple[Status, str]:
    """The status and its reason where the estimate says the interval alone must not decide: a failed reference
    (first: it also leaves the regime unmeasured), a sample outside the claim's regime, or a sample that cannot
    support HOLDS (a violation stands)."""
    if estimate.unreliable:
        return Status.INCONCLUSIVE, f"undecidable: {estimate.unreliable}"
    if estimate.out_of_regime:
        return Status.OUT_OF_REGIME, f"out of regime: {estimate.out_of_regime}"
    if estimate.weak and status is Status.HOLDS:
        return Status.INCONCLUSIVE, f"cannot support HOLDS: {estimate.weak}"
    return status, ""


def notes(claim: Claim, results: list[ConfigResult], family_delta: float, test_delta: float) -> str:
    """The verdict's notes; intervals are family-wise at 1 - family_delta, each test at test_delta."""
    speaker = worst(results)
    parts = claim.comparison.notes(speaker, str(claim.tolerance), test_delta)
    if claim.comparison.by_interval:
        parts.append(interval_note(speaker, len(results), family_delta))
    if "ladder" in speaker.extras:
        parts.append(ladder_note(speaker))
    if "design_effect" in speaker.extras:
        parts.append(f"i.i.d.-entries chi-square interval [{speaker.extras['iid_ci_low']:.4g}, "
                     f"{speaker.extras['iid_ci_high']:.4g}], design effect {speaker.extras['design_effect']:.3g}")
    if speaker.p_value is not None:
        parts.append(f"p-value {speaker.p_value:.3g}")
    if speaker.reason:
        parts.append(speaker.reason)
    elif speaker.status is Status.INCONCLUSIVE and "runs" not in speaker.extras:
        parts.append(undecided(speaker))
    if speaker.figures:
        parts.append("figures: " + ", ".join(f"{k} {v:.4g}" for k, v in speaker.figures.items()))
    parts.append(f"regime: {claim.regime}")
    parts.extend(regime_map(results))
    return "; ".join(parts)


def interval_note(speaker: ConfigResult, configs: int, family_delta: float) -> str:
    """What the interval that decided is: the range over runs, or family-wise over the configurations."""
    if "runs" in speaker.extras:
        return (f"interval: the range over {speaker.extras['runs']} runs (seeds x settings), HOLDS when every run "
                f"lies in the band, VIOLATED when none does; {speaker.extras['runs_outside']} outside at the reported "
                f"config")
    return f"{1 - family_delta:g} family-wise interval over {configs} config(s) (Bonferroni)"


def ladder_note(result: ConfigResult) -> str:
    """The finite-width map beneath a limit verdict: each rung's value (in the band's units) with its standard
    error, and what the extrapolated value is."""
    scale = COMPARISONS[result.comparison].scale(result.theory)
    rungs = ", ".join(f"N={n} {value * scale:.4g} +- {se * abs(scale):.2g}" for n, value, se in
                      zip(result.extras["ladder"], result.extras["rung_values"], result.extras["rung_ses"]))
    return (f"the statistic is the N -> oo limit r_inf + c N^-gamma fitted to the rungs (each its own networks; "
            f"errors by resampling networks within rungs); finite-width map: {rungs}")


def undecided(result: ConfigResult) -> str:
    """Why an INCONCLUSIVE result is undecided, and about how many units would decide it.

    The interval's half-width shrinks like 1/sqrt(units): if the estimate stays where it is, the interval clears
    the band edge it straddles once the units grow by (half-width / distance to the edge)^2.
    """
    low, high = COMPARISONS[result.comparison].band(result.tolerance, result.theory)
    edge = next(e for e in (low, high) if math.isfinite(e) and result.ci_low <= e <= result.ci_high)
    distance, half = abs(result.statistic - edge), (result.ci_high - result.ci_low) / 2
    if distance == 0:
        return f"undecided: the estimate sits on the band's edge {edge:.4g}, which no sample size decides"
    factor = (half / distance) ** 2
    if not math.isfinite(factor * result.units):  # an interval without bounds (a deep tail on a few networks)
        return f"undecided: the interval straddles the band's edge {edge:.4g} and has no finite width to scale"
    verdict_then = "HOLDS" if low <= result.statistic <= high else "VIOLATED"
    return (f"undecided: the interval straddles the band's edge {edge:.4g}; if the estimate stays at "
            f"{result.statistic:.4g}, about {factor:.2g}x the units ({math.ceil(result.units * factor)}) would make "
            f"it {verdict_then}")


def _flat(config: dict) -> dict:
    """A configuration's settings in one level (a nested spec merged in)."""
    return {**{k: v for k, v in config.items() if k != "spec"}, **config.get("spec", {})}


def regime_map(results: list[ConfigResult]) -> list[str]:
    """Where the claim held and where it did not, naming only the settings that vary between configurations."""
    if len(results) < 2:
        return []
    flats = [_flat(r.config) for r in results]
    varying = [k for k in flats[0] if any(f.get(k) != flats[0][k] for f in flats)]
    out = []
    for status in Status:
        where = [", ".join(f"{k}={f[k]:.4g}" if isinstance(f[k], float) else f"{k}={f[k]}" for k in varying)
                 for r, f in zip(results, flats) if r.status is status]
        if where:
            out.append(f"{status.value.lower()} at " + " | ".join(where))
    return out


def smallest_violation(experiment: Experiment, points: list, results: list[ConfigResult]) -> dict | None:
    """The violating configuration that the experiment orders smallest (e.g. fewest matrix entries)."""
    violated = [(experiment.magnitude(point), r) for point, r in zip(points, results)
                if r.status is Status.VIOLATED and not isinstance(point, Sweep) and experiment.magnitude(point)]
    if not violated:
        return None
    _, best = min(violated, key=lambda item: item[0])
    return {**best.config, "statistic": best.statistic, "ci_low": best.ci_low, "ci_high": best.ci_high}


def units_of(sample) -> int:
    return sum(s.units for s in sample) if isinstance(sample, tuple) else sample.units


def verdict(claim: Claim, experiment: Experiment, estimator: Estimator, points: list, samples: list,
            theories: list[float], delta: float, test_delta: float, seed: int, device: str,
            seconds: float) -> Verdict:
    """The claim's verdict from one sample per point (a tuple of samples for a Sweep) and the right-hand side
    at each point (``theory_value``, computed when the claim was planned)."""
    results = []
    for point, sample, theory in zip(points, samples, theories):
        estimate = estimator(sample, **estimator_arguments(claim, estimator, point_values(experiment, point)))
        results.append(check_config(claim, experiment, point, estimate, test_delta, units_of(sample), theory))
    speaker = worst(results)
    return Verdict(
        claim_id=claim.id, status=combined_status(results), statistic=speaker.statistic,
        ci_low=speaker.ci_low, ci_high=speaker.ci_high, tolerance=speaker.tolerance,
        n_samples=sum(r.n_samples for r in results), configs=[vars(r).copy() for r in results],
        seed=seed, device=device, seconds=seconds, notes=notes(claim, results, delta, test_delta),
        kind=claim.kind, comparison=claim.comparison.name, statement=claim.statement, delta=delta,
        p_value=speaker.p_value, figures=dict(speaker.figures), provenance=claim.provenance,
        smallest_violation=smallest_violation(experiment, points, results),
    )
