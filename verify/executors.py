"""Executors run a plan's jobs and hand back each sample as soon as it exists.

- ``LocalExecutor``: in this process, one job after another, a progress bar per job.
- ``PoolExecutor``: in ``workers`` processes of this machine, each with its share of the threads: most jobs are
  training loops of small networks that keep one core busy whatever torch's thread count, so two processes on two
  cores finish a run sooner than one process with two threads.
- ``RayExecutor``: Ray tasks on a local cluster (started here, with ``cpus`` CPUs) or on an existing one
  (``address``); each worker resolves its own device.  Ray is an optional extra: ``pip install -e '.[ray]'``.
All yield ``(job, JobResult)`` pairs; the numbers do not depend on the executor, because a job carries its own
seed and every random draw goes through ``numerics.random.Draws``.  Given a ``collections.deque``, an executor
takes jobs from it as it goes, so a caller may append more while results come back (the rounds of
``verify.rounds``); the run ends when the deque is empty and no job is out.
"""
from __future__ import annotations

import itertools
import multiprocessing
import os
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Iterator

from numerics.device import keep_freed_memory, resolve, synchronize
from numerics.experiment import experiment_named
from numerics.papers import load_all
from numerics.random import Draws
from theory.papers import ENVIRONMENT
from verify.plan import Job
from verify.worker import start_worker

#: progress(label, total) -> advance(n): how an executor reports a job's progress
ProgressFactory = Callable[[str, int], Callable[[int], None]]


class ExecutorError(RuntimeError):
    """An executor that cannot start (Ray missing, cluster unreachable): one sentence for the user."""


@dataclass(frozen=True)
class JobResult:
    sample: Any
    device: str  # where the sample was drawn
    seconds: float


def run_job(job: Job, progress: Callable[[int], None] | None = None) -> JobResult:
    """Draw one job's sample on the device this process resolves for it (also the body of a Ray task)."""
    load_all()
    keep_freed_memory()
    experiment = experiment_named(job.experiment)  # a worker without the paper's column says which is missing
    device = resolve(job.device)
    start = time.perf_counter()
    draws = Draws(job.seed, device)
    if job.part is None:
        sample = experiment.draw(job.config, job.settings, draws, progress)
    else:
        sample = experiment.draw_part(job.config, job.settings, draws, *job.part, progress)
    synchronize(device)
    return JobResult(sample, str(device), time.perf_counter() - start)


def _queue(jobs: Iterable[Job]) -> deque:
    """The jobs to run: the caller's deque itself (it may grow while the run goes on), or a copy of the jobs."""
    return jobs if isinstance(jobs, deque) else deque(jobs)


class LocalExecutor:
    """Runs the jobs in this process, in plan order."""

    name = "local"

    def __init__(self, progress: ProgressFactory | None = None) -> None:
        self.progress = progress

    def start(self) -> None:
        """Nothing to start ahead: jobs run in this process."""

    def close(self) -> None:
        """Nothing to end."""

    def map(self, fn: Callable, *iterables: Iterable) -> list:
        """``fn`` over the iterables in this process, results in order."""
        return list(map(fn, *iterables))

    def run(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, JobResult]]:
        queue = _queue(jobs)
        while queue:
            job = queue.popleft()
            advance = self.progress(job.label, job.size) if self.progress else None
            yield job, run_job(job, advance)


class PoolExecutor:
    """Runs the jobs in ``workers`` spawned processes (torch is not fork-safe) with ``threads`` torch threads
    each; results come back in completion order, like Ray's.  A job's numbers do not depend on where it runs
    (its seed travels with it), so the verdicts equal the in-process executor's.

    A worker that dies (killed, out of memory) breaks the pool: the jobs not yet returned run again in a fresh
    pool, at most ``RESTARTS`` times, then an ExecutorError names them (never a hang).  Stopping early (Ctrl-C,
    an error) terminates the workers at once rather than waiting for their jobs.  After a run that finished the
    workers stay, for the next run or ``map``, until ``close``."""

    name = "local"
    RESTARTS = 2

    def __init__(self, workers: int, threads: int = 1, progress: ProgressFactory | None = None) -> None:
        if workers < 2:
            raise ValueError(f"a pool needs two workers or more, got {workers}")
        self.workers, self.threads, self.progress = workers, threads, progress
        self._started = None  # a pool ``start`` spawned or a finished ``run`` kept, which the next one uses

    def _pool(self):
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(self.workers, initializer=start_worker, initargs=(self.threads,),
                                   mp_context=multiprocessing.get_context("spawn"))

    def start(self) -> None:
        """Spawn the workers now and have each import the papers (some 6 s of CPU each), so that they start up
        while the caller builds its claims and plan on its one core instead of after; ``close`` ends them if no
        ``run`` follows."""
        if self._started is None:
            self._started = self._pool()
            for _ in range(self.workers):  # one task per worker: each submit spawns a worker while none is idle
                self._started.submit(load_all)  # the papers' experiments, imported before the first job

    def close(self) -> None:
        """End the workers that ``start`` spawned or a finished ``run`` kept."""
        if self._started is not None:
            _stop(self._started)
            self._started = None

    def map(self, fn: Callable, *iterables: Iterable) -> list:
        """``fn`` over the iterables in the workers, results in order (the figures, drawn by the workers that
        drew the samples: no second pool to start); ``fn`` and its arguments must pickle."""
        if self._started is None:
            self._started = self._pool()
        return list(self._started.map(fn, *iterables))

    def run(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, JobResult]]:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        queue = _queue(jobs)
        if not queue:
            return
        pending: dict[int, Job] = {}  # index -> a job handed to a pool whose result has not come back
        counter = itertools.count()
        advance = (self.progress(f"{len(queue)} job(s) in {min(self.workers, len(queue))} processes",
                                 len(queue)) if self.progress else None)
        for _ in range(self.RESTARTS + 1):
            # the pool ``start`` spawned or a finished run kept, if any (a worker that died warming up costs one
            # of the tries)
            pool, self._started = self._started or self._pool(), None
            broken = False
            try:
                futures = {pool.submit(run_job, job): index for index, job in pending.items()}
                while not broken:
                    while queue:  # what the caller added since the last result
                        index, job = next(counter), queue.popleft()
                        pending[index] = job
                        try:
                            futures[pool.submit(run_job, job)] = index
                        except BrokenProcessPool:  # a worker died while the caller held a result
                            broken = True
                            break
                    if broken:
                        break
                    if not futures:  # every job is back: the workers stay for the next run or map
                        self._started, pool = pool, None
                        return
                    done, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for future in done:
                        index = futures.pop(future)
                        try:
                            result = future.result()
                        except BrokenProcessPool:
                            broken = True  # a worker died: what has not come back runs again in a fresh pool
                            break
                        job = pending.pop(index)
                        if advance is not None:
                            advance(1)
                        yield job, result
            finally:
                if pool is not None:
                    _stop(pool)
        labels = ", ".join(job.label for job in list(pending.values())[:3])
        raise ExecutorError(f"the worker processes died {self.RESTARTS + 1} time(s) (out of memory?) with jobs "
                            f"left: {labels}{', ...' if len(pending) > 3 else ''}; --workers 1 runs them in this "
                            "process")


def _stop(pool) -> None:
    """Shut a process pool down without waiting for its running jobs: its workers are terminated.  The pool's
    own thread reaps them too; joining it as well means no worker is left half-reaped when this returns."""
    processes = list(getattr(pool, "_processes", {}).values())  # the stdlib keeps no public handle on them
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()
    if manager is not None:
        manager.join()


class RayExecutor:
    """Runs the jobs as Ray tasks: one CPU each, and one GPU each where the job may use a GPU and the cluster
    has one.  Results come back in completion order.  A cluster this executor started is shut down at the end;
    one that was already running in this process is left as it was."""

    name = "ray"

    def __init__(self, address: str | None = None, progress: ProgressFactory | None = None) -> None:
        self.address, self.progress = address, progress

    def start(self) -> None:
        """Nothing ahead: ``run`` connects (a cluster keeps its own workers)."""

    def close(self) -> None:
        """Nothing to end: ``run`` shuts down a cluster it started."""

    def map(self, fn: Callable, *iterables: Iterable) -> list:
        """``fn`` over the iterables in this process (the figures go to this machine's folder), in order."""
        return list(map(fn, *iterables))

    def _start(self) -> tuple[object, bool]:
        """(the ray module, whether this executor started the connection)."""
        try:
            import ray
        except ImportError:
            raise ExecutorError("--executor ray needs Ray: pip install -e '.[ray]'") from None
        if ray.is_initialized():
            return ray, False
        # the workers see this process's paper folders (ATV_PAPERS) and import path
        shared = {name: os.environ[name] for name in (ENVIRONMENT, "PYTHONPATH") if os.environ.get(name)}
        options: dict = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False,
                         **({"address": self.address} if self.address else {}),
                         **({"runtime_env": {"env_vars": shared}} if shared else {})}
        try:
            ray.init(**options)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise ExecutorError(f"could not start or reach a Ray cluster ({self.address or 'local'}): "
                                f"{str(err).splitlines()[0]}") from None
        return ray, True

    def run(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, JobResult]]:
        queue = _queue(jobs)
        ray, started = self._start()
        try:
            gpus = ray.cluster_resources().get("GPU", 0)
            task = ray.remote(run_job)
            pending = {}
            advance = self.progress(f"{len(queue)} job(s) on Ray", len(queue)) if self.progress else None
            while queue or pending:
                while queue:  # what the caller added since the last result
                    job = queue.popleft()
                    if gpus == 0 and job.device.startswith("cuda"):
                        raise ExecutorError("--device cuda was asked for but the Ray cluster has no GPU; use "
                                            "--device auto or cpu")
                    wants_gpu = gpus > 0 and job.device != "cpu"
                    if wants_gpu:  # a task sees only the GPU Ray gives it, as its cuda:0
                        job = replace(job, device="cuda")
                    pending[task.options(num_cpus=1, num_gpus=1 if wants_gpu else 0).remote(job)] = job
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    job = pending.pop(ref)
                    result = ray.get(ref)
                    if advance is not None:
                        advance(1)
                    yield job, result
        finally:
            if started:
                ray.shutdown()


def make_executor(name: str, address: str | None = None, progress: ProgressFactory | None = None,
                  workers: int = 1, threads: int = 1):
    """The executor ``name``; a local one with ``workers`` > 1 is a pool of that many processes, ``threads``
    torch threads each."""
    if name == "local":
        if address:
            raise ExecutorError("--address needs --executor ray")
        return PoolExecutor(workers, threads, progress) if workers > 1 else LocalExecutor(progress)
    if name == "ray":
        return RayExecutor(address, progress=progress)
    raise ExecutorError(f"--executor must be local or ray, got {name!r}")
