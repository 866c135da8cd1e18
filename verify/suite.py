"""Claims -> Monte Carlo experiments -> verdicts, with progress bars and incremental results.

Each estimator names the sample it reads (``numerics.estimators.ESTIMATORS``); samples are drawn once per
configuration and shared by every claim that reads them.  Each sample has its own seed derived from the run
seed and its configuration, so a claim gets the same numbers whether it runs alone (``--only``) or with the
whole suite.
"""
from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np
import sympy as sp
import torch

from numerics.estimate import Estimate
from numerics.estimators import ESTIMATORS
from numerics.evaluate import value
from numerics.montecarlo import sample_gaussian_norms, sample_jacobians, sample_network_norms
from numerics.stats import bonferroni, exceedance_pvalue
from numerics.training import TrainingSetup, train_adversarial
from theory.claims import Claim
from theory.network import NetworkSpec
from verify.profiles import Profile
from verify.verdict import ConfigResult, Status, Verdict, combined_status, judge, worst


#: samples small enough to keep for the whole run (the others are kept one architecture at a time)
SMALL = ("gaussian", "training")


#: parameters of training claims that choose the design (its setups), not the estimator's arguments
DESIGN_PARAMS = ("design", "p", "q")


def derive_seed(seed: int, key: str) -> int:
    """A 63-bit seed for one experiment, stable across runs, platforms and claim selections."""
    state = np.random.SeedSequence([seed, zlib.crc32(key.encode())]).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def config_values(config) -> dict:
    """Symbol values of a configuration: a NetworkSpec or TrainingSetup, a sweep of setups (its middle one),
    a (K, d) shape, or a pair of shapes (the first)."""
    from theory.symbols import K, d

    if isinstance(config, (NetworkSpec, TrainingSetup)):
        return config.values()
    if isinstance(config[0], TrainingSetup):
        return config[len(config) // 2].values()
    shape = config[0] if isinstance(config[0], tuple) else config
    return {K: shape[0], d: shape[1]}


def describe(config) -> dict:
    if isinstance(config, (NetworkSpec, TrainingSetup)):
        return config.as_dict()
    if isinstance(config[0], TrainingSetup):
        return {"sweep": [setup.as_dict() for setup in config]}
    if isinstance(config[0], tuple):
        return {"shapes": [{"K": K, "d": d} for K, d in config]}
    return {"K": config[0], "d": config[1]}


def curve(function: sp.Lambda, values: dict) -> Callable[[np.ndarray], np.ndarray]:
    """A SymPy Lambda of one variable as a numpy function, the configuration's other values substituted."""
    (variable,) = function.variables
    return np.vectorize(lambda x: value(function.expr, {**values, variable: float(x)}), otypes=[np.float64])


def _evaluated(params: tuple, values: dict, skip: tuple[str, ...] = ()) -> dict:
    """Estimator arguments: expressions evaluated at the configuration, Lambdas made functions; ``skip`` names
    the parameters that choose configurations (the suite's business, not the estimator's)."""
    out = {}
    for name, param in params:
        if name in skip:
            continue
        if isinstance(param, sp.Lambda):
            out[name] = curve(param, values)
        else:
            out[name] = value(param, values) if isinstance(param, sp.Basic) else param
    return out


def check_config(claim: Claim, config, estimate: Estimate, delta: float, units: int,
                 theory: float | None = None) -> ConfigResult:
    """Judge one claim at one configuration from its estimate (``theory``: the rhs there, if already known)."""
    values = config_values(config)
    theory = value(claim.rhs, values) if theory is None else theory
    tolerance = value(claim.tolerance, values)
    interval = estimate.interval(delta)
    p_value = estimate.p_value
    if claim.comparison in ("ratio", "at_most"):
        if not theory > 0:
            raise ValueError(f"{claim.id}: comparing by ratio needs a positive right-hand side, got {theory}")
        compared = interval.scaled(1.0 / theory)
    elif claim.comparison == "difference":
        compared = interval.shifted(-theory)
    else:
        compared = interval
    if claim.comparison == "rate_at_most":
        k, n = estimate.exceedances
        p_value = exceedance_pvalue(k, n, theory)
    extras = dict(estimate.extras)
    iid = estimate.iid_interval(delta)
    if iid is not None and iid.se > 0:
        extras["iid_ci_low"], extras["iid_ci_high"] = iid.low / theory, iid.high / theory
        extras["design_effect"] = (interval.se / iid.se) ** 2
    status = judge(compared, tolerance, claim.comparison, expected_sign=theory, p_value=p_value, delta=delta)
    return ConfigResult(
        config=describe(config), status=status, comparison=claim.comparison, statistic=compared.estimate,
        ci_low=compared.low, ci_high=compared.high, tolerance=tolerance, n_samples=estimate.n_samples,
        units=units, measured=interval.estimate, theory=theory, p_value=p_value, extras=extras,
        figures=dict(estimate.figures),
    )


def _notes(claim: Claim, results: list[ConfigResult], family_delta: float, test_delta: float) -> str:
    """The verdict's notes; intervals are family-wise at 1 - family_delta, each test at test_delta."""
    speaker = worst(results)
    parts = []
    if claim.comparison in ("ratio", "difference", "at_most"):
        parts.append(f"tolerance tau = {claim.tolerance} = {speaker.tolerance:.4g} at the reported config")
    if claim.comparison == "rate_at_most":
        parts.append(f"exact binomial test of the exceedance rate against {speaker.theory:.3g} at level "
                     f"{test_delta:g}")
    else:
        parts.append(f"{1 - family_delta:g} family-wise interval over {len(results)} config(s) (Bonferroni)")
    if "design_effect" in speaker.extras:
        parts.append(f"i.i.d.-entries chi-square interval [{speaker.extras['iid_ci_low']:.4g}, "
                     f"{speaker.extras['iid_ci_high']:.4g}], design effect {speaker.extras['design_effect']:.3g}")
    if speaker.p_value is not None:
        parts.append(f"p-value {speaker.p_value:.3g}")
    if speaker.figures:
        parts.append("figures: " + ", ".join(f"{k} {v:.4g}" for k, v in speaker.figures.items()))
    parts.append(f"regime: {claim.regime}")
    parts.extend(regime_map(results))
    return "; ".join(parts)


def _flat(config: dict) -> dict:
    """A configuration's settings in one level (a training setup's spec merged in)."""
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


def smallest_violation(results: list[ConfigResult]) -> dict | None:
    """The violating configuration with the fewest matrix entries (K d), then the smallest K."""
    violated = [r for r in results if r.status is Status.VIOLATED and "K" in r.config]
    if not violated:
        return None
    best = min(violated, key=lambda r: (r.config["K"] * r.config["d"], r.config["K"]))
    return {**best.config, "statistic": best.statistic, "ci_low": best.ci_low, "ci_high": best.ci_high}


@dataclass
class Suite:
    """Runs claims under a profile; ``on_verdict`` receives each verdict as soon as it exists."""

    profile: Profile
    seed: int
    device: str
    on_verdict: Callable[[Verdict], None] = lambda verdict: None
    progress: Callable[[str, int], Callable[[int], None]] | None = None
    _samples: dict = field(default_factory=dict)

    def training_runs(self) -> dict:
        """Every adversarial-training run of this suite so far, by its setup (for the dynamics figures)."""
        return {key[2]: sample for key, sample in self._samples.items() if key[0] == "training"}

    def configs(self, claim: Claim) -> list:
        """The configurations a claim is checked at, from the profile."""
        sampler = ESTIMATORS[claim.quantity][0]
        norms = self.profile.norms
        params = dict(claim.params)
        if sampler in ("training", "training_sweep"):
            return self.profile.dynamics.design(params["design"], claim.arch, params.get("p", 2), params.get("q", 2))
        if sampler == "jacobian":
            return self.profile.specs(claim.arch)
        if sampler == "network_norms":
            return self.profile.norm_specs(claim.arch)
        if sampler == "gaussian_pair":
            if params["axis"] == "d":
                return [((K, lo), (K, hi)) for K, lo, hi in norms.d_trends]
            return [((lo, d), (hi, d)) for d, lo, hi in norms.K_trends]
        return list(norms.seed_shapes if claim.quantity == "gaussian_beta" else norms.beta_shapes)

    def _cached(self, key: tuple, label: str, total: int, draw: Callable):
        if key not in self._samples:
            if key[0] not in SMALL:  # network samples are large: keep one architecture's at a time
                self._samples = {k: v for k, v in self._samples.items() if k[0] in SMALL or k[1] == key[1]}
            advance = self.progress(label, total) if self.progress else None
            self._samples[key] = draw(advance)
            if advance is not None and key[0] == "gaussian":
                advance(total)
        return self._samples[key]

    def sample(self, sampler: str, config, index: int):
        p, norms = self.profile, self.profile.norms
        if sampler == "jacobian":
            return self._cached(
                ("jacobian", config.arch, index), f"sampling {p.networks} {config.arch} networks (config {index + 1})",
                p.networks, lambda advance: sample_jacobians(
                    config, p.networks, p.input_scales, seed=derive_seed(self.seed, f"jacobian/{config.arch}/{index}"),
                    chunk=p.chunk, device=self.device, dtype=getattr(torch, p.dtype), progress=advance))
        if sampler == "network_norms":
            return self._cached(
                ("norms", config.arch, index), f"operator norms and PGD of {norms.networks} {config.arch} networks",
                norms.networks, lambda advance: sample_network_norms(
                    config, norms.networks, norms.inputs, norms.pgd_networks, norms.pgd_steps, norms.pgd_restarts,
                    norms.eps_fraction, norms.reference_draws, seed=derive_seed(self.seed, f"norms/{config.arch}"),
                    chunk=p.chunk, device=self.device, progress=advance))
        if sampler == "gaussian_pair":
            return tuple(self.sample("gaussian", shape, index) for shape in config)
        if sampler == "training_sweep":
            return tuple(self.sample("training", setup, index) for setup in config)
        if sampler == "training":
            dyn = p.dynamics
            return self._cached(
                ("training", config.spec.arch, config),
                f"adversarial training of {dyn.networks} {config.spec.arch} networks (N={config.spec.N}, "
                f"L={config.spec.L}, eta={config.eta:g}, {config.regime})", config.steps,
                lambda advance: train_adversarial(config, dyn.networks, seed=derive_seed(self.seed, f"training/{config!r}"),
                                                  device=self.device, progress=advance))
        K, d = config
        return self._cached(
            ("gaussian", K, d), f"norms of {norms.gaussian_draws} Gaussian {K}x{d} matrices", norms.gaussian_draws,
            lambda advance: sample_gaussian_norms(K, d, norms.gaussian_draws,
                                                  seed=derive_seed(self.seed, f"gaussian/{K}/{d}")))

    def check(self, claim: Claim) -> Verdict:
        start = time.perf_counter()
        if claim.quantity not in ESTIMATORS:
            raise KeyError(f"{claim.id}: no estimator named {claim.quantity!r}")
        sampler, estimator = ESTIMATORS[claim.quantity]
        configs = self.configs(claim)
        delta = bonferroni(self.profile.delta, len(configs))
        results = []
        for index, config in enumerate(configs):
            theory = value(claim.rhs, config_values(config))
            if not np.isfinite(theory):
                raise ValueError(f"{claim.id}: the right-hand side is not a finite number at {describe(config)}")
            sample = self.sample(sampler, config, index)
            params = _evaluated(claim.params, config_values(config),
                                skip=DESIGN_PARAMS if sampler.startswith("training") else ())
            estimate = estimator(sample, **params)
            units = sum(s.units for s in sample) if isinstance(sample, tuple) else sample.units
            results.append(check_config(claim, config, estimate, delta, units, theory))
        speaker = worst(results)
        return Verdict(
            claim_id=claim.id, status=combined_status(results), statistic=speaker.statistic,
            ci_low=speaker.ci_low, ci_high=speaker.ci_high, tolerance=speaker.tolerance,
            n_samples=sum(r.n_samples for r in results), configs=[vars(r).copy() for r in results],
            seed=self.seed, device=self.device, seconds=time.perf_counter() - start,
            notes=_notes(claim, results, self.profile.delta, delta), kind=claim.kind, comparison=claim.comparison,
            statement=claim.statement, delta=self.profile.delta, p_value=speaker.p_value,
            figures=dict(speaker.figures), smallest_violation=smallest_violation(results),
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
