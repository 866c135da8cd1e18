"""Quantities a bound can be stated on: declared once, in theory, as data (no torch, no numerics).

A ``Quantity`` is what a theorem bounds and what ``atv check-bound``, ``verify.check_bound`` and the
``verify.testing`` pytest plugin measure: its id (``<paper>.<name>``), its meaning, the symbols a bound on it may
name, the configurations it is defined on (a ``Range`` per configuration key, constraints between keys), its
options (norm orders, architecture, attack, ...), the paper's own bound on it, and the **certainty** of one
measurement: which way a measurement can err, and so which bound it can refute by itself.

Numerics registers the measurement against the Quantity object (``numerics.experiment.register_measurement``);
``verify.catalog.check_quantities`` refuses a declared quantity that nothing measures and a measurement of an
undeclared one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Callable, Mapping

from theory.claims import Provenance

if TYPE_CHECKING:  # a quantity holds SymPy objects, but this module needs none: a refusal by name loads no SymPy
    import sympy as sp


class Certainty(Enum):
    """Which way one measurement of a quantity can err, and so which bound it refutes by itself."""

    #: the measured value is at most the true one (an attack's value of a maximum): it refutes an upper bound
    LOWER = "a lower estimate"
    #: the measured value is at least the true one (the smallest radius an attack needs to fool a network is an
    #: upper estimate of the smallest radius that fools it): it refutes a lower bound
    UPPER = "an upper estimate"
    #: computed exactly (up to float rounding): it refutes either
    EXACT = "exact"
    #: an unbiased Monte Carlo mean: it refutes a bound only when its whole confidence interval lies beyond it
    INTERVAL = "an unbiased mean with its interval"

    def refutes(self, lower_bound: bool) -> bool:
        """Whether a measurement of this certainty can, by its value or its interval, refute such a bound."""
        if self in (Certainty.EXACT, Certainty.INTERVAL):
            return True
        return (self is Certainty.UPPER) == lower_bound


@dataclass(frozen=True)
class Range:
    """A configuration key's values: ``[low, high]`` is where examples are drawn by default, ``limits`` the
    widest a user may ask for (``--domain``); ``log`` draws log-uniformly (the scale spans decades)."""

    low: float
    high: float
    integer: bool = False
    log: bool = False
    limits: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        lo, hi = self.widest
        if not (lo <= self.low <= self.high <= hi):
            raise ValueError(f"a range needs limits[0] <= low <= high <= limits[1], got {self}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log-uniform range needs low > 0, got {self}")

    @property
    def widest(self) -> tuple[float, float]:
        return self.limits if self.limits is not None else (self.low, self.high)

    def narrowed(self, low: float, high: float) -> "Range":
        """The same range drawn over ``[low, high]``: a ValueError (one sentence) if that leaves the limits,
        is empty, or is not made of integers where the key is one."""
        lo, hi = self.widest
        if not (math.isfinite(low) and math.isfinite(high)) or low > high:
            raise ValueError(f"needs finite LO <= HI, got {low:g}:{high:g}")
        if self.integer and (low != int(low) or high != int(high)):
            raise ValueError(f"needs integers, got {low:g}:{high:g}")
        if low < lo or high > hi:
            raise ValueError(f"must stay within [{lo:g}, {hi:g}], got {low:g}:{high:g}")
        if self.log and low <= 0:
            raise ValueError(f"must stay above 0 (it is drawn log-uniformly), got {low:g}")
        cast = int if self.integer else float
        return Range(cast(low), cast(high), self.integer, self.log, self.limits)

    def contains(self, value: float) -> bool:
        lo, hi = self.widest
        return lo <= value <= hi and (not self.integer or value == int(value))

    def text(self) -> str:
        kind = "integer" if self.integer else "real"
        return f"[{self.low:g}, {self.high:g}] {kind}{', log-uniform' if self.log else ''}" + (
            f" (limits {self.widest[0]:g}..{self.widest[1]:g})" if self.limits is not None else "")


@dataclass(frozen=True)
class PaperBound:
    """The paper's own bound on a quantity, in the quantity's symbols (parsed like a user's bound), with the
    options it is stated for; ``lower`` for a lower bound."""

    text: str
    place: str
    provenance: Provenance
    lower: bool = False
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Quantity:
    """A measurable quantity a bound can be stated on (module docstring).

    ``symbols``: what a bound may name (name -> SymPy symbol); every one of them has a value at every
    configuration.  ``expand(expr, options)`` writes abstract symbols (omega, alpha) in configuration symbols;
    the identity when absent.  ``constraints`` are SymPy relations between domain keys (a symbol named like the
    key), e.g. ``K <= d``.  ``options`` maps an option to its allowed values, the default first.  ``examples`` is
    the default example count of a search; ``cost`` says what one example costs (printed by ``--list``).
    """

    id: str
    meaning: str
    symbols: Mapping[str, sp.Symbol]
    domain: Mapping[str, Range]
    certainty: Certainty
    bound: PaperBound
    options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    constraints: tuple[sp.Basic, ...] = ()
    examples: int = 200
    cost: str = "well under a second per example"
    expand: Callable[[sp.Expr, Mapping[str, str]], sp.Expr] | None = None

    def __post_init__(self) -> None:
        paper, dot, name = self.id.partition(".")
        if not (paper and dot and name) or "." in name:
            raise ValueError(f"a quantity id is <paper>.<name>, got {self.id!r}")
        for relation in self.constraints:
            unknown = {s.name for s in relation.free_symbols} - set(self.domain)
            if unknown:
                raise ValueError(f"{self.id}: a constraint names {sorted(unknown)[0]!r}, not a domain key")
        for option, value in self.bound.options.items():
            if value not in self.options.get(option, ()):
                raise ValueError(f"{self.id}: the paper's bound is stated for {option}={value!r}, not an option")

    @property
    def paper(self) -> str:
        return self.id.partition(".")[0]

    @property
    def name(self) -> str:
        return self.id.partition(".")[2]

    def resolve_options(self, given: Mapping[str, object] | None = None) -> dict[str, str]:
        """Every option's value: the given ones (checked), the defaults for the rest; a ValueError naming the
        first unknown option or value."""
        chosen = {option: values[0] for option, values in self.options.items()}
        for option, value in (given or {}).items():
            if option not in self.options:
                known = ", ".join(self.options) or "none"
                raise ValueError(f"{self.id} has no option {option!r} (options: {known})")
            text = _option_text(value)
            if text not in self.options[option]:
                raise ValueError(f"option {option} of {self.id} must be one of {', '.join(self.options[option])}, "
                                 f"got {value!r}")
            chosen[option] = text
        return chosen

    def narrow(self, ranges: Mapping[str, tuple[float, float]] | None = None) -> dict[str, Range]:
        """The sampling domain with some keys drawn over other spans (within their limits); a ValueError naming
        the first bad key or span."""
        domain = dict(self.domain)
        for key, (low, high) in (ranges or {}).items():
            if key not in domain:
                raise ValueError(f"{self.id} has no domain key {key!r} (keys: {', '.join(self.domain)})")
            try:
                domain[key] = domain[key].narrowed(low, high)
            except ValueError as err:
                raise ValueError(f"domain {key} of {self.id} {err}") from None
        return domain

    def satisfies(self, config: Mapping[str, float]) -> bool:
        """Whether a configuration meets the constraints between keys."""
        return all(bool(relation.subs({s: config[s.name] for s in relation.free_symbols}))
                   for relation in self.constraints)

    def check_config(self, config: Mapping[str, float]) -> None:
        """A ValueError naming the first key of ``config`` (e.g. from ``--at``) that is missing, outside its
        limits, or breaks a constraint."""
        for key, span in self.domain.items():
            if key not in config:
                raise ValueError(f"the configuration of {self.id} is missing {key}")
            if not span.contains(config[key]):
                lo, hi = span.widest
                raise ValueError(f"{key}={config[key]!r} is outside {self.id}'s limits [{lo:g}, {hi:g}]"
                                 + (" (integers)" if span.integer else ""))
        if not self.satisfies(config):
            broken = ", ".join(str(relation) for relation in self.constraints)
            raise ValueError(f"the configuration breaks {self.id}'s constraints ({broken})")

    def read_config(self, texts: Mapping[str, object]) -> dict:
        """A configuration from its printed form (``--at``, a counterexample's ``config``): each domain key cast
        to its range's type, and ``seed``; a ValueError naming the first missing, unknown or bad key."""
        unknown = sorted(set(texts) - set(self.domain) - {"seed"})
        if unknown:
            raise ValueError(f"{self.id} has no configuration key {unknown[0]!r} (keys: "
                             f"{', '.join([*self.domain, 'seed'])})")
        config = {}
        for key, span in [*self.domain.items(), ("seed", Range(0, 2**31 - 1, integer=True))]:
            if key not in texts:
                raise ValueError(f"the configuration of {self.id} is missing {key}")
            try:
                number = float(texts[key])
            except (TypeError, ValueError):
                raise ValueError(f"{key} must be a number, got {texts[key]!r}") from None
            if not math.isfinite(number):
                raise ValueError(f"{key} must be a finite number, got {texts[key]!r}")
            if span.integer and number != int(number):
                raise ValueError(f"{key} must be an integer, got {texts[key]!r}")
            config[key] = int(number) if span.integer else number
        self.check_config(config)
        return config

    def require_refutable(self, lower: bool) -> None:
        """A ValueError when this quantity's measurements cannot refute such a bound (they err the wrong way)."""
        if not self.certainty.refutes(lower):
            kind = "a lower" if lower else "an upper"
            raise ValueError(f"a measurement of {self.id} is {self.certainty.value}: it cannot refute {kind} bound"
                             + ("" if lower else "; pass --lower for a lower bound"))

    def expanded(self, expr: sp.Expr, options: Mapping[str, str]) -> sp.Expr:
        return expr if self.expand is None else self.expand(expr, options)


def _option_text(value: object) -> str:
    """An option value as the strings options list: norm orders as claim ids write them (inf -> oo)."""
    text = str(value).strip()
    return "oo" if text in ("inf", "infinity", "Infinity") or value == math.inf else text

