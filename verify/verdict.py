"""The Verdict, and how the configurations of a claim combine into it (DESIGN.md, "The verdict").

Each configuration's interval is judged by the claim's comparison (``theory.comparisons``: its band, its test, its
severity).  A claim checked at several configurations is VIOLATED when any configuration is, HOLDS when all do.
A configuration whose sample lies outside the regime the claim states (measured by the estimator, e.g. eps >= gamma)
is OUT_OF_REGIME: it is reported, never judged, and decides the claim only when every configuration is out of regime.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from theory.comparisons import COMPARISONS, Status  # verify.verdict.Status stays the name users import

#: order used to pick the configuration that speaks for a claim
_SEVERITY = {Status.OUT_OF_REGIME: -1, Status.HOLDS: 0, Status.INCONCLUSIVE: 1, Status.VIOLATED: 2}


@dataclass
class ConfigResult:
    """The check of one claim at one configuration."""

    config: dict
    status: Status
    comparison: str  # a name in theory.comparisons.COMPARISONS
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
        return COMPARISONS[self.comparison].severity(self.statistic, self.theory, self.p_value)


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
    comparison: str  # a name in theory.comparisons.COMPARISONS
    statement: str
    delta: float
    p_value: float | None = None
    figures: dict = field(default_factory=dict)  # descriptive numbers beside the verdict (e.g. tightness)
    provenance: str = ""  # where the claim's statement comes from (theory.claims.PROVENANCES)
    smallest_violation: dict | None = None  # the smallest configuration found that violates the claim
    rounds: dict | None = None  # how its networks came in rounds (verify.rounds.record); None: drawn whole

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
