"""The Verdict and the rules that turn an interval into HOLDS / VIOLATED / INCONCLUSIVE (DESIGN.md).

``equality`` and ``distribution`` claims: the (1 - delta) interval of the compared quantity (measured/theory for
``ratio`` claims, measured - theory for ``difference`` claims) is judged against [target - tau, target + tau]:
inside -> HOLDS, wholly outside -> VIOLATED, straddling -> INCONCLUSIVE.  A claim checked at several
configurations is VIOLATED when any configuration is, HOLDS when all do.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum

from numerics.stats import Interval


class Status(str, Enum):
    HOLDS = "HOLDS"
    VIOLATED = "VIOLATED"
    INCONCLUSIVE = "INCONCLUSIVE"


#: order used to pick the configuration that speaks for a claim
_SEVERITY = {Status.HOLDS: 0, Status.INCONCLUSIVE: 1, Status.VIOLATED: 2}

TARGET = {"ratio": 1.0, "difference": 0.0}


def judge(interval: Interval, tolerance: float, comparison: str) -> Status:
    """Equivalence-style decision of one interval against the tolerance band around the target."""
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
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
    comparison: str  # "ratio" or "difference"
    statistic: float  # compared quantity: measured/theory or measured - theory
    ci_low: float
    ci_high: float
    tolerance: float
    n_samples: int
    networks: int
    measured: float  # the raw statistic
    theory: float  # the claim's right-hand side at this configuration
    p_value: float | None = None
    extras: dict = field(default_factory=dict)

    def distance(self) -> float:
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

    def to_json(self) -> dict:
        out = asdict(self)
        out["status"] = self.status.value
        for config in out["configs"]:
            config["status"] = config["status"].value if isinstance(config["status"], Status) else config["status"]
        return out


def worst(results: list[ConfigResult]) -> ConfigResult:
    """The configuration that speaks for the claim: the most severe status, then the farthest from target."""
    return max(results, key=lambda r: (_SEVERITY[r.status], r.distance()))


def combined_status(results: list[ConfigResult]) -> Status:
    statuses = {r.status for r in results}
    if Status.VIOLATED in statuses:
        return Status.VIOLATED
    if statuses == {Status.HOLDS}:
        return Status.HOLDS
    return Status.INCONCLUSIVE
