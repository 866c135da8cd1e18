"""What ``atv run`` checks before it computes anything, and what lets a run be resumed.

- The output folder: writable, and never holding a run this one would destroy (``--overwrite`` replaces it,
  ``--resume`` continues an unfinished one).
- The request: every option that decides the numbers (profile, overrides, claims, seed, device, figures,
  executor), recorded in results.json so that ``--resume DIR`` rebuilds exactly the same run.
- The thread count for a shared machine, and plain progress lines when stdout is not a terminal.
Nothing here imports torch or builds a claim: a refusal costs well under a second.  The folder's lifecycle as a
whole (checked, locked, written, resumed) is ``verify.results.ResultsSink``.
"""
from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Mapping, TextIO


class RunError(ValueError):
    """A run that must not start (its folder, its resume record, its thread count): one sentence."""


@dataclass(frozen=True)
class Request:
    """The options that decide a run's numbers; a resumed run takes them from results.json."""

    profile: str = "quick"
    overrides: dict = field(default_factory=dict)  # KEY -> raw value (--config first, then --set)
    only: list[str] | None = None
    seed: int = 0
    device: str | None = None
    figures: bool = True
    executor: str = "local"
    address: str | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object, where: Path) -> "Request":
        try:
            return cls(**data)
        except TypeError:
            raise RunError(f"{where} records no usable request (made by an older atv?); start a new run") from None


def split_globs(only: str | None) -> list[str] | None:
    """``--only a,b`` -> ['a', 'b']; None when the option is absent; a ValueError when it names nothing."""
    if only is None:
        return None
    parts = [part.strip() for part in only.split(",") if part.strip()]
    if not parts:
        raise ValueError(f"--only needs one or more comma-separated names, got {only!r}")
    return parts


def resume_conflict(option: str, prefix: str = "--") -> RunError:
    """A resumed run takes every option that decides its numbers from its folder: ``option`` may not be given."""
    return RunError(f"{prefix}resume reruns with the run's own options; {prefix}{option} cannot be given with it")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


#: the file a running ``atv run`` holds locked in its output folder
LOCK = ".atv-lock"


def results_path(out: Path) -> Path:
    return Path(out) / "results.json"


def check_out(out: Path, overwrite: bool) -> None:
    """Refuse an output folder that cannot be written, or that holds a run this one would replace
    (unless ``overwrite``)."""
    if not str(out).strip():
        raise RunError(f"--out needs a folder name, got {str(out)!r}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RunError(f"--out {str(out)!r} is a file, not a folder")
    existing = next((p for p in (out, *out.parents) if p.exists()), Path("."))
    if not existing.is_dir():
        raise RunError(f"--out {str(out)!r} lies under {str(existing)!r}, which is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise RunError(f"--out {str(out)!r}: {str(existing)!r} is not writable")
    path = results_path(out)
    if path.exists() and not overwrite:
        state = _read(path).get("metadata", {}).get("state", "unknown")
        advice = (f"`atv run --resume {out}` continues it, " if state in ("running", "interrupted", "failed") else "")
        raise RunError(f"{path} holds a {state} run; {advice}--overwrite replaces it, or choose another --out")


def prepare_out(out: Path) -> TextIO:
    """Create the output folder and lock it for this run: the open lock file, to be closed when the run ends.

    The lock (``flock`` on OUT/.atv-lock) is released by the system when the process dies, so a crashed run
    leaves no stale lock, while a second ``atv run`` into OUT started meanwhile is refused."""
    try:
        Path(out).mkdir(parents=True, exist_ok=True)
        lock = open(Path(out) / LOCK, "w")
    except OSError as err:
        raise RunError(f"--out {str(out)!r} cannot be written: {err.strerror or err}") from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise RunError(f"another atv run is writing to {str(out)!r} right now; wait for it or choose another "
                       "--out") from None
    return lock


def resume_record(folder: Path) -> tuple[Request, dict]:
    """The request of an unfinished run in ``folder`` and its results (metadata and finished verdicts)."""
    path = results_path(folder)
    if not path.is_file():
        raise RunError(f"--resume {str(folder)!r}: no results.json there")
    try:
        data = read_results(path)
    except RunError as err:
        raise RunError(f"{err}; start a new run") from None
    metadata = data["metadata"]
    if metadata["state"] == "complete":
        raise RunError(f"--resume {str(folder)!r}: that run is complete; nothing to resume")
    return Request.from_json(metadata["request"], path), data


def read_results(path: Path) -> dict:
    """A results.json, read and validated against the schema (a RunError in one sentence otherwise)."""
    import jsonschema

    from verify.schema import validate

    data = _read(path)
    try:
        validate(data)
    except jsonschema.ValidationError as err:
        raise RunError(f"{path} is not a valid results file ({err.message})") from None
    return data


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise RunError(f"{path} cannot be read as a results file: {err}") from None
    if not isinstance(data, dict):
        raise RunError(f"{path} is not a results file")
    return data


#: the most threads ``--threads`` accepts (a typo such as 1000 would oversubscribe any machine)
MAX_THREADS = 256


#: how long the machine's busy time is sampled to choose the thread count (a run waits this long once)
SAMPLE_SECONDS = 0.25


@dataclass(frozen=True)
class Threads:
    """torch's CPU threads for a run, and how they were chosen (printed in the header, kept in results.json)."""

    count: int
    source: str


def cpu_times() -> tuple[float, float] | None:
    """(busy, total) clock ticks of the whole machine from /proc/stat, or None where there is none."""
    try:
        with open("/proc/stat") as stat:
            fields = [float(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])  # user..steal; guest time is already counted in user


def own_ticks() -> float:
    """This process's CPU time in clock ticks (what it spends itself is not other work)."""
    times = os.times()
    return (times.user + times.system) * os.sysconf("SC_CLK_TCK")


def busy_now(cpus: int, seconds: float = SAMPLE_SECONDS) -> float | None:
    """CPUs busy with other processes over the next ``seconds``: the machine's busy share of its ticks from
    /proc/stat, this process's own ticks excluded; None where /proc/stat is missing."""
    before, mine = cpu_times(), own_ticks()
    if before is None:
        return None
    time.sleep(seconds)
    after, spent = cpu_times(), own_ticks() - mine
    if after is None or after[1] <= before[1]:
        return None
    busy, total = after[0] - before[0] - spent, after[1] - before[1]
    return max(0.0, cpus * busy / total)


def default_threads() -> Threads:
    """The idle cores now, at least one: the CPUs this process may use minus those busy with other work over a
    quarter of a second (/proc/stat), or minus the one-minute load average where /proc/stat is missing.  The
    load average still counts a run that has just ended, so it took one thread on an idle machine right after
    another run; on a busy 2-core machine torch's default of 2 threads ran about 10x slower than 1."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    busy = busy_now(cpus)
    if busy is not None:
        source = f"idle CPUs now: {cpus - busy:.1f} of {cpus} (/proc/stat over {SAMPLE_SECONDS:g} s)"
    else:
        try:
            busy = os.getloadavg()[0]
        except OSError:
            busy = 0.0
        source = f"idle CPUs: {cpus} minus the one-minute load average {busy:.2f}"
    return Threads(max(1, min(cpus, cpus - round(busy))), source)


def check_threads(threads: int | None) -> None:
    """Refuse a thread count out of range (given ones only: choosing the default samples the machine)."""
    if threads is not None and not 1 <= threads <= MAX_THREADS:
        raise RunError(f"--threads must be between 1 and {MAX_THREADS}, got {threads}")


def check_workers(workers: int | None) -> None:
    """``--workers`` is None (one per thread) or between 1 and MAX_THREADS."""
    if workers is not None and not 1 <= workers <= MAX_THREADS:
        raise RunError(f"--workers must be between 1 and {MAX_THREADS}, got {workers}")


def choose_threads(threads: int | None) -> Threads:
    """The given thread count, or the idle cores now (``default_threads``)."""
    check_threads(threads)
    return Threads(threads, "--threads") if threads is not None else default_threads()


class TimeLeft:
    """A rough estimate of a run's time left: the jobs left of each experiment are costed at the seconds per job
    its finished work took (all finished work's while it has none), so a few heavy jobs at the start do not
    inflate the estimate for the light ones after them; ``workers`` processes share the jobs left.  A job in
    rounds counts by shares (a round of 128 of 1024 networks: 1/8), and the share its claims left undrawn is
    dropped (``skipped``): while claims may still stop early, the estimate tends to overstate."""

    def __init__(self, experiments: list[str], workers: int = 1) -> None:
        self.left: dict[str, float] = {}  # experiment -> the jobs (shares of jobs) not yet finished
        for name in experiments:
            self.left[name] = self.left.get(name, 0.0) + 1.0
        self.spent: dict[str, list[float]] = {}  # experiment -> [seconds, shares] of its finished work
        self.workers = workers

    def done(self, experiment: str, seconds: float, share: float = 1.0) -> str:
        """Record finished work (a job, or a round: ``share`` of one); the estimate as text ('' until some work
        has finished)."""
        spent = self.spent.setdefault(experiment, [0.0, 0.0])
        spent[0], spent[1] = spent[0] + seconds, spent[1] + share
        return self.skipped(experiment, share)

    def skipped(self, experiment: str, share: float) -> str:
        """Drop ``share`` of a job that will not run; the estimate as text."""
        self.left[experiment] = max(0.0, self.left.get(experiment, 0.0) - share)
        if not self.spent:
            return ""
        seconds, shares = (sum(values) for values in zip(*self.spent.values()))
        rate = {name: s / n for name, (s, n) in self.spent.items() if n > 0}
        total = sum(left * rate.get(name, seconds / max(shares, 1e-12)) for name, left in self.left.items())
        return f"about {clock(total / self.workers)} left" if total > 1e-9 else ""


class PlainProgress:
    """Progress for logs and pipes: one line per finished claim (id, verdict, seconds), with the jobs done and
    the run's estimated time left."""

    def __init__(self, stream: TextIO, claims: int, jobs: int) -> None:
        self.stream, self.claims, self.jobs = stream, claims, jobs
        self.claims_done, self.jobs_done = 0, 0.0
        self.left = ""
        self.start = time.monotonic()

    def job_done(self, share: float, left: str) -> None:
        """Work finished or dropped: a job, or ``share`` of one in rounds."""
        self.jobs_done, self.left = self.jobs_done + share, left

    def claim_done(self, claim_id: str, status: str, seconds: float) -> None:
        self.claims_done += 1
        width = len(str(self.claims))
        print(f"[{self.claims_done:>{width}}/{self.claims}] {claim_id} {status} {seconds:.1f} s (elapsed "
              f"{clock(time.monotonic() - self.start)}, jobs {int(self.jobs_done + 1e-9)}/{self.jobs}"
              + (f", {self.left}" if self.left else "") + ")", file=self.stream, flush=True)

    def task(self, label: str, total: int) -> Callable[[int], None]:
        """Executors ask for a bar per job; in a log the claim lines are enough."""
        return lambda n=1: None


def time_spent(experiments: Mapping[str, float], wall: float, figures: float) -> dict:
    """Where a run's time went, for results.json and the end of ``atv run``: the wall time, the figures' drawing,
    and the compute seconds of the jobs by experiment and by paper (an experiment is named <paper>.<name>),
    slowest first.  Jobs run in parallel on Ray, so there the sums can exceed the wall time."""
    papers: dict[str, float] = {}
    for name, seconds in experiments.items():
        paper = name.partition(".")[0]
        papers[paper] = papers.get(paper, 0.0) + seconds

    def slowest(table: Mapping[str, float]) -> dict:
        return {key: round(value, 3) for key, value in sorted(table.items(), key=lambda item: -item[1])}

    return {"wall_s": round(wall, 3), "figures_s": round(figures, 3), "papers_s": slowest(papers),
            "experiments_s": slowest(experiments)}


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"
