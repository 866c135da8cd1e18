"""Property-test a new bound: Hypothesis hunts for a configuration where a measured quantity exceeds it.

The quantities are registered by the papers' columns (``numerics.experiment.BoundQuantity``): each measures, at
one configuration drawn from its domain, a lower estimate of the true quantity, so an exceedance is a real
counterexample.  ``target()`` on measured/bound steers the search toward violations; a counterexample is shrunk
to a minimal configuration.  The bound is parsed in the vocabulary of the quantity's paper (``verify.expr``).

The bound's value at a configuration (``bound_value``) is what it always was, a 50-digit mpmath evaluation
rounded to a float, wherever it is a finite float.  Everything else is refused with a CheckError (exit 2 on the
command line) that names the first configuration where it happens; the search stops there, unshrunk, because
a bound that cannot be compared with a measurement somewhere in the domain is a bad input, not a counterexample:
- not a finite real number: complex, +-oo, nan, a pole of gamma, a division by zero (log(d - 2) at d = 2);
- too large: beyond the float range (|bound| > 1.8e308), where the measurements, finite floats, could only be
  compared with inf and a vacuous bound would read as "no counterexample" (eps*exp(exp(exp(d))) is about
  10^702 at d = 2 and astronomically large at d = 10).
Deciding this never costs more than milliseconds: ``verify.expr.enclose`` first brackets the bound in interval
arithmetic that never computes an exp, gamma or power beyond e^(1e9); only where none is that large does the
50-digit evaluation run.  Where one is, the bracket gives the answer: a bracket beyond the float range is too
large, one narrower than a float's rounding gives that float (eps + exp(-exp(exp(exp(d))))), and a wider one
(astronomically large terms that cancel) cannot be evaluated.  Each evaluation also runs under a wall-clock
backstop of EVALUATION_SECONDS (SIGALRM in the main thread; see ``verify.expr.time_limit``).
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Mapping

import mpmath
import sympy as sp
from hypothesis import HealthCheck, Phase, given, settings, target
from hypothesis import seed as hypothesis_seed

from numerics.backends import evaluate, lambdify
from numerics.experiment import BOUND_QUANTITIES, BoundQuantity, RegistrationError
from numerics.papers import load_all
from theory.claims import BoundVocabulary
from theory.papers import quantities, vocabulary
from verify.expr import ExpressionError, NotFinite, enclose, parse_bound, quote, shorten, time_limit

FLOAT_TOLERANCE = 1e-9  # relative: exceedances smaller than this are rounding, not counterexamples
BOUND_DIGITS = 50  # the exact evaluation's precision (numerics.backends.value's)
EVALUATION_SECONDS = 5.0  # backstop per evaluation of a bound; the magnitude guard keeps it to milliseconds
IMAGINARY_TOLERANCE = 1e-30  # relative: gamma(-1/2) = exp(loggamma(-1/2)) leaves a 1e-50 imaginary rounding


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


class _Refused(BaseException):
    """Carries a CheckError out of the search: a BaseException, which Hypothesis re-raises at once instead of
    shrinking (shrinking would re-measure configurations to find a smaller one where the bound is undefined)."""

    def __init__(self, error: CheckError) -> None:
        super().__init__(str(error))
        self.error = error


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


def evaluate_bound(bound: sp.Expr | str, config, quantity: str, arch: str | None = None,
                   text: str | None = None) -> tuple[float, float, float]:
    """(measured, bound, measured/bound) at one configuration; ``bound`` may be text for ``parse_bound``.

    ``text`` names the bound in a CheckError (the module docstring says when the bound is refused).
    """
    found, words = quantity_of(quantity)
    if isinstance(bound, str):
        text = text or bound
        bound = parse_bound(bound, words, arch or config.spec.arch)
    observed, values = found.measure(config)
    where = ", ".join(f"{k}={v!r}" for k, v in found.describe(config).items())
    limit = bound_value(bound, values, text or str(bound), where)
    ratio = observed / limit if limit > 0 else math.inf
    return observed, limit, ratio


def bound_value(bound: sp.Expr, values: Mapping[sp.Symbol, float], text: str, where: str) -> float:
    """The bound as a finite float at ``values``; CheckError naming ``where`` if it is not a finite real number
    there, leaves the float range, or cannot be evaluated within EVALUATION_SECONDS (module docstring)."""
    try:
        with time_limit(EVALUATION_SECONDS):
            return _bound_value(bound, values)
    except NotFinite as err:
        raise CheckError(f"the bound {quote(text)} is not a finite real number at {where} ({err})") from None
    except _TooLarge as err:
        raise CheckError(f"the bound {quote(text)} is too large to evaluate at {where} (it is {err}, beyond the "
                         f"float range of the measurements)") from None
    except TimeoutError:
        raise CheckError(f"the bound {quote(text)} could not be evaluated within {EVALUATION_SECONDS:g} s at "
                         f"{where}") from None


def prepare(bound: sp.Expr, text: str) -> None:
    """Compile the bound's mpmath evaluation once, before anything is measured: SymPy's expm1/log1p rewriting
    (``numerics.backends.log_space``) factors the expression and can take minutes on some bounds, so it runs
    under its own EVALUATION_SECONDS limit and a bound too slow to compile is refused up front."""
    try:
        with time_limit(EVALUATION_SECONDS):
            lambdify(bound, "mpmath")
    except TimeoutError:
        raise CheckError(f"the bound {quote(text)} is too complicated: preparing its evaluation took more than "
                         f"{EVALUATION_SECONDS:g} s; simplify it") from None
    except (KeyError, TypeError, ValueError):  # e.g. ComplexInfinity in 0**x: each evaluation falls back on the guard
        pass


def _bound_value(bound: sp.Expr, values: Mapping[sp.Symbol, float]) -> float:
    enclosure = enclose(bound, values)
    if enclosure.astronomical:
        return _settled(enclosure, "too large to evaluate: it involves numbers beyond e^(1e9) that the interval "
                                   "bound cannot settle")
    try:
        exact = _exact(bound, values)
    except _Unevaluable as err:  # the log-space rewriting met a complex intermediate or a symbolic infinity
        return _settled(enclosure, f"not evaluable ({err})")
    if mpmath.isnan(exact):  # e.g. 0**0 rewritten as exp(0*log(0)): the interval may still pin it down
        return _settled(enclosure, "nan")
    return _real(exact)


class _Unevaluable(Exception):
    """The mpmath evaluation failed without proving the bound undefined (e.g. Min of exp(loggamma(-1/3)))."""


class _TooLarge(Exception):
    """The bound's value leaves the float range; the message says how large it is."""


def _settled(enclosure, why: str) -> float:
    """The finite float the guard's interval pins down; _TooLarge beyond the float range, NotFinite(why) if the
    interval is too wide to decide."""
    settled = enclosure.settle()
    if settled is None:
        raise NotFinite(None, why)
    if math.isinf(settled):
        raise _TooLarge(f"{enclosure.order()}, astronomically large")
    return settled


def _exact(bound: sp.Expr, values: Mapping[sp.Symbol, float]):
    """The 50-digit mpmath value, exactly as ``numerics.backends.value`` computes it before rounding."""
    with mpmath.workdps(BOUND_DIGITS):
        try:
            return evaluate(bound, values, "mpmath")
        except ZeroDivisionError:
            raise NotFinite(None, "zoo (a division by zero)") from None
        except ValueError as err:
            if "pole" in str(err):  # mpmath's "gamma function pole"
                raise NotFinite(None, "zoo (a pole of gamma)") from None
            raise _Unevaluable(shorten(str(err))) from None
        except (TypeError, KeyError, ArithmeticError) as err:  # KeyError: lambdify cannot print ComplexInfinity
            raise _Unevaluable(shorten(f"{type(err).__name__}: {err}")) from None


def _real(value) -> float:
    """``value`` as a float: NotFinite if complex, infinite or nan, _TooLarge beyond the float range."""
    if isinstance(value, (complex, mpmath.mpc)):
        if abs(value.imag) > abs(value.real) * IMAGINARY_TOLERANCE:
            raise NotFinite(None, f"complex: {mpmath.nstr(mpmath.mpc(value), 6)}")
        value = value.real
    if mpmath.isnan(value):
        raise NotFinite(None, "nan")
    if mpmath.isinf(value):
        raise NotFinite(None, "oo" if value > 0 else "-oo")
    if math.isinf(float(value)):
        raise _TooLarge(f"about {mpmath.nstr(value, 3)}")
    return float(value)


def check_bound(expr: str, quantity: str, p, q, arch: str = "vanilla", examples: int = 200, seed: int = 0,
                domain: dict | None = None, at: dict | None = None) -> CheckResult:
    """Search for a configuration where ``quantity`` exceeds the bound ``expr`` (see the module docstring).

    With ``at`` (a configuration as printed in a result), evaluate that one configuration instead.
    """
    p, q = validate(quantity, p, q, arch, examples)
    found, words = quantity_of(quantity)
    options = {"p": p, "q": q, "arch": arch}
    bound = parse_bound(expr, words, arch)
    prepare(bound, expr)
    domain = {**found.domain, **(domain or {})}
    start = time.perf_counter()
    state = {"examples": 0, "largest": -math.inf, "largest_config": None}

    def run(config) -> None:
        try:
            observed, limit, ratio = evaluate_bound(bound, config, quantity, text=expr)
        except CheckError as err:
            raise _Refused(err) from None
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
    except _Refused as refused:
        raise refused.error from None
    return result(None)


__all__ = ["CheckError", "CheckResult", "ExpressionError", "bound_value", "check_bound", "evaluate_bound",
           "parse_domain", "prepare"]
