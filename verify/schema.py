"""The results.json schema (documented here and in README.md) and an incremental, crash-safe writer."""
from __future__ import annotations

import copy
import json
import os
from contextlib import suppress
from functools import lru_cache
from pathlib import Path

import jsonschema

from theory import comparisons

STATUSES = ["HOLDS", "VIOLATED", "INCONCLUSIVE", "OUT_OF_REGIME"]
COMPARISONS = list(comparisons.COMPARISONS)  # every registered comparison's name
_number_or_null = {"type": ["number", "null"]}

CONFIG_SCHEMA = {
    "type": "object",
    "required": ["config", "status", "comparison", "statistic", "ci_low", "ci_high", "tolerance", "n_samples",
                 "units", "measured", "theory"],
    "properties": {
        "config": {"type": "object"},
        "status": {"enum": STATUSES},
        "comparison": {"enum": COMPARISONS},
        "statistic": _number_or_null, "ci_low": _number_or_null, "ci_high": _number_or_null,
        "tolerance": {"type": "number", "minimum": 0},
        "n_samples": {"type": "integer", "minimum": 1}, "units": {"type": "integer", "minimum": 2},
        "measured": _number_or_null, "theory": {"type": "number"}, "p_value": _number_or_null,
        "extras": {"type": "object"}, "figures": {"type": "object"}, "reason": {"type": "string"},
    },
}

VERDICT_SCHEMA = {
    "type": "object",
    "required": ["claim_id", "status", "statistic", "ci_low", "ci_high", "tolerance", "n_samples", "configs",
                 "seed", "device", "seconds", "notes", "kind", "comparison", "statement", "delta"],
    "properties": {
        "claim_id": {"type": "string"},
        "status": {"enum": STATUSES},
        "statistic": _number_or_null, "ci_low": _number_or_null, "ci_high": _number_or_null,
        "tolerance": {"type": "number", "minimum": 0},
        "n_samples": {"type": "integer", "minimum": 1},
        "configs": {"type": "array", "minItems": 1, "items": CONFIG_SCHEMA},
        "seed": {"type": "integer"}, "device": {"type": "string"}, "seconds": {"type": "number", "minimum": 0},
        "notes": {"type": "string"}, "kind": {"type": "string"}, "comparison": {"enum": COMPARISONS},
        "statement": {"type": "string"}, "delta": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "p_value": _number_or_null, "figures": {"type": "object"},
        "smallest_violation": {"type": ["object", "null"]},
        "rounds": {"type": ["object", "null"], "properties": {
            "looks": {"type": "integer", "minimum": 2}, "decided_at": {"type": "integer", "minimum": 1},
            "networks": {"type": "integer", "minimum": 1}, "cap": {"type": "integer", "minimum": 1},
            "levels": {"type": "array", "items": {"type": "number"}}, "delta": {"type": "number"},
            "method": {"type": "string"}}},
        "provenance": {"enum": ["", "stated", "seed", "reconstructed", "derived", "proxy"]},
    },
}

RESULTS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["metadata", "verdicts"],
    "properties": {
        "metadata": {
            "type": "object",
            "required": ["versions", "device", "seed", "profile", "git_revision", "started", "finished", "state",
                         "argv", "request", "threads"],
            "properties": {
                "versions": {"type": "object"}, "device": {"type": "string"}, "seed": {"type": "integer"},
                "profile": {"type": "object"}, "git_revision": {"type": ["string", "null"]},
                "started": {"type": "string"}, "finished": {"type": ["string", "null"]},
                "state": {"enum": ["running", "complete", "interrupted", "failed"]},
                "argv": {"type": "array", "items": {"type": "string"}},
                "figures": {"type": "array", "items": {"type": "string"}},
                "request": {"type": "object"},  # the options that decide the numbers (verify.runs.Request)
                "threads": {"type": ["integer", "null"]},  # torch's CPU threads in this process (null: Ray)
                "workers": {"type": ["integer", "null"]},  # processes the jobs ran in (null: Ray)
                "resumed": {"type": "array", "items": {"type": "string"}},  # when each resume started
            },
        },
        "verdicts": {"type": "array", "items": VERDICT_SCHEMA},
        "figures_data": {"type": "object"},
    },
}


@lru_cache(maxsize=1)
def results_schema() -> dict:
    """RESULTS_SCHEMA with ``metadata.profile`` described by the settings' declarations (``verify.profiles.schema``:
    each setting's type, allowed values and meaning)."""
    from verify.profiles import schema as profile_schema

    out = copy.deepcopy(RESULTS_SCHEMA)
    out["properties"]["metadata"]["properties"]["profile"] = profile_schema()
    return out


#: a validator for results in memory too, where the settings' lists are still tuples
_VALIDATOR = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=(
    jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("array", lambda _, value: isinstance(value, (list, tuple)))))


@lru_cache(maxsize=1)
def _results_validator():
    """The validator of ``results_schema()``, its schema checked once: ``jsonschema.validate`` checks the schema
    against the meta-schema on every call, which cost more than the check itself (a run validates on every write)."""
    schema = results_schema()
    _VALIDATOR.check_schema(schema)
    return _VALIDATOR(schema)


@lru_cache(maxsize=1)
def _verdict_validator():
    return _VALIDATOR(VERDICT_SCHEMA)


def validate(results: dict) -> None:
    """Raise jsonschema.ValidationError when ``results`` does not follow the schema (as ``jsonschema.validate``
    does: the best-matching error)."""
    _raise_first(_results_validator(), results)


def validate_verdict(verdict: dict) -> None:
    """``validate`` for one verdict: what a run checks on each new one (the whole file is checked when it opens
    and when it ends; checking all of it on every verdict made a run quadratic in its claims)."""
    _raise_first(_verdict_validator(), verdict)


def _raise_first(validator, instance) -> None:
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


class WriteError(RuntimeError):
    """results.json could not be written (disk full, folder removed, no permission): one sentence; the file on disk
    is the last one written completely (each write goes to a temporary file, renamed over it when whole)."""


class ResultsWriter:
    """A run's results, validated on every change; given a folder, DIR/results.json is rewritten atomically after
    every change, so an interrupted run keeps what it finished.  After a failed write the writer stops writing
    (``failed``): the run ends with the file as it last was whole."""

    def __init__(self, out_dir: Path | None, metadata: dict, order: list[str] | None = None,
                 verdicts: list[dict] = ()) -> None:
        """``out_dir``: None keeps the results in memory only; ``verdicts``: those judged before (a resumed run's,
        or a saved ``verify.results.Results``'), kept as they are."""
        self.path = None if out_dir is None else Path(out_dir) / "results.json"
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.results = {"metadata": metadata, "verdicts": list(verdicts)}
        self._rank = {claim_id: i for i, claim_id in enumerate(order or [])}
        self.failed: WriteError | None = None
        self._write()

    def add(self, verdict: dict) -> None:
        """One more verdict, kept in the order of the claims (an executor may finish them in another order)."""
        validate_verdict(verdict)
        self.results["verdicts"].append(verdict)
        self.results["verdicts"].sort(key=lambda v: self._rank.get(v["claim_id"], len(self._rank)))
        self._write(whole=False)

    def add_figures(self, data: dict, files: list[str]) -> None:
        """The figures' data (computed by the papers' probes; a non-finite number stored as null) and the files
        report.figures drew from it."""
        from verify.verdict import finite

        self.results["figures_data"] = finite(data)
        self.results["metadata"]["figures"] = files
        self._write()

    def finish(self, state: str, finished: str) -> None:
        self.results["metadata"].update(state=state, finished=finished)
        self._write()

    def _write(self, whole: bool = True) -> None:
        """Validate (the whole document unless only a checked verdict was added) and write atomically: on one
        line while the run goes on (json's C encoder; an indented file is pure Python, seconds of a run's one
        core over its some 230 rewrites), indented once the run has ended."""
        if whole:
            validate(self.results)
        if self.path is None or self.failed is not None:
            return
        tmp = self.path.with_suffix(".json.tmp")
        indent = None if self.results["metadata"].get("state") == "running" else 2
        try:
            tmp.write_text(json.dumps(self.results, indent=indent, allow_nan=False) + "\n")
            os.replace(tmp, self.path)
        except OSError as err:
            kept = None
            with suppress(OSError, ValueError, KeyError):
                tmp.unlink(missing_ok=True)
                kept = len(json.loads(self.path.read_text())["verdicts"])
            self.failed = WriteError(
                f"could not write {self.path} ({err.strerror or err}); "
                + (f"it keeps the last complete write, with {kept} verdict(s)" if kept is not None else
                   "nothing of this run is left on disk"))
            raise self.failed from None
