"""The Verdict and the rules that turn an interval into HOLDS / VIOLATED / INCONCLUSIVE (DESIGN.md).

The (1 - delta) interval of the compared quantity is judged by the claim's comparison:
- ``ratio`` (equality, distribution): measured/theory against [1 - tau, 1 + tau]: inside -> HOLDS, wholly outside
  -> VIOLATED, straddling -> INCONCLUSIVE;  ``difference``: measured - theory against [-tau, tau], the same way.
- ``at_most`` (upper bound on a value or an expectation): measured/bound against (-inf, 1 + tau].
- ``sign`` (trend): the interval of a slope against the stated sign: wholly on that side -> HOLDS, wholly on
  the other -> VIOLATED.
- ``rate_at_most`` (high-probability bound failing with probability r): VIOLATED when the exceedance count is
  significantly above r (exact binomial test at level delta), HOLDS otherwise; the interval is Clopper-Pearson.
- ``test`` (a law: goodness of fit, or one law at two inputs): VIOLATED when the test's p-value is below delta, HOLDS
  otherwise, unless the test's power against its stated alternative is below ``ADEQUATE_POWER`` (then a HOLDS is
  INCONCLUSIVE: a test that could not have rejected supports nothing).  Its "interval" is the acceptance region
  [0, critical value] of the statistic at level delta, which holds the statistic exactly when p >= delta; it has
  no band and no tolerance (the level is its error budget).
A claim checked at several configurations is VIOLATED when any configuration is, HOLDS when all do.
A configuration whose sample lies outside the regime the claim states (measured by the estimator, e.g. eps >= gamma)
is OUT_OF_REGIME: it is reported, never judged, and decides the claim only when every configuration is out of regime.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import Enum

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numerics.stats loads scipy; the verdict types are read by the CLI before it needs it
    from numerics.stats import Interval


class Status(str, Enum):
    HOLDS = "HOLDS"
    VIOLATED = "VIOLATED"
    INCONCLUSIVE = "INCONCLUSIVE"
    OUT_OF_REGIME = "OUT_OF_REGIME"


#: order used to pick the configuration that speaks for a claim
_SEVERITY = {Status.OUT_OF_REGIME: -1, Status.HOLDS: 0, Status.INCONCLUSIVE: 1, Status.VIOLATED: 2}

TARGET = {"ratio": 1.0, "difference": 0.0, "at_most": 1.0, "sign": 0.0, "rate_at_most": 0.0}
#: comparisons decided by a p-value at the test's level rather than by an interval against a band
TESTS = ("rate_at_most", "test")
#: the least power (against the stated alternative, at the test's level) with which a test may support HOLDS
ADEQUATE_POWER = 0.8


def band(comparison: str, tolerance: float, expected_sign: float = 1.0) -> tuple[float, float]:
    """The band an interval is judged against: HOLDS inside it, VIOLATED wholly outside (not for rate_at_most,
    which is a test; a ``test`` has none at all: its p-value decides)."""
    if comparison == "test":
        raise ValueError("a test has no band: its p-value at the test's level decides it")
    if comparison == "sign":
        return (0.0, math.inf) if expected_sign > 0 else (-math.inf, 0.0)
    if comparison == "at_most":
        return -math.inf, 1.0 + tolerance
    return TARGET[comparison] - tolerance, TARGET[comparison] + tolerance


def judge(interval: Interval, tolerance: float, comparison: str, expected_sign: float = 1.0,
          p_value: float | None = None, delta: float | None = None) -> Status:
    """Decision of one interval against the claim's comparison (see the module docstring)."""
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    if comparison in TESTS:
        if p_value is None or delta is None:
            raise ValueError(f"{comparison} needs the test's p-value and delta")
        return Status.VIOLATED if p_value < delta else Status.HOLDS
    if comparison == "sign":
        low, high = (interval.low, interval.high) if expected_sign > 0 else (-interval.high, -interval.low)
        return Status.HOLDS if low > 0 else Status.VIOLATED if high < 0 else Status.INCONCLUSIVE
    if comparison == "at_most":
        limit = 1.0 + tolerance
        return Status.HOLDS if interval.high <= limit else Status.VIOLATED if interval.low > limit \
            else Status.INCONCLUSIVE
    target = TARGET[comparison]
    low, high = target - tolerance, target + tolerance
    if low <= interval.low and interval.high <= high:
        return Status.HOLDS
    if interval.high < low or interval.low > high:
        return Status.VIOLATED
    return Status.INCONCLUSIVE


@dataclass
class ConfigResult:
    """The check of one claim at one configuration."""

    config: dict
    status: Status
    comparison: str  # one of TARGET's keys, or "test"
    statistic: float  # compared quantity: measured/theory or measured - theory (a test: its statistic)
    ci_low: float
    ci_high: float
    tolerance: float
    n_samples: int
    units: int  # independent sampling units: networks, or Gaussian matrices
    measured: float  # the raw statistic
    theory: float  # the claim's right-hand side at this configuration
    p_value: float | None = None
    extras: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    reason: str = ""  # why the configuration is out of regime or undecidable, measured

    def severity(self) -> float:
        """How close this configuration comes to violating the claim (larger is closer)."""
        if self.comparison == "test":
            return 1.0 - self.p_value
        if self.comparison in ("at_most", "rate_at_most"):
            return self.statistic
        if self.comparison == "sign":
            return -self.statistic * (1 if self.theory > 0 else -1)
        return abs(self.statistic - TARGET[self.comparison])


@dataclass
class Verdict:
    """What a researcher gets back for one claim: the verdict with its numbers."""

    claim_id: str
    status: Status
    statistic: float
    ci_low: float
    ci_high: float
    tolerance: float
    n_samples: int
    configs: list[dict]
    seed: int
    device: str
    seconds: float
    notes: str
    kind: str
    comparison: str
    statement: str
    delta: float
    p_value: float | None = None
    figures: dict = field(default_factory=dict)  # descriptive numbers beside the verdict (e.g. tightness)
    provenance: str = ""  # where the claim's statement comes from (theory.claims.PROVENANCES)
    smallest_violation: dict | None = None  # the smallest configuration found that violates the claim

    @classmethod
    def from_json(cls, data: dict) -> "Verdict":
        """The inverse of ``to_json`` (a resumed run reads its finished verdicts back; null numbers are NaN)."""
        numbers = {key: math.nan if data[key] is None else data[key] for key in ("statistic", "ci_low", "ci_high")}
        return cls(**{**data, **numbers, "status": Status(data["status"])})

    def to_json(self) -> dict:
        """JSON-ready; every non-finite number becomes null (JSON has no NaN): a descriptive figure, or the
        statistic of a configuration with no usable value (out of regime)."""
        out = finite(asdict(self))
        out["status"] = self.status.value
        for config in out["configs"]:
            config["status"] = config["status"].value if isinstance(config["status"], Status) else config["status"]
        return out


def finite(value):
    """``value`` with every non-finite float inside it replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value


def worst(results: list[ConfigResult]) -> ConfigResult:
    """The configuration that speaks for the claim: the most severe status, then the closest to violating."""
    return max(results, key=lambda r: (_SEVERITY[r.status], r.severity()))


def worst_record(records: list[dict]) -> dict:
    """``worst`` over configurations as results.json stores them (a missing statistic never speaks first)."""
    def rank(record: dict) -> tuple:
        numbers = {k: math.nan if record[k] is None else record[k] for k in ("statistic", "ci_low", "ci_high")}
        result = ConfigResult(**{**record, **numbers, "status": Status(record["status"])})
        severity = result.severity()
        return _SEVERITY[result.status], severity if math.isfinite(severity) else -math.inf

    return max(records, key=rank)


def combined_status(results: list[ConfigResult]) -> Status:
    statuses = {r.status for r in results} - {Status.OUT_OF_REGIME} or {Status.OUT_OF_REGIME}
    if statuses == {Status.OUT_OF_REGIME}:
        return Status.OUT_OF_REGIME
    if Status.VIOLATED in statuses:
        return Status.VIOLATED
    if statuses == {Status.HOLDS}:
        return Status.HOLDS
    return Status.INCONCLUSIVE
