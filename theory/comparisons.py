"""How a claim's measured statistic S meets its right-hand side R: one class per comparison, so that the judge,
the terminal, the report and the results schema each ask the comparison instead of branching on its name.

A comparison owns its name (stored in results.json), the kinds of claim it checks, the SymPy relation that prints
the claim, the statistic in the band's units (S/R or S - R), the band, the judgement of an interval (or of a
p-value), how close a configuration comes to violating the claim, and every rendering of its band.  Judged by an
interval: HOLDS when the (1 - delta) interval lies inside the band, VIOLATED when wholly outside, INCONCLUSIVE
when it straddles an edge.  Judged by a test: VIOLATED when the p-value is below the level, HOLDS otherwise.

Nothing here imports SymPy or numerics: the command line reads the registry (the results schema, the statuses)
before either loads.  An estimate is read by its attributes (``numerics.estimate.Estimate``).
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from enum import Enum
from typing import ClassVar

from theory.typeset import escape, in_math, number


class Status(str, Enum):
    HOLDS = "HOLDS"
    VIOLATED = "VIOLATED"
    INCONCLUSIVE = "INCONCLUSIVE"
    OUT_OF_REGIME = "OUT_OF_REGIME"


#: the least power (against the stated alternative, at the test's level) with which a test may support HOLDS
ADEQUATE_POWER = 0.8
#: what a claim whose comparison is an equality may declare it is about, beside a plain value: a law (through a
#: moment or a distance), the solution of an ODE over time, or a scaling exponent
EQUALITY_KINDS = ("equality", "distribution", "trajectory", "trend")


@dataclass(frozen=True)
class Comparison(ABC):
    """The rules shared by every comparison; a subclass states what differs, and must state its band, severity
    and renderings.  Instances hold no data, so two of one class are equal (a claim stays equal to its pickled
    copy)."""

    name: ClassVar[str]
    #: the kinds of claim it checks; a claim's kind is the first unless the claim declares another of them
    kinds: ClassVar[tuple[str, ...]]
    #: the SymPy relation (its name: SymPy is not loaded here) that prints lhs against rhs
    relation: ClassVar[str] = "Eq"
    #: marks the statistic's units in the verdict table (x: measured/theory, +: measured - theory)
    prefix: ClassVar[str] = ""
    #: what the report calls the interval it shows
    region: ClassVar[str] = "interval"
    #: the interval decides (False: a p-value at the test's level, and the interval only describes)
    by_interval: ClassVar[bool] = True
    #: R is a number with a tolerance tau (False: R states a null law, never evaluated; the level is the budget)
    has_tolerance: ClassVar[bool] = True

    def scale(self, theory: float) -> float:
        """The factor that puts the measured statistic in the band's units."""
        return 1.0

    def shift(self, theory: float) -> float:
        """The offset (after ``scale``) that puts the measured statistic in the band's units."""
        return 0.0

    def refusal(self, theory: float) -> str:
        """Why R cannot be compared this way ("" when it can)."""
        return ""

    @abstractmethod
    def band(self, tolerance: float, theory: float) -> tuple[float, float]:
        """The band an interval is judged against, in the statistic's units."""

    def judge(self, low: float, high: float, tolerance: float, theory: float, p_value: float | None = None,
              delta: float | None = None) -> Status:
        """The status of the interval [low, high] (in the band's units) against R, at the tolerance."""
        if tolerance < 0:
            raise ValueError(f"tolerance must be >= 0, got {tolerance}")
        return self.decide(low, high, tolerance, theory, p_value, delta)

    def decide(self, low: float, high: float, tolerance: float, theory: float, p_value: float | None,
               delta: float | None) -> Status:
        """``judge`` with a valid tolerance: the band's edges, closed; an unbounded side admits anything."""
        band_low, band_high = self.band(tolerance, theory)
        if (math.isinf(band_low) or band_low <= low) and (math.isinf(band_high) or high <= band_high):
            return Status.HOLDS
        if high < band_low or low > band_high:
            return Status.VIOLATED
        return Status.INCONCLUSIVE

    @abstractmethod
    def severity(self, statistic: float, theory: float, p_value: float | None) -> float:
        """How close a configuration comes to violating the claim (larger is closer): picks the one that speaks."""

    def p_value(self, estimate, theory: float) -> float | None:
        """The p-value the verdict reports (and a test is judged by)."""
        return estimate.p_value

    def examined(self, estimate, delta: float) -> tuple[object, dict]:
        """The estimate as it may be judged at level ``delta``, and what the verdict should record of that."""
        return estimate, {}

    def notes(self, speaker, tolerance: str, test_delta: float) -> list[str]:
        """What the verdict's notes say of the rule applied to the speaking configuration (``tolerance``: tau's
        formula)."""
        return [f"tolerance tau = {tolerance} = {speaker.tolerance:.4g} at the reported config"]

    @abstractmethod
    def text(self, tolerance: float, theory: float, level: float) -> str:
        """The band for the verdict table (``level``: a test's level at the speaking configuration)."""

    @abstractmethod
    def latex(self, record: dict, tolerance: str, delta: float) -> str:
        """The band as applied to a configuration (a results.json record), in LaTeX (``tolerance``: tau's
        formula in LaTeX)."""


def _tau(record: dict, formula: str) -> str:
    """tau in LaTeX: its formula and value, or the value alone when the formula is that number."""
    value = in_math(record["tolerance"])
    return rf"$\tau = {value}$" if formula == value else rf"$\tau = {formula} = {value}$"


def _slack(record: dict, formula: str) -> str:
    """A bound's tau in LaTeX, as the slack it allows."""
    return "no slack, $\\tau = 0$" if record["tolerance"] == 0 else f"slack {_tau(record, formula)}"


class _Equality(Comparison):
    """S equals R within tau, measured as S/R or S - R against target +- tau."""

    kinds = EQUALITY_KINDS
    target: ClassVar[float]
    #: what the band's interval is, for the report
    quantity: ClassVar[str]

    def band(self, tolerance: float, theory: float) -> tuple[float, float]:
        return self.target - tolerance, self.target + tolerance

    def severity(self, statistic: float, theory: float, p_value: float | None) -> float:
        return abs(statistic - self.target)

    def text(self, tolerance: float, theory: float, level: float) -> str:
        return f"{self.target:g}\u00b1{tolerance:.3f}"

    def latex(self, record: dict, tolerance: str, delta: float) -> str:
        low, high = self.band(record["tolerance"], record["theory"])
        runs = record["extras"].get("runs")
        every = f" (each of {runs} runs must lie in it; {record['extras']['runs_outside']} outside)" if runs else ""
        return f"{self.quantity} in $[{in_math(low)}, {in_math(high)}]$, {_tau(record, tolerance)}{every}"


class _Relative(Comparison):
    """S/R: a comparison in units of a positive R."""

    prefix = "x"

    def scale(self, theory: float) -> float:
        return 1.0 / theory

    def refusal(self, theory: float) -> str:
        return "" if theory > 0 else f"comparing by ratio needs a positive right-hand side, got {theory}"


class Ratio(_Equality, _Relative):
    """S/R within [1 - tau, 1 + tau]."""

    name = "ratio"
    target = 1.0
    quantity = "measured/theory"


class Difference(_Equality):
    """S - R within [-tau, tau] (for claims whose R may be 0)."""

    name = "difference"
    prefix = "+"
    target = 0.0
    quantity = "measured $-$ theory"

    def shift(self, theory: float) -> float:
        return -theory


class AtMost(_Relative):
    """An upper bound on a value or an expectation: S/R <= 1 + tau."""

    name = "at_most"
    kinds = ("upper_bound",)
    relation = "Le"

    def band(self, tolerance: float, theory: float) -> tuple[float, float]:
        return -math.inf, 1.0 + tolerance

    def severity(self, statistic: float, theory: float, p_value: float | None) -> float:
        return statistic

    def text(self, tolerance: float, theory: float, level: float) -> str:
        return f"\u2264{1 + tolerance:.3f}"

    def latex(self, record: dict, tolerance: str, delta: float) -> str:
        _, high = self.band(record["tolerance"], record["theory"])
        return rf"measured/bound $\le 1 + \tau = {in_math(high)}$ ({_slack(record, tolerance)})"


class AtLeast(_Relative):
    """A lower bound on a value or an expectation: S/R >= 1 - tau."""

    name = "at_least"
    kinds = ("lower_bound",)
    relation = "Ge"

    def band(self, tolerance: float, theory: float) -> tuple[float, float]:
        return 1.0 - tolerance, math.inf

    def severity(self, statistic: float, theory: float, p_value: float | None) -> float:
        return -statistic

    def text(self, tolerance: float, theory: float, level: float) -> str:
        return f"\u2265{1 - tolerance:.3f}"

    def latex(self, record: dict, tolerance: str, delta: float) -> str:
        low, _ = self.band(record["tolerance"], record["theory"])
        return rf"measured/bound $\ge 1 - \tau = {in_math(low)}$ ({_slack(record, tolerance)})"


class Sign(Comparison):
    """A trend: the interval of a slope lies wholly on the side of 0 that R's sign states."""

    name = "sign"
    kinds = ("trend",)

    def band(self, tolerance: float, theory: float) -> tuple[float, float]:
        return (0.0, math.inf) if theory > 0 else (-math.inf, 0.0)

    def decide(self, low: float, high: float, tolerance: float, theory: float, p_value: float | None,
               delta: float | None) -> Status:
        """Open at 0: a slope that may be 0 has no sign."""
        low, high = (low, high) if theory > 0 else (-high, -low)
        return Status.HOLDS if low > 0 else Status.VIOLATED if high < 0 else Status.INCONCLUSIVE

    def severity(self, statistic: float, theory: float, p_value: float | None) -> float:
        return -statistic * (1 if theory > 0 else -1)

    def notes(self, speaker, tolerance: str, test_delta: float) -> list[str]:
        return []

    def text(self, tolerance: float, theory: float, level: float) -> str:
        return ">0" if theory > 0 else "<0"

    def latex(self, record: dict, tolerance: str, delta: float) -> str:
        side = "above" if record["theory"] > 0 else "below"
        return f"sign test: the interval must lie wholly {side} 0"


class _Tested(Comparison):
    """Decided by a p-value at the test's level: VIOLATED below it, HOLDS otherwise."""

    by_interval = False

    def decide(self, low: float, high: float, tolerance: float, theory: float, p_value: float | None,
               delta: float | None) -> Status:
        if p_value is None or delta is None:
            raise ValueError(f"{self.name} needs the test's p-value and delta")
        return Status.VIOLATED if p_value < delta else Status.HOLDS


class RateAtMost(_Tested):
    """A high-probability bound failing with probability R: the exceedance rate S is not significantly above R
    (an exact binomial test; the interval is Clopper-Pearson)."""

    name = "rate_at_most"
    kinds = ("upper_bound",)
    relation = "Le"

    def band(self, tolerance: float, theory: float) -> tuple[float, float]:
        return -math.inf, theory

    def severity(self, statistic: float, theory: float, p_value: float | None) -> float:
        return statistic

    def p_value(self, estimate, theory: float) -> float | None:
        return estimate.exceedance_p_value(theory)

    def notes(self, speaker, tolerance: str, test_delta: float) -> list[str]:
        return [f"exact binomial test of the exceedance rate against {speaker.theory:.3g} at level {test_delta:g}"]

    def text(self, tolerance: float, theory: float, level: float) -> str:
        return f"\u2264{theory:.0e} (test)"

    def latex(self, record: dict, tolerance: str, delta: float) -> str:
        p_value = "" if record["p_value"] is None else f", $p = {in_math(record['p_value'])}$"
        return (rf"exact binomial test: exceedance rate $\le {in_math(record['theory'])}$ at level "
                rf"{number(delta)}{p_value}")


class LawTest(_Tested):
    """A law (goodness of fit, or one law at two inputs): HOLDS when p >= the level and the test's power against
    its stated alternative is at least ``ADEQUATE_POWER`` (a test that could not have rejected supports nothing).
    Its "interval" is the acceptance region [0, critical value], which holds the statistic exactly when p >= the
    level; it has no band and no tolerance."""

    name = "test"
    kinds = ("distribution",)
    region = "acceptance region"
    has_tolerance = False

    def band(self, tolerance: float, theory: float) -> tuple[float, float]:
        raise ValueError("a test has no band: its p-value at the test's level decides it")

    def severity(self, statistic: float, theory: float, p_value: float | None) -> float:
        return 1.0 - p_value

    def examined(self, estimate, delta: float) -> tuple[object, dict]:
        """The estimate made weak where the test's power at level ``delta`` is below ``ADEQUATE_POWER``, and the
        test's description (name, level, acceptance region, power)."""
        test = estimate.test
        if test is None:
            raise ValueError("a test claim needs an estimator that returns a test (Estimate.from_test)")
        power = test.power_at(delta)
        extras = {"test": test.name, "level": delta, "critical_value": test.critical_at(delta), "power": power,
                  "alternative": test.alternative, "power_replicates": test.replicates}
        if power < ADEQUATE_POWER and not estimate.weak:
            estimate = replace(estimate, weak=f"the test's power against {test.alternative} is {power:.2f} < "
                                              f"{ADEQUATE_POWER:g} at n = {test.n} and level {delta:.2g}")
        return estimate, extras

    def notes(self, speaker, tolerance: str, test_delta: float) -> list[str]:
        found = speaker.extras
        return [f"{found['test']} test at level {found['level']:.2g}: statistic {speaker.statistic:.4g}, accepted up "
                f"to {found['critical_value']:.4g} (the interval is that acceptance region); power "
                f"{found['power']:.2f} against {found['alternative']} ({found['power_replicates']} simulated samples "
                f"of the same size)"]

    def text(self, tolerance: float, theory: float, level: float) -> str:
        return f"p\u2265{level:.0e} (test)"

    def latex(self, record: dict, tolerance: str, delta: float) -> str:
        found = record["extras"]
        return (rf"{escape(found['test'])} test at level {number(found['level'])}: accepted when the statistic is "
                rf"$\le {in_math(found['critical_value'])}$, i.e.\ $p \ge$ the level "
                rf"($p = {in_math(record['p_value'])}$); power {number(found['power'], 2)} against "
                rf"{escape(found['alternative'])}")


#: every comparison by the name results.json stores
COMPARISONS: dict[str, Comparison] = {c.name: c for c in (Ratio(), Difference(), AtMost(), AtLeast(), Sign(),
                                                           RateAtMost(), LawTest())}


def comparison(named: str | Comparison) -> Comparison:
    """The comparison of that name (a Comparison is returned as it is)."""
    if isinstance(named, Comparison):
        return named
    if named not in COMPARISONS:
        raise ValueError(f"unknown comparison {named!r}; the comparisons are {', '.join(COMPARISONS)}")
    return COMPARISONS[named]
