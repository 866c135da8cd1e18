"""Property-test a new bound: Hypothesis hunts for a configuration where a measured quantity exceeds it.

Each example samples one network of a drawn configuration and measures, at a random input x (||x|| = sqrt(d)):
- ``jacobian_opnorm``: ||J(x)||_{p->q}, exact where tractable, else the certified lower end of the sandwich;
- ``adv_loss``: the PGD value of max_{||eta||_p <= eps} ||f(x + eta) - f(x)||_q with eps = eps_fraction ||x||_p.
Both are lower estimates of the true quantity, so an exceedance is a real counterexample.  ``target()`` on
measured/bound steers the search toward violations; a counterexample is shrunk to a minimal configuration.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import sympy as sp
import torch
from hypothesis import HealthCheck, Phase, given, settings, target
from hypothesis import seed as hypothesis_seed

from numerics.attacks import pgd
from numerics.evaluate import value
from numerics.jacobian import jacobian_and_bias
from numerics.montecarlo import fixed_inputs
from numerics.networks import sample_networks
from numerics.opnorms import norm_order, opnorm, vector_norm
from theory.network import ARCHITECTURES, NetworkSpec
from theory.symbols import eps
from verify.expr import ExpressionError, parse_bound
from verify.strategies import NORMS, AttackConfig, attack_configs

QUANTITIES = ("jacobian_opnorm", "adv_loss")
DEFAULT_DOMAIN: dict[str, tuple[float, float]] = {
    "d": (2, 16), "K": (1, 8), "N": (64, 256), "L": (1, 6), "sigma_w2": (0.5, 2.5), "sigma_b2": (0.0, 0.5),
    "u": (0.5, 1.5), "v": (-0.5, 0.5), "eps_fraction": (0.01, 0.25),
}
INTEGER_KEYS = {"d", "K", "N", "L"}
FLOAT_TOLERANCE = 1e-9  # relative: exceedances smaller than this are rounding, not counterexamples


class CheckError(ValueError):
    """Bad options for a bound check (one sentence)."""


@dataclass
class CheckResult:
    """What a bound check found: the counterexample (shrunk), or how hard it looked and how close it came."""

    status: str  # "counterexample" or "no counterexample"
    expression: str
    quantity: str
    p: str
    q: str
    arch: str
    examples: int  # configurations evaluated (search and shrinking)
    largest_ratio: float  # max of measured / bound over every configuration evaluated
    largest_config: dict | None
    seconds: float
    domain: dict
    config: dict | None = None  # the shrunk counterexample
    observed: float | None = None
    bound: float | None = None
    ratio: float | None = None
    seed: int = 0

    @property
    def found(self) -> bool:
        return self.status == "counterexample"

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class _Counterexample(Exception):
    config: dict
    observed: float
    bound: float
    ratio: float = field(default=0.0)


def parse_domain(pairs: list[str], base: dict | None = None) -> dict[str, tuple[float, float]]:
    """``["N=64:512", "L=2:2"]`` narrows or widens the default sampling domain."""
    domain = dict(base or DEFAULT_DOMAIN)
    for pair in pairs:
        key, sep, span = pair.partition("=")
        key = key.strip()
        if not sep or key not in DEFAULT_DOMAIN:
            raise CheckError(f"--domain expects KEY=LO:HI with KEY one of {', '.join(DEFAULT_DOMAIN)}, got {pair!r}")
        lo, colon, hi = span.partition(":")
        try:
            low, high = float(lo), float(hi if colon else lo)
        except ValueError:
            raise CheckError(f"--domain {key} needs numbers LO:HI, got {span!r}") from None
        if not (math.isfinite(low) and math.isfinite(high)) or low > high:
            raise CheckError(f"--domain {key} needs finite LO <= HI, got {span!r}")
        if key in INTEGER_KEYS and (low != int(low) or high != int(high) or low < 1):
            raise CheckError(f"--domain {key} needs positive integers, got {span!r}")
        domain[key] = (int(low), int(high)) if key in INTEGER_KEYS else (low, high)
    for key in ("sigma_w2", "eps_fraction"):
        if domain[key][0] <= 0:
            raise CheckError(f"--domain {key} must stay above 0, got {domain[key][0]}")
    if domain["sigma_b2"][0] < 0:
        raise CheckError(f"--domain sigma_b2 must stay >= 0, got {domain['sigma_b2'][0]}")
    return domain


def measure(config: AttackConfig, quantity: str) -> tuple[float, float]:
    """(measured quantity, eps) for one configuration: a lower estimate of the true value."""
    spec, p, q = config.spec, norm_order(config.p), norm_order(config.q)
    generator = torch.Generator().manual_seed(config.seed)
    net = sample_networks(spec, 1, generator)
    x = fixed_inputs(spec.d, [1.0], generator)
    radius = config.eps_fraction * vector_norm(x[0], p).item()
    if quantity == "jacobian_opnorm":
        J, _ = jacobian_and_bias(net, x)
        return opnorm(J[:, 0], p, q, generator=generator).low.item(), radius
    return pgd(net, x, radius, p, q, steps=20, restarts=8, generator=generator).value.item(), radius


def describe(config: AttackConfig) -> dict:
    return {**{k: v for k, v in config.spec.as_dict().items() if k != "arch"},
            "eps_fraction": config.eps_fraction, "seed": config.seed}


def config_from(values: dict, arch: str, p: str, q: str) -> AttackConfig:
    """An AttackConfig from ``describe``'s keys (the reproduction path of ``--at``)."""
    try:
        spec = NetworkSpec(arch=arch, **{k: (int(values[k]) if k in INTEGER_KEYS else float(values[k]))
                                         for k in ("d", "K", "N", "L", "sigma_w2", "sigma_b2", "u", "v")})
        return AttackConfig(spec, p, q, float(values["eps_fraction"]), int(values["seed"]))
    except KeyError as err:
        raise CheckError(f"--at is missing {err.args[0]}") from None
    except (TypeError, ValueError) as err:
        raise CheckError(f"--at has a bad value: {err}") from None


def validate(quantity: str, p, q, arch: str, examples: int) -> tuple[str, str]:
    """Refuse bad options (CheckError); returns (p, q) as the strings claim ids use."""
    p, q = str(p).replace("inf", "oo"), str(q).replace("inf", "oo")
    if quantity not in QUANTITIES:
        raise CheckError(f"--quantity must be one of {', '.join(QUANTITIES)}, got {quantity!r}")
    for name, r in (("p", p), ("q", q)):
        if r not in NORMS:
            raise CheckError(f"--{name} must be one of {', '.join(NORMS)}, got {r!r}")
    if arch not in ARCHITECTURES:
        raise CheckError(f"--arch must be one of {', '.join(ARCHITECTURES)}, got {arch!r}")
    if examples < 1:
        raise CheckError(f"--examples must be >= 1, got {examples}")
    return p, q


def evaluate_bound(bound: sp.Expr | str, config: AttackConfig, quantity: str,
                   arch: str | None = None) -> tuple[float, float, float]:
    """(measured, bound, measured/bound) at one configuration; ``bound`` may be text for ``parse_bound``."""
    if isinstance(bound, str):
        bound = parse_bound(bound, arch or config.spec.arch)
    observed, radius = measure(config, quantity)
    limit = value(bound, {**config.spec.values(), eps: radius})
    if math.isnan(limit):
        raise CheckError(f"the bound is not a number at {describe(config)}")
    ratio = observed / limit if limit > 0 else math.inf
    return observed, limit, ratio


def check_bound(expr: str, quantity: str, p, q, arch: str = "vanilla", examples: int = 200, seed: int = 0,
                domain: dict | None = None, at: dict | None = None) -> CheckResult:
    """Search for a configuration where ``quantity`` exceeds the bound ``expr`` (see the module docstring).

    With ``at`` (a configuration as printed in a result), evaluate that one configuration instead.
    """
    p, q = validate(quantity, p, q, arch, examples)
    bound = parse_bound(expr, arch)
    domain = dict(domain or DEFAULT_DOMAIN)
    start = time.perf_counter()
    state = {"examples": 0, "largest": -math.inf, "largest_config": None}

    def run(config: AttackConfig) -> None:
        observed, limit, ratio = evaluate_bound(bound, config, quantity)
        state["examples"] += 1
        if ratio > state["largest"]:
            state["largest"], state["largest_config"] = ratio, describe(config)
        if at is None:
            target(min(ratio, 1e6), label="measured / bound")
        if observed > limit * (1 + FLOAT_TOLERANCE):
            raise _Counterexample(describe(config), observed, limit, ratio)

    def result(found: _Counterexample | None) -> CheckResult:
        common = dict(expression=expr, quantity=quantity, p=p, q=q, arch=arch, examples=state["examples"],
                      largest_ratio=state["largest"], largest_config=state["largest_config"],
                      seconds=time.perf_counter() - start, domain=domain, seed=seed)
        if found is None:
            return CheckResult(status="no counterexample", **common)
        return CheckResult(status="counterexample", config=found.config, observed=found.observed,
                           bound=found.bound, ratio=found.ratio, **common)

    try:
        if at is not None:
            run(config_from(at, arch, p, q))
        else:
            ranges = {k: v for k, v in domain.items() if k != "eps_fraction"}
            strategy = attack_configs(eps_fraction=domain["eps_fraction"], archs=(arch,), norms=((p, q),), **ranges)
            search = settings(max_examples=examples, database=None, deadline=None, derandomize=False,
                              phases=[Phase.generate, Phase.target, Phase.shrink], print_blob=False,
                              suppress_health_check=list(HealthCheck))(hypothesis_seed(seed)(given(strategy)(run)))
            search()
    except _Counterexample as found:
        return result(found)
    return result(None)


__all__ = ["CheckError", "CheckResult", "DEFAULT_DOMAIN", "ExpressionError", "QUANTITIES", "check_bound",
           "evaluate_bound", "parse_domain"]
