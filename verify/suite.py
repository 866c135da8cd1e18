"""Claims -> Monte Carlo experiments -> verdicts, with progress bars and incremental results.

All Theorem 4.1 claims of one architecture and configuration read the same sample of networks, drawn once.
Each (architecture, configuration) has its own seed derived from the run seed, so a claim gets the same
numbers whether it runs alone (``--only``) or with the whole suite.
"""
from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np
import torch

from numerics.estimators import ESTIMATORS, Estimate
from numerics.evaluate import value
from numerics.montecarlo import JacobianSample, sample_jacobians
from numerics.stats import bonferroni
from theory.claims import Claim
from theory.network import NetworkSpec
from verify.profiles import Profile
from verify.verdict import ConfigResult, Verdict, combined_status, judge, worst


def derive_seed(seed: int, key: str) -> int:
    """A 63-bit seed for one experiment, stable across runs, platforms and claim selections."""
    state = np.random.SeedSequence([seed, zlib.crc32(key.encode())]).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def check_config(claim: Claim, spec: NetworkSpec, estimate: Estimate, delta: float, networks: int) -> ConfigResult:
    """Judge one claim at one configuration from its estimate."""
    values = spec.values()
    theory = value(claim.rhs, values)
    tolerance = value(claim.tolerance, values)
    interval = estimate.interval(delta)
    if claim.comparison == "ratio":
        if not theory > 0:
            raise ValueError(f"{claim.id}: a ratio claim needs a positive right-hand side, got {theory}")
        compared = interval.scaled(1.0 / theory)
    else:
        compared = interval.shifted(-theory)
    extras = dict(estimate.extras)
    iid = estimate.iid_interval(delta)
    if iid is not None and iid.se > 0:
        extras["iid_ci_low"], extras["iid_ci_high"] = iid.low / theory, iid.high / theory
        extras["design_effect"] = (interval.se / iid.se) ** 2
    return ConfigResult(
        config=spec.as_dict(), status=judge(compared, tolerance, claim.comparison), comparison=claim.comparison,
        statistic=compared.estimate, ci_low=compared.low, ci_high=compared.high, tolerance=tolerance,
        n_samples=estimate.n_samples, networks=networks, measured=interval.estimate, theory=theory,
        p_value=estimate.p_value, extras=extras,
    )


def _notes(claim: Claim, results: list[ConfigResult], delta: float) -> str:
    speaker = worst(results)
    parts = [
        f"tolerance tau = {claim.tolerance} (finite width) = {speaker.tolerance:.4g} at the reported config",
        f"{1 - delta:g} family-wise interval: jackknife over {speaker.networks} networks per config, "
        f"Bonferroni over {len(results)} config(s)",
    ]
    if "design_effect" in speaker.extras:
        parts.append(f"i.i.d.-entries chi-square interval [{speaker.extras['iid_ci_low']:.4g}, "
                     f"{speaker.extras['iid_ci_high']:.4g}], design effect {speaker.extras['design_effect']:.3g}")
    if speaker.p_value is not None:
        parts.append(f"KS p-value {speaker.p_value:.3g}")
    parts.append(f"regime: {claim.regime}")
    return "; ".join(parts)


@dataclass
class Suite:
    """Runs claims under a profile; ``on_verdict`` receives each verdict as soon as it exists."""

    profile: Profile
    seed: int
    device: str
    on_verdict: Callable[[Verdict], None] = lambda verdict: None
    progress: Callable[[str, int], Callable[[int], None]] | None = None
    _samples: dict = field(default_factory=dict)

    def sample(self, spec: NetworkSpec, index: int) -> JacobianSample:
        key = (spec.arch, index)
        if key not in self._samples:
            self._samples = {k: v for k, v in self._samples.items() if k[0] == spec.arch}
            label = f"sampling {self.profile.networks} {spec.arch} networks (config {index + 1})"
            advance = self.progress(label, self.profile.networks) if self.progress else None
            self._samples[key] = sample_jacobians(
                spec, self.profile.networks, self.profile.input_scales,
                seed=derive_seed(self.seed, f"jacobian/{spec.arch}/{index}"), chunk=self.profile.chunk,
                device=self.device, dtype=getattr(torch, self.profile.dtype), progress=advance)
        return self._samples[key]

    def check(self, claim: Claim) -> Verdict:
        start = time.perf_counter()
        if claim.quantity not in ESTIMATORS:
            raise KeyError(f"{claim.id}: no estimator named {claim.quantity!r}")
        specs = self.profile.specs(claim.arch)
        delta = bonferroni(self.profile.delta, len(specs))
        results = []
        for index, spec in enumerate(specs):
            estimate = ESTIMATORS[claim.quantity](self.sample(spec, index))
            results.append(check_config(claim, spec, estimate, delta, self.profile.networks))
        speaker = worst(results)
        return Verdict(
            claim_id=claim.id, status=combined_status(results), statistic=speaker.statistic,
            ci_low=speaker.ci_low, ci_high=speaker.ci_high, tolerance=speaker.tolerance,
            n_samples=sum(r.n_samples for r in results), configs=[vars(r).copy() for r in results],
            seed=self.seed, device=self.device, seconds=time.perf_counter() - start,
            notes=_notes(claim, results, self.profile.delta), kind=claim.kind, comparison=claim.comparison,
            statement=claim.statement, delta=self.profile.delta,
            p_value=speaker.p_value,
        )

    def run(self, claims: Iterable[Claim]) -> list[Verdict]:
        verdicts = []
        claims = list(claims)
        archs = list(dict.fromkeys(c.arch for c in claims))  # first-appearance order; groups share samples
        for claim in sorted(claims, key=lambda c: archs.index(c.arch)):
            verdict = self.check(claim)
            verdicts.append(verdict)
            self.on_verdict(verdict)
        return verdicts
