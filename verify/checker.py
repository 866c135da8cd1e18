"""Property-test a bound on a declared quantity: Hypothesis hunts for a configuration where a measurement refutes it.

The quantities are declared in theory (``theory.quantities.Quantity``) and measured by the papers' columns
(``numerics.experiment.register_measurement``).  A measurement refutes a bound only in the direction its
certainty allows: a lower estimate (an attack's value of a maximum) above an upper bound, an upper estimate (the
smallest radius an attack needs) below a lower bound, an exact value beyond either, or an unbiased Monte Carlo
mean whose whole confidence interval lies beyond the bound.  A bound the quantity's measurements cannot refute
is refused up front (CheckError), not searched in vain.  ``target()`` on how far each configuration goes toward
refuting the bound steers the search; a counterexample is shrunk to a minimal configuration.

A bound is text (parsed in the quantity's symbols by ``verify.expr``, never evaluated as Python), a SymPy
expression in those symbols, or a Python callable of them (called with the symbols it names as keyword
arguments).  The bound's value at a configuration (``bound_value``) is a 50-digit mpmath evaluation rounded to a
float, wherever it is a finite float.  Everything else is refused with a CheckError (exit 2 on the command line)
that names the first configuration where it happens; the search stops there, unshrunk, because a bound that
cannot be compared with a measurement somewhere in the domain is a bad input, not a counterexample:
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

import inspect
import math
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterator, Mapping

import mpmath
import sympy as sp
from hypothesis import HealthCheck, Phase, given, settings, target
from hypothesis import seed as hypothesis_seed
from hypothesis.internal.conjecture import engine

from numerics.backends import evaluate, lambdify
from numerics.experiment import MEASURES, Measure, Measurement
from theory.papers import quantity as lookup
from theory.quantities import Quantity
from verify.catalog import check_quantities
from verify.expr import ExpressionError, NotFinite, enclose, expand_bound, parse_bound, quote, shorten, time_limit
from verify.strategies import configs

FLOAT_TOLERANCE = 1e-9  # relative: exceedances smaller than this are rounding, not counterexamples
BOUND_DIGITS = 50  # the exact evaluation's precision (numerics.backends.value's)
EVALUATION_SECONDS = 5.0  # backstop per evaluation of a bound; the magnitude guard keeps it to milliseconds
IMAGINARY_TOLERANCE = 1e-30  # relative: gamma(-1/2) = exp(loggamma(-1/2)) leaves a 1e-50 imaginary rounding

BoundLike = str | sp.Expr | Callable[..., float]


class CheckError(ValueError):
    """Bad options for a bound check (one sentence)."""


@dataclass
class CheckResult:
    """What a bound check found: the counterexample (shrunk), or how hard it looked and how close it came.

    ``closest_ratio`` is measured / bound at the configuration that came closest to refuting the bound (the
    largest ratio for an upper bound, the smallest for a lower one), ``closest_config`` that configuration.
    """

    status: str  # "counterexample" or "no counterexample"
    expression: str
    quantity: str
    options: dict
    lower: bool
    examples: int  # configurations evaluated (search and shrinking)
    closest_ratio: float
    closest_config: dict | None
    seconds: float
    domain: dict
    config: dict | None = None  # the shrunk counterexample
    observed: float | None = None
    interval: tuple[float, float] | None = None  # the measurement's confidence interval, where it has one
    bound: float | None = None
    ratio: float | None = None
    seed: int = 0

    @property
    def found(self) -> bool:
        return self.status == "counterexample"

    @property
    def relation(self) -> str:
        """How the measurement stands to the bound at the counterexample: '<' under a lower bound, '>' else."""
        return "<" if self.lower else ">"

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class _Counterexample(Exception):
    config: dict
    measured: Measurement
    bound: float
    ratio: float = field(default=0.0)


class _Refused(BaseException):
    """Carries a CheckError out of the search: a BaseException, which Hypothesis re-raises at once instead of
    shrinking (shrinking would re-measure configurations to find a smaller one where the bound is undefined)."""

    def __init__(self, error: CheckError) -> None:
        super().__init__(str(error))
        self.error = error


def measure_of(name: str | Quantity) -> Measure:
    """The registered measurement of a declared quantity (an id, a bare name one paper declares, or the object);
    a CheckError listing the quantities otherwise."""
    try:
        found = lookup(name) if isinstance(name, str) else name
    except LookupError as err:
        raise CheckError(str(err.args[0])) from None
    check_quantities()
    return MEASURES[found.id]


@dataclass(frozen=True)
class Bound:
    """A user's bound on a quantity, ready to evaluate at a measurement: a SymPy expression in configuration
    symbols (from text or SymPy), or a Python callable of the quantity's symbols."""

    text: str
    expr: sp.Expr | None = None
    function: Callable[..., float] | None = None
    names: tuple[str, ...] = ()  # the symbols the callable takes

    def value(self, quantity: Quantity, options: Mapping[str, str], measured: Measurement, where: str) -> float:
        if self.expr is not None:
            return bound_value(self.expr, measured.values, self.text, where)
        arguments = {name: _symbol_value(quantity, options, name, measured) for name in self.names}
        try:
            result = float(self.function(**arguments))
        except (TypeError, ValueError, ArithmeticError) as err:
            raise CheckError(f"the bound {quote(self.text)} failed at {where}: {type(err).__name__}: "
                             f"{shorten(str(err))}") from None
        if not math.isfinite(result):
            raise CheckError(f"the bound {quote(self.text)} is not a finite real number at {where} (it is "
                             f"{result})")
        return result


def _symbol_value(quantity: Quantity, options: Mapping[str, str], name: str, measured: Measurement) -> float:
    """A bound symbol's value at a measurement (abstract symbols such as omega expanded for the options)."""
    return float(quantity.expanded(quantity.symbols[name], options).subs(measured.values))


def make_bound(bound: BoundLike, quantity: Quantity, options: Mapping[str, str]) -> Bound:
    """A Bound from text, a SymPy expression or a callable; ExpressionError/CheckError if it names anything
    outside the quantity's symbols."""
    if isinstance(bound, str):
        expr = parse_bound(bound, quantity, options)
        prepare(expr, bound)
        return Bound(bound, expr)
    if isinstance(bound, sp.Basic):
        known = set(quantity.symbols.values())
        unknown = sorted(str(s) for s in bound.free_symbols if s not in known)
        if unknown:
            raise ExpressionError(f"the bound names {unknown[0]!r}, which is not one of {quantity.id}'s symbols "
                                  f"({', '.join(quantity.symbols)})")
        expr = expand_bound(sp.sympify(bound), quantity, options, str(bound))
        prepare(expr, str(bound))
        return Bound(str(bound), expr)
    if callable(bound):
        return Bound(getattr(bound, "__name__", repr(bound)), function=bound, names=_arguments(bound, quantity))
    raise CheckError(f"a bound is text, a SymPy expression or a callable, got {type(bound).__name__}")


def _arguments(function: Callable[..., float], quantity: Quantity) -> tuple[str, ...]:
    """The symbols a callable bound takes: its named parameters, or every symbol where it takes **kwargs."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return tuple(quantity.symbols)
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return tuple(quantity.symbols)
    names = tuple(p.name for p in parameters)
    unknown = [name for name in names if name not in quantity.symbols]
    if unknown:
        raise CheckError(f"the bound takes {unknown[0]!r}, which is not one of {quantity.id}'s symbols "
                         f"({', '.join(quantity.symbols)})")
    return names


def refutes(measured: Measurement, limit: float, lower: bool) -> bool:
    """Whether a measurement certainly lies beyond the bound: its interval where it has one, else its value
    (the certainty check in ``check_bound`` has already ruled out a measurement that errs the wrong way)."""
    slack = FLOAT_TOLERANCE * abs(limit)
    low, high = measured.interval if measured.interval is not None else (measured.value, measured.value)
    return high < limit - slack if lower else low > limit + slack


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
    """Compile the bound's mpmath evaluation once, before anything is measured: SymPy's code generation can take
    long on some bounds, so it runs under its own EVALUATION_SECONDS limit and a bound too slow to compile is
    refused up front."""
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
    except _Unevaluable as err:  # mpmath met a complex intermediate or a symbolic infinity
        return _settled(enclosure, f"not evaluable ({err})")
    if mpmath.isnan(exact):  # e.g. 0 * oo: the interval may still pin it down
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


@contextmanager
def untimed_shrinking() -> Iterator[None]:
    """Shrink to the end however long measurements take: Hypothesis stops shrinking after MAX_SHRINKING_SECONDS
    (an engine constant), which would make the counterexample of a seed depend on the machine's speed and load.
    (The other clock in its engine, ten more seconds of search after the first counterexample, is switched off by
    ``report_multiple_bugs=False``.)"""
    if not hasattr(engine, "MAX_SHRINKING_SECONDS"):  # a Hypothesis without the limit
        yield
        return
    limit, engine.MAX_SHRINKING_SECONDS = engine.MAX_SHRINKING_SECONDS, math.inf
    try:
        yield
    finally:
        engine.MAX_SHRINKING_SECONDS = limit


def check_bound(bound: BoundLike, quantity: str | Quantity, p=None, q=None, arch: str | None = None, *,
                options: Mapping[str, object] | None = None, lower: bool = False, examples: int | None = None,
                seed: int = 0, domain: Mapping[str, tuple[float, float]] | None = None,
                at: Mapping[str, object] | None = None) -> CheckResult:
    """Search for a configuration of ``quantity`` where a measurement refutes ``bound`` (an upper bound, or a
    lower one with ``lower``); see the module docstring.

    ``p``, ``q`` and ``arch`` are shorthands for those options; ``domain`` narrows the sampling domain
    ({key: (lo, hi)}); ``examples`` defaults to the quantity's own count.  With ``at`` (a configuration as printed
    with a counterexample) evaluate that one configuration instead of searching.
    """
    measure = measure_of(quantity)
    found = measure.quantity
    given_options = {**{k: v for k, v in (("p", p), ("q", q), ("arch", arch)) if v is not None}, **(options or {})}
    try:
        chosen = found.resolve_options(given_options)
        ranges = found.narrow(domain)
        point = None if at is None else found.read_config(at)
        found.require_refutable(lower)
    except ValueError as err:
        raise CheckError(str(err)) from None
    examples = found.examples if examples is None else examples
    if examples < 1:
        raise CheckError(f"--examples must be >= 1, got {examples}")
    limit_of = make_bound(bound, found, chosen)
    start = time.perf_counter()
    state: dict[str, Any] = {"examples": 0, "closest": None, "closest_config": None}

    def run(config: dict) -> None:
        where = ", ".join(f"{k}={v!r}" for k, v in config.items())
        measured = measure(config, chosen)
        try:
            limit = limit_of.value(found, chosen, measured, where)
        except CheckError as err:
            raise _Refused(err) from None
        state["examples"] += 1
        ratio = measured.value / limit if limit > 0 else math.inf
        toward = 1 / ratio if lower and ratio > 0 else (math.inf if lower else ratio)
        if state["closest"] is None or toward > state["closest"][0]:
            state["closest"], state["closest_config"] = (toward, ratio), dict(config)
        if point is None:
            target(min(toward, 1e6), label="bound / measured" if lower else "measured / bound")
        if refutes(measured, limit, lower):
            raise _Counterexample(dict(config), measured, limit, ratio)

    def result(counterexample: _Counterexample | None) -> CheckResult:
        common = dict(expression=limit_of.text, quantity=found.id, options=chosen, lower=lower,
                      examples=state["examples"], closest_ratio=state["closest"][1] if state["closest"] else math.nan,
                      closest_config=state["closest_config"], seconds=time.perf_counter() - start,
                      domain={k: (v.low, v.high) for k, v in ranges.items()}, seed=seed)
        if counterexample is None:
            return CheckResult(status="no counterexample", **common)
        measured = counterexample.measured
        return CheckResult(status="counterexample", config=counterexample.config, observed=measured.value,
                           interval=measured.interval, bound=counterexample.bound, ratio=counterexample.ratio,
                           **common)

    try:
        if point is not None:
            run(point)
        else:
            strategy = configs(found, chosen, **{k: (v.low, v.high) for k, v in ranges.items()})
            search = settings(max_examples=examples, database=None, deadline=None, derandomize=False,
                              phases=[Phase.generate, Phase.target, Phase.shrink], print_blob=False,
                              report_multiple_bugs=False, suppress_health_check=list(HealthCheck))(
                hypothesis_seed(seed)(given(strategy)(run)))
            with untimed_shrinking():
                search()
    except _Counterexample as counterexample:
        return result(counterexample)
    except _Refused as refused:
        raise refused.error from None
    return result(None)


__all__ = ["Bound", "CheckError", "CheckResult", "ExpressionError", "bound_value", "check_bound", "make_bound",
           "measure_of", "prepare", "refutes"]
