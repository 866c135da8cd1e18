"""Property-test a new bound: Hypothesis hunts for a configuration where a measured quantity exceeds it.

The quantities are registered by the papers' columns (``numerics.experiment.BoundQuantity``): each measures, at
one configuration drawn from its domain, a lower estimate of the true quantity, so an exceedance is a real
counterexample.  ``target()`` on measured/bound steers the search toward violations; a counterexample is shrunk
to a minimal configuration.  The bound is parsed in the vocabulary of the quantity's paper (``verify.expr``).
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import sympy as sp
from hypothesis import HealthCheck, Phase, given, settings, target
from hypothesis import seed as hypothesis_seed

from numerics.backends import value
from numerics.experiment import BOUND_QUANTITIES, BoundQuantity, RegistrationError
from numerics.papers import load_all
from theory.claims import BoundVocabulary
from theory.papers import quantities, vocabulary
from verify.expr import ExpressionError, parse_bound

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


def quantity_of(name: str) -> tuple[BoundQuantity, BoundVocabulary]:
    """The registered quantity and its paper's vocabulary, or a CheckError listing the quantities."""
    words = vocabulary(name)
    if words is None:
        raise CheckError(f"--quantity must be one of {', '.join(quantities())}, got {name!r}")
    load_all()
    if name not in BOUND_QUANTITIES:
        raise RegistrationError(f"check-bound quantity {name!r} has a vocabulary but no paper column measures it")
    return BOUND_QUANTITIES[name], words


def parse_domain(pairs: list[str], quantity: str = "adv_loss") -> dict[str, tuple[float, float]]:
    """``["N=64:512", "L=2:2"]`` narrows or widens the quantity's default sampling domain."""
    found, _ = quantity_of(quantity)
    domain = dict(found.domain)
    for pair in pairs:
        key, sep, span = pair.partition("=")
        key = key.strip()
        if not sep or key not in found.domain:
            raise CheckError(f"--domain expects KEY=LO:HI with KEY one of {', '.join(found.domain)}, got {pair!r}")
        lo, colon, hi = span.partition(":")
        try:
            low, high = float(lo), float(hi if colon else lo)
        except ValueError:
            raise CheckError(f"--domain {key} needs numbers LO:HI, got {span!r}") from None
        if not (math.isfinite(low) and math.isfinite(high)) or low > high:
            raise CheckError(f"--domain {key} needs finite LO <= HI, got {span!r}")
        if key in found.integer_keys and (low != int(low) or high != int(high) or low < 1):
            raise CheckError(f"--domain {key} needs positive integers, got {span!r}")
        domain[key] = (int(low), int(high)) if key in found.integer_keys else (low, high)
    for key in found.positive_keys:
        if domain[key][0] <= 0:
            raise CheckError(f"--domain {key} must stay above 0, got {domain[key][0]}")
    for key in found.nonnegative_keys:
        if domain[key][0] < 0:
            raise CheckError(f"--domain {key} must stay >= 0, got {domain[key][0]}")
    return domain


def config_from(found: BoundQuantity, values: dict, options: dict):
    """A configuration from the keys ``describe`` prints (the reproduction path of ``--at``)."""
    try:
        return found.from_values(values, options)
    except KeyError as err:
        raise CheckError(f"--at is missing {err.args[0]}") from None
    except (TypeError, ValueError) as err:
        raise CheckError(f"--at has a bad value: {err}") from None


def validate(quantity: str, p, q, arch: str, examples: int) -> tuple[str, str]:
    """Refuse bad options (CheckError); returns (p, q) as the strings claim ids use."""
    found, _ = quantity_of(quantity)
    p, q = str(p).replace("inf", "oo"), str(q).replace("inf", "oo")
    for name, given_value in (("p", p), ("q", q), ("arch", arch)):
        if given_value not in found.options[name]:
            raise CheckError(f"--{name} must be one of {', '.join(found.options[name])}, got {given_value!r}")
    if examples < 1:
        raise CheckError(f"--examples must be >= 1, got {examples}")
    return p, q


def evaluate_bound(bound: sp.Expr | str, config, quantity: str,
                   arch: str | None = None) -> tuple[float, float, float]:
    """(measured, bound, measured/bound) at one configuration; ``bound`` may be text for ``parse_bound``."""
    found, words = quantity_of(quantity)
    if isinstance(bound, str):
        bound = parse_bound(bound, words, arch or config.spec.arch)
    observed, values = found.measure(config)
    limit = value(bound, values)
    if math.isnan(limit):
        raise CheckError(f"the bound is not a number at {found.describe(config)}")
    ratio = observed / limit if limit > 0 else math.inf
    return observed, limit, ratio


def check_bound(expr: str, quantity: str, p, q, arch: str = "vanilla", examples: int = 200, seed: int = 0,
                domain: dict | None = None, at: dict | None = None) -> CheckResult:
    """Search for a configuration where ``quantity`` exceeds the bound ``expr`` (see the module docstring).

    With ``at`` (a configuration as printed in a result), evaluate that one configuration instead.
    """
    p, q = validate(quantity, p, q, arch, examples)
    found, words = quantity_of(quantity)
    options = {"p": p, "q": q, "arch": arch}
    bound = parse_bound(expr, words, arch)
    domain = {**found.domain, **(domain or {})}
    start = time.perf_counter()
    state = {"examples": 0, "largest": -math.inf, "largest_config": None}

    def run(config) -> None:
        observed, limit, ratio = evaluate_bound(bound, config, quantity)
        state["examples"] += 1
        if ratio > state["largest"]:
            state["largest"], state["largest_config"] = ratio, found.describe(config)
        if at is None:
            target(min(ratio, 1e6), label="measured / bound")
        if observed > limit * (1 + FLOAT_TOLERANCE):
            raise _Counterexample(found.describe(config), observed, limit, ratio)

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
            run(config_from(found, at, options))
        else:
            strategy = found.strategy(domain, options)
            search = settings(max_examples=examples, database=None, deadline=None, derandomize=False,
                              phases=[Phase.generate, Phase.target, Phase.shrink], print_blob=False,
                              suppress_health_check=list(HealthCheck))(hypothesis_seed(seed)(given(strategy)(run)))
            search()
    except _Counterexample as counterexample:
        return result(counterexample)
    return result(None)


__all__ = ["CheckError", "CheckResult", "ExpressionError", "check_bound", "evaluate_bound", "parse_domain"]
