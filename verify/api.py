"""The library entry point: ``verify.run(...) -> Results``, what ``atv run`` calls (DESIGN.md, CLI and library
contract).

Every option is checked before torch loads or a claim is built; a bad one raises a ValueError or LookupError
subclass (RunError, ProfileError, DeviceError, UnknownClaimError, RegistrationError) whose message is the one
sentence ``atv`` prints.  The library prints nothing: a caller watches a run through ``on_verdict`` and a
``Progress``.
"""
from __future__ import annotations

import inspect
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata as packages
from pathlib import Path
from typing import Callable, Mapping, Sequence

from verify.results import Results, ResultsSink
from verify.runs import (Request, Threads, check_threads, check_workers, choose_threads, now, resume_conflict,
                         split_globs, time_spent)
from verify.verdict import Verdict

#: the most worker processes a local CPU run starts unless ``workers`` asks for more
DEFAULT_WORKERS = 8
#: the options that decide a run's numbers or its folder: a resumed run takes them from its folder
RUN_OPTIONS = ("only", "profile", "seed", "device", "executor", "address", "out", "overrides", "figures", "overwrite")


@dataclass(frozen=True)
class Started:
    """What a run is about to do, told to ``Progress.start`` once every check has passed."""

    metadata: dict  # as results.json holds it: profile, device, seed, ...
    claims: list[str]  # the selected claim ids, in order
    kept: int  # verdicts an interrupted run finished, not judged again
    jobs: list[str]  # the experiment of each job to run
    threads: Threads  # torch's CPU threads in this process, and how they were chosen
    workers: int  # processes the jobs are spread over (1: this one)
    path: Path | None  # the results.json written as the run goes, if any


class Progress:
    """The hooks a run reports through; the defaults do nothing.  ``atv`` draws its progress bars (or its plain
    lines in a log) by overriding them."""

    def start(self, started: Started) -> None:
        """Every check has passed and the folder is locked: the jobs are about to run."""

    def task(self, label: str, total: int) -> Callable[[int], None]:
        """A job of ``total`` steps begins: the function that advances it (the executor calls it)."""
        return lambda n=1: None

    def job(self, experiment: str, seconds: float, share: float = 1.0) -> None:
        """A job of ``experiment`` finished in ``seconds`` (``share`` < 1: one round of a job in rounds, that part
        of it)."""

    def skipped(self, experiment: str, share: float) -> None:
        """That ``share`` of a job of ``experiment`` will not be drawn: the claims reading it were decided."""

    def verdict(self, verdict: Verdict) -> None:
        """A claim was judged."""

    def stop(self) -> None:
        """The run ended (completed, interrupted or failed)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run: ``results`` holds the verdicts finished so far (also in results.json when the run has a
    folder, where ``run(resume=folder)`` continues it), ``selected`` the number of claims the run selected."""

    def __init__(self, results: Results, selected: int) -> None:
        super().__init__(f"interrupted after {len(results)} of {selected} verdict(s)")
        self.results, self.selected = results, selected


def run(only: str | Sequence[str] | None = None, profile: str = "quick", seed: int = 0, device: str | None = None,
        executor: str = "local", address: str | None = None, out: str | Path | None = None,
        overrides: Mapping[str, object] | None = None, figures: bool = True, threads: int | None = None,
        workers: int | None = None, resume: str | Path | None = None, overwrite: bool = False,
        on_verdict: Callable[[Verdict], None] | None = None, progress: Progress | None = None) -> Results:
    """Verify the claims ``only`` selects (comma-separated globs or a list; None: every claim) and return their
    verdicts.

    ``profile``: quick | paper | paper-cpu | full; ``overrides``: settings over the profile (KEY -> value, as
    ``atv run --set``); ``seed``: the same seed gives the same verdicts on any executor; ``device``: auto | cpu |
    cuda[:i] (default: the profile's); ``executor``: local | ray (``address``: a Ray cluster); ``figures``: compute
    the figures' data (drawn into ``out`` when given); ``threads``: torch's CPU threads (default: the idle cores);
    ``workers``: processes a local CPU run spreads its jobs over, the threads shared among them (default: one per
    thread; 1 runs every job in this process).
    ``out``: a folder for results.json, rewritten after every verdict (None: nothing is written; ``Results.save``
    writes later); a folder holding a run is refused unless ``overwrite``.  ``resume``: continue the unfinished
    run in that folder with its own options (then none of ``RUN_OPTIONS`` may be given).  Ctrl-C raises
    ``Interrupted`` with the verdicts so far; a results.json that cannot be written (disk full, folder removed)
    raises ``verify.schema.WriteError``, the file keeping its last complete write.
    """
    arguments = locals()
    if resume is not None:
        defaults = inspect.signature(run).parameters
        changed = [name for name in RUN_OPTIONS if arguments[name] != defaults[name].default]
        if changed:
            raise resume_conflict(changed[0], prefix="")
        sink = ResultsSink(resume, resume=True)
        request = sink.request
    else:
        globs = split_globs(only) if only is None or isinstance(only, str) else list(only)
        request = Request(profile, dict(overrides or {}), globs, seed, device, figures, executor, address)
        sink = ResultsSink(out, overwrite=overwrite)
    check_threads(threads)
    check_workers(workers)
    chosen, claim_ids = _check(request)
    sink.check_selection(claim_ids)
    return _execute(request, chosen, claim_ids, sink, choose_threads(threads), workers,
                    on_verdict or (lambda verdict: None), progress or Progress())


def _check(request: Request):
    """The profile with its overrides and the selected claim ids, or the first bad value (nothing built)."""
    from numerics.device import check_spelling
    from numerics.seeds import check_seed
    from theory.registry import load
    from verify.profiles import ProfileError, get_profile

    check_seed(request.seed)
    if request.executor not in ("local", "ray"):
        raise ProfileError(f"--executor must be local or ray, got {request.executor!r}")
    chosen = get_profile(request.profile)
    chosen = chosen.with_overrides(request.overrides) if request.overrides else chosen
    check_spelling(chosen.device if request.device is None else request.device)  # '' is refused, not the default
    return chosen, load().match(request.only)


def _execute(request: Request, chosen, claim_ids: list[str], sink: ResultsSink, threads: Threads,
             workers: int | None, on_verdict: Callable[[Verdict], None], progress: Progress) -> Results:
    """Start the executor, then build the claims, plan (every claim checked at every point before anything is
    drawn), execute and judge."""
    from numerics.device import resolve
    from verify.executors import make_executor

    requested = chosen.device if request.device is None else request.device
    local = request.executor == "local"
    # a local run resolves its device here (and refuses an absent GPU now); Ray workers resolve their own
    job_device = str(resolve(requested)) if local else requested
    # one GPU serves one process; on CPUs the threads are shared among the workers (one each by default, at most
    # DEFAULT_WORKERS: each worker holds its own torch, about half a GiB)
    workers = 1 if not local or job_device != "cpu" else min(workers or min(threads.count, DEFAULT_WORKERS),
                                                             threads.count)
    runner = make_executor(request.executor, request.address, workers=workers,
                           threads=max(1, threads.count // workers))
    try:
        runner.start()  # a pool's workers import the papers while this process builds the claims and plans below
        return _plan_and_run(request, chosen, claim_ids, sink, threads, workers, on_verdict, progress, runner,
                             job_device, local)
    finally:
        runner.close()  # a pool that no run took (an error while planning)


def _plan_and_run(request: Request, chosen, claim_ids: list[str], sink: ResultsSink, threads: Threads, workers: int,
                  on_verdict: Callable[[Verdict], None], progress: Progress, runner, job_device: str,
                  local: bool) -> Results:
    """``_execute`` once its executor is started: build the claims, plan, draw, judge and draw the figures."""
    import torch

    from numerics.device import describe
    from numerics.experiment import PROBES, RegistrationError
    from numerics.papers import load_all
    from report.figures import registered
    from theory.registry import load
    from verify.catalog import entry
    from verify.suite import Suite

    claims = [load()[claim_id] for claim_id in claim_ids]
    skip = {v.claim_id for v in sink.kept}
    entries = [entry(claim) for claim in claims if claim.id not in skip]
    load_all()  # registers the probes (a resumed run may have no claim left to load them)
    wanted = {figure.probe for figure in registered().values() if request.figures and any(
        figure.illustrates(claim.id) for claim in claims)}  # a figure's claim globs say when its probe runs
    unknown = sorted(wanted - set(PROBES))
    if unknown:
        raise RegistrationError(f"a report figure draws the probe {unknown[0]!r}, which no paper registers")
    probes = [probe for name, probe in PROBES.items() if name in wanted]
    suite = Suite(chosen, request.seed, job_device, runner)
    plan = suite.plan(entries, probes)  # checks every claim at every point
    where = describe(job_device) if local else f"ray ({request.address or 'local cluster'}), {job_device}"
    metadata = run_metadata(chosen.describe(), where, request.seed, request.executor)
    metadata.update(request=request.to_json(), threads=threads.count if local else None,
                    threads_source=threads.source if local else None, workers=workers if local else None)
    state, before = "failed", torch.get_num_threads()
    # with a pool the workers draw; this process judges, on one thread so as not to take their cores
    torch.set_num_threads(1 if workers > 1 else threads.count)
    spent: dict[str, float] = {}  # the jobs' compute seconds by experiment
    start, drawing = time.perf_counter(), 0.0
    try:
        sink.open(metadata, claim_ids)  # locks the folder: a second run into it is refused from here on
        jobs = [job.experiment for job in plan.jobs]
        progress.start(Started(metadata, claim_ids, len(sink.kept), jobs, threads, workers, sink.path))

        def record(verdict: Verdict) -> None:
            sink.add(verdict)
            progress.verdict(verdict)
            on_verdict(verdict)

        def job_done(job, seconds: float) -> None:
            spent[job.experiment] = spent.get(job.experiment, 0.0) + seconds
            progress.job(job.experiment, seconds, job.share)

        runner.progress = progress.task
        suite.on_verdict, suite.on_job = record, job_done
        suite.on_skip = lambda job, share: progress.skipped(job.experiment, share)
        _, data = suite.execute(plan, sink.kept)
        if data:
            drawn = time.perf_counter()
            sink.add_figures(data, map=runner.map)  # drawn by the workers: their cores are free by now
            drawing = time.perf_counter() - drawn
        state = "complete"
    except KeyboardInterrupt:
        state = "interrupted"
    finally:
        progress.stop()
        sink.close(state, timings=time_spent(spent, time.perf_counter() - start, drawing))
        torch.set_num_threads(before)
    if state == "interrupted":
        raise Interrupted(sink.results(), len(claim_ids))
    return sink.results()


def run_metadata(profile: dict, device: str, seed: int, executor: str) -> dict:
    """results.json's metadata at the start of a run: versions, device, seed, settings, revision, times, argv."""
    versions = {"python": platform.python_version()}
    for package in ("adversarial-theory-verifier", "torch", "sympy", "mpmath", "numpy", "scipy", "hypothesis", "ray"):
        try:
            versions[package] = packages.version(package)
        except packages.PackageNotFoundError:
            versions[package] = None
    return {"versions": versions, "device": device, "executor": executor, "seed": seed, "profile": profile,
            "git_revision": git_revision(), "started": now(), "finished": None, "state": "running",
            "argv": sys.argv[1:]}


def git_revision() -> str | None:
    """The checkout's commit, with "-dirty" when it has uncommitted changes; None outside a git checkout."""
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if rev.returncode != 0:
        return None
    return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
