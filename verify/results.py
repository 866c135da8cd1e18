"""A run's results in Python (``Results``) and where they go while the run works (``ResultsSink``).

Nothing here imports torch: a run folder is refused, resumed or read back before any claim is built.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from verify.runs import (Request, RunError, check_out, now, prepare_out, read_results, results_path,
                         resume_record)
from verify.verdict import Status, Verdict

if TYPE_CHECKING:  # an optional extra, imported when a frame is asked for
    import pandas

#: the columns of ``Results.to_frame``: the verdict table's, then what a notebook filters or groups by
COLUMNS = ("claim_id", "status", "statistic", "ci_low", "ci_high", "band", "tolerance", "comparison", "n_samples",
           "units", "provenance", "kind", "delta", "p_value", "seed", "device", "seconds", "notes", "statement")


@dataclass
class Results:
    """A run's typed verdicts (in claim order), its metadata as results.json holds it, and its figures' data."""

    verdicts: list[Verdict]
    metadata: dict
    figures: dict = field(default_factory=dict)  # probe name -> the data its figure is drawn from
    path: Path | None = None  # the results.json written or read, if any

    def __iter__(self) -> Iterator[Verdict]:
        return iter(self.verdicts)

    def __len__(self) -> int:
        return len(self.verdicts)

    def __getitem__(self, claim_id: str) -> Verdict:
        found = next((v for v in self.verdicts if v.claim_id == claim_id), None)
        if found is None:
            raise KeyError(f"no verdict on {claim_id!r} in these results")
        return found

    def counts(self) -> dict[Status, int]:
        """How many verdicts of each status (every status listed, in the verdict table's order)."""
        return {status: sum(v.status is status for v in self.verdicts) for status in Status}

    def to_frame(self) -> pandas.DataFrame:
        """One row per verdict (``COLUMNS``) as a pandas DataFrame; pandas is the optional extra ``frame``."""
        try:
            import pandas
        except ImportError:
            raise ImportError("Results.to_frame needs pandas: pip install -e '.[frame]'") from None
        from verify.console import band

        rows = [{**{name: getattr(v, name) for name in COLUMNS if hasattr(v, name)}, "status": v.status.value,
                 "band": band(v), "units": sum(config["units"] for config in v.configs)} for v in self.verdicts]
        return pandas.DataFrame(rows, columns=list(COLUMNS))

    def save(self, folder: str | Path, overwrite: bool = False) -> Path:
        """Write results.json (schema-validated) and the figures into ``folder``; a folder holding a run is
        refused unless ``overwrite``.  The path of results.json."""
        sink = ResultsSink(folder, overwrite=overwrite)
        sink.open(copy.deepcopy(self.metadata), [v.claim_id for v in self.verdicts], self.verdicts)
        try:
            if self.figures:
                sink.add_figures(self.figures)
        finally:
            sink.close(self.metadata["state"], self.metadata["finished"])
        self.path = sink.path
        return self.path

    @classmethod
    def load(cls, path: str | Path) -> "Results":
        """The results of a results.json, or of the one in a run folder (validated; a RunError if it is not one)."""
        path = Path(path)
        path = results_path(path) if path.is_dir() else path
        data = read_results(path)
        return cls([Verdict.from_json(v) for v in data["verdicts"]], data["metadata"], data.get("figures_data", {}),
                   path)


class ResultsSink:
    """Where a run's results go as they arrive: memory, and with a folder its results.json.

    The folder's whole life is here, so that callers never handle it: refused before anything is computed when it
    cannot be written or holds a run (unless ``overwrite``); read back to resume an unfinished run (``resume``);
    locked while the run writes (a second run into it is refused); results.json rewritten, validated, after every
    verdict, so an interrupted run keeps what it finished."""

    def __init__(self, folder: str | Path | None = None, overwrite: bool = False, resume: bool = False) -> None:
        self.request: Request | None = None  # a resumed run's own options
        self._previous: dict = {"verdicts": []}  # a resumed run's results.json
        if resume:
            self.request, self._previous = resume_record(folder)
        elif folder is not None:
            check_out(folder, overwrite)  # given as it came, so that '' is refused rather than read as '.'
        self.folder = None if folder is None else Path(folder)
        self.kept = [Verdict.from_json(v) for v in self._previous["verdicts"]]  # finished before: not judged again
        self.verdicts = list(self.kept)
        self.figures: dict = {}
        self._writer = self._lock = None
        self._rank: dict[str, int] = {}

    @property
    def path(self) -> Path | None:
        return None if self.folder is None else results_path(self.folder)

    def check_selection(self, claim_ids: list[str]) -> None:
        """Refuse to resume when a kept verdict is on a claim the run no longer selects."""
        unselected = [v.claim_id for v in self.kept if v.claim_id not in claim_ids]
        if unselected:
            raise RunError(f"{self.folder}/results.json holds a verdict on {unselected[0]}, which the run's claims "
                           "no longer include (were the claims renamed?); start a new run")

    def open(self, metadata: dict, order: list[str], verdicts: Sequence[Verdict] = ()) -> None:
        """Lock the folder and write the first results.json: ``metadata`` (a resumed run keeps its start time and
        gains a resume time), the kept verdicts and ``verdicts``; later verdicts are kept in ``order``."""
        from verify.schema import ResultsWriter  # jsonschema: not needed to refuse a run

        if self.folder is not None:
            self._lock = prepare_out(self.folder)
        if self.kept:
            earlier = self._previous["metadata"]
            metadata.update(started=earlier["started"], resumed=[*earlier.get("resumed", []), now()])
        self.verdicts += verdicts
        self._rank = {claim_id: i for i, claim_id in enumerate(order)}
        self._writer = ResultsWriter(self.folder, metadata, order,
                                     [*self._previous["verdicts"], *(v.to_json() for v in verdicts)])

    def add(self, verdict: Verdict) -> None:
        self.verdicts.append(verdict)
        self._writer.add(verdict.to_json())

    def add_figures(self, data: dict, map: Callable = map) -> None:
        """The probes' data, and with a folder the figures drawn from it into the folder (by ``map``: see
        ``report.figures.draw_all``)."""
        from report.figures import draw_all  # matplotlib: only when there is something to draw

        self.figures = data
        self._writer.add_figures(data, draw_all(data, self.folder, map) if self.folder is not None else [])

    def close(self, state: str, finished: str | None = None, timings: dict | None = None) -> None:
        """Record how the run ended (and when: now unless given; where its time went) and release the folder."""
        if self._writer is not None:
            if timings is not None:
                self._writer.results["metadata"]["timings"] = timings
            self._writer.finish(state, finished or now())
        if self._lock is not None:
            self._lock.close()

    def results(self) -> Results:
        """What the sink holds, as ``Results`` (verdicts in claim order; the metadata as results.json holds it)."""
        verdicts = sorted(self.verdicts, key=lambda v: self._rank.get(v.claim_id, len(self._rank)))
        return Results(verdicts, json.loads(json.dumps(self._writer.results["metadata"])), self.figures, self.path)
