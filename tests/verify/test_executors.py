"""Determinism: the same seed gives the same verdicts whatever the executor, the number of workers and the number
of torch threads (each job carries its own seed; every draw goes through ``numerics.random``).

A verdict is a function of its jobs' samples, so determinism is proved on the samples: the first job of every
registered experiment in the TINY catalog's plan (its claims and the figures' probes), drawn in this process,
with the other thread count, in two spawned pool processes and on two Ray workers, must give the same sample
bit for bit (but the wall-clock seconds it records).  One small run through the CLI then checks that
``--workers 2`` and ``--executor ray`` reach their executors and give the in-process verdict numbers.  Ray
starts once for the module (start-up costs seconds)."""
from __future__ import annotations

import dataclasses
import json
import os
import platform

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from numerics.experiment import EXPERIMENTS, PROBES
from tests.exact import untimed
from tests.tiny import TINY
from verify import cli
from verify.catalog import catalog
from verify.checker import check_bound
from verify.executors import ExecutorError, LocalExecutor, PoolExecutor, RayExecutor, make_executor
from verify.plan import Job
from verify.profiles import get_profile
from verify.suite import Suite

#: the TINY sizes, the Jacobian's networks in rounds of 4 and 8 (``verify.rounds``): rounds move no number either
SETTINGS = [arg for key, value in {**TINY, "networks": 8, "rounds": 2}.items() for arg in ("--set", f"{key}={value}")]
#: two cheap claims of two experiments (two jobs, so a pool of two shares them), no figure drawn
CLAIMS = "meanfield.thm4_1.jacobian_variance.vanilla,meanfield.beta.1_1.chevet"


def test_untimed_sees_every_number_but_the_seconds():
    @dataclasses.dataclass
    class Sample:
        values: dict
        seconds: float

    sample = Sample({(1, float("inf")): np.arange(2000.0), "nan": float("nan")}, seconds=1.0)
    assert untimed(sample) == untimed(dataclasses.replace(sample, seconds=2.0))  # the clock is ignored
    moved = np.arange(2000.0)
    moved[1000] += 1e-9  # where numpy's repr elides (..., over 1000 items) and below its 8 printed digits
    assert untimed(sample) != untimed(Sample({(1, float("inf")): moved, "nan": float("nan")}, seconds=1.0))
    assert untimed(sample) != untimed(Sample({(1, float("inf")): np.arange(2000.0), "nan": 0.0}, seconds=1.0))


@pytest.fixture(scope="module")
def jobs() -> list[Job]:
    """The first job of every registered experiment in the plan of the TINY catalog and the figures' probes.

    A plan lists its jobs in the order the claims first need them, so the first claim of each experiment gives
    that experiment's first job of the whole catalog's plan: planning those claims alone gives the same jobs
    (and costs a second instead of fifteen)."""
    profile = get_profile("quick").with_overrides(TINY)
    first_claims: dict = {}
    for entry in catalog().values():
        first_claims.setdefault(entry.experiment.name, entry)
    plan = Suite(profile, seed=0).plan(first_claims.values(), PROBES.values())
    first: dict[str, Job] = {}
    for job in plan.jobs:
        first.setdefault(job.experiment, job)
    assert sorted(first) == sorted(EXPERIMENTS)  # every experiment, the figures' own included
    return list(first.values())


@pytest.fixture(scope="module")
def alone(jobs) -> dict:
    """Each job's sample drawn in this process, in plan order."""
    return {job.key: untimed(result.sample) for job, result in LocalExecutor().run(jobs)}


def same_samples(pairs, jobs: list[Job], alone: dict) -> None:
    """Every job comes back once, with the sample it has in this process (a mix-up would pair a sample with
    another job's key)."""
    found = {}
    for job, result in pairs:
        assert job.key not in found
        found[job.key] = untimed(result.sample)
    assert sorted(found) == sorted(job.key for job in jobs)
    assert [job.experiment for job in jobs if found[job.key] != alone[job.key]] == []


@pytest.mark.slow
def test_one_torch_thread_draws_the_samples_of_two(jobs, alone):
    threads = torch.get_num_threads()
    torch.set_num_threads(1 if threads > 1 else 2)
    try:
        same_samples(LocalExecutor().run(jobs), jobs, alone)
    finally:
        torch.set_num_threads(threads)


@pytest.mark.slow
def test_two_worker_processes_draw_the_samples_of_one_and_stop_when_closed(jobs, alone):
    """Two spawned processes give every job its in-process sample, paired with its own job though results come
    back in completion order; closing the stream early terminates the workers instead of waiting for their jobs:
    here a training job of 10^4 steps (minutes to an hour), queued last, that is still running."""
    import multiprocessing
    import threading
    import time

    training = next(job for job in jobs if job.experiment == "meanfield.dynamics")
    endless = dataclasses.replace(training, key=f"{training.key} (10^4 steps)",
                                  config=dataclasses.replace(training.config, steps=10**4))
    stream = PoolExecutor(2, threads=1).run([*jobs, endless])
    pairs = []
    for job, result in stream:
        assert job.key != endless.key
        pairs.append((job, result))
        if len(pairs) == len(jobs):
            break
    # a close that waited for the training job would wait minutes: after 60 s its workers are killed, and it fails
    watchdog = threading.Timer(60, lambda: [process.kill() for process in multiprocessing.active_children()])
    watchdog.start()
    start = time.perf_counter()
    try:
        stream.close()
    finally:
        watchdog.cancel()
    assert time.perf_counter() - start < 60 and multiprocessing.active_children() == []
    same_samples(pairs, jobs, alone)
    with pytest.raises(ValueError, match="two workers"):
        PoolExecutor(1)


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray cluster with this machine's CPUs (2 in CI: two workers), started as ``--executor ray`` starts
    it, and kept for the module: the Ray executors below find it running and leave it as it is."""
    try:
        import ray
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI must install the ray extra (pip install -e '.[ray]')")
        pytest.skip("Ray is not installed (pip install -e '.[ray]')")
    _, started = RayExecutor()._start()
    yield ray
    if started:
        ray.shutdown()


@pytest.mark.slow
def test_a_started_pool_draws_the_same_samples_and_leaves_no_worker_behind(jobs, alone):
    """``start`` spawns the workers ahead of the plan: the next ``run`` uses those very processes (no second pool)
    and gives the in-process samples, and they stay for ``map`` (the figures) until ``close``; a started pool
    that no run takes (planning failed) ends with ``close``.  The workers run at a lower priority than the caller
    (which judges and plans while they draw)."""
    import multiprocessing

    from verify.worker import NICENESS

    pool = PoolExecutor(2, threads=1)
    pool.start()
    spawned = {process.pid for process in multiprocessing.active_children()}
    assert len(spawned) == 2
    pairs = []
    for pair in pool.run(jobs):
        pairs.append(pair)
        assert {process.pid for process in multiprocessing.active_children()} == spawned  # the started workers
    same_samples(pairs, jobs, alone)
    assert {process.pid for process in multiprocessing.active_children()} == spawned  # kept after the run
    lower = min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)
    assert pool.map(os.getpriority, [os.PRIO_PROCESS] * 4, [0] * 4) == [lower] * 4  # as the workers see it
    assert {process.pid for process in multiprocessing.active_children()} == spawned
    pool.close()
    assert multiprocessing.active_children() == []
    idle = PoolExecutor(2, threads=1)
    idle.start()
    assert len(multiprocessing.active_children()) == 2
    idle.close()
    assert multiprocessing.active_children() == []


@pytest.mark.slow
def test_ray_with_two_workers_draws_the_local_samples(ray_cluster, jobs, alone):
    assert ray_cluster.cluster_resources().get("CPU", 0) >= 2
    same_samples(RayExecutor().run(jobs), jobs, alone)


def _kill_the_running_ray_task(killed: list, deadline: float) -> None:
    """SIGKILL the first Ray worker seen running ``run_job`` (Ray titles it ``ray::run_job``), polling /proc."""
    import signal
    import time
    from pathlib import Path

    while time.monotonic() < deadline and not killed:
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                running = cmdline.read_bytes().startswith(b"ray::run_job")
            except OSError:
                continue  # a process that ended meanwhile
            if running:
                os.kill(int(cmdline.parent.name), signal.SIGKILL)
                killed.append(int(cmdline.parent.name))
                return
        time.sleep(0.005)


@pytest.mark.slow
def test_a_ray_worker_killed_mid_job_is_retried_with_the_same_numbers(ray_cluster, jobs):
    """Ray reruns the task of a worker that died (a lost node, an out-of-memory kill); the job's seed travels with
    it, so the rerun gives the undisturbed sample bit for bit, and with it the same verdicts."""
    import threading
    import time

    first = next(job for job in jobs if job.experiment == "meanfield.jacobian")
    slow = dataclasses.replace(first, settings=dataclasses.replace(first.settings, networks=3000))  # seconds
    (_, undisturbed), = LocalExecutor().run([slow])
    killed: list = []
    killer = threading.Thread(target=_kill_the_running_ray_task, args=(killed, time.monotonic() + 60))
    killer.start()
    try:
        (_, retried), = RayExecutor().run([slow])
    finally:
        killer.join()
    assert killed, "no Ray worker was seen running the job"
    assert untimed(retried.sample) == untimed(undisturbed.sample)


def run(tmp_path, name: str, *args: str) -> tuple[dict, object]:
    """results.json of an in-process ``atv run --only CLAIMS``, and the executor the run built."""
    import verify.executors

    built, make = [], verify.executors.make_executor

    def recording(*given, **options):
        built.append(make(*given, **options))
        return built[-1]

    with pytest.MonkeyPatch.context() as patch:  # verify.api imports make_executor when a run starts
        patch.setattr(verify.executors, "make_executor", recording)
        result = CliRunner().invoke(cli.app, ["run", "--seed", "0", *SETTINGS, "--only", CLAIMS, "--no-figures",
                                              "--out", str(tmp_path / name), *args])
    assert result.exit_code == 0, result.output
    assert len(built) == 1
    return json.loads((tmp_path / name / "results.json").read_text()), built[0]


def numbers(verdicts: list[dict]) -> list[tuple]:
    """What must not move: status, statistic and interval of every verdict, in claim order."""
    return [(v["claim_id"], v["status"], v["statistic"], v["ci_low"], v["ci_high"]) for v in verdicts]


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> dict:
    results, executor = run(tmp_path_factory.mktemp("local"), "local", "--executor", "local", "--threads", "1",
                            "--workers", "1")
    assert isinstance(executor, LocalExecutor)
    assert results["metadata"]["executor"] == "local" and results["metadata"]["workers"] == 1
    assert [v["claim_id"] for v in results["verdicts"]] == CLAIMS.split(",")
    assert results["verdicts"][0]["rounds"]["looks"] == 2  # the Jacobian claim's networks came in rounds
    return results


@pytest.mark.slow
def test_workers_2_runs_a_pool_with_the_local_verdicts(local, tmp_path):
    pooled, executor = run(tmp_path, "pool", "--threads", "2", "--workers", "2")
    assert isinstance(executor, PoolExecutor) and (executor.workers, executor.threads) == (2, 1)
    assert pooled["metadata"]["executor"] == "local" and pooled["metadata"]["workers"] == 2
    assert numbers(pooled["verdicts"]) == numbers(local["verdicts"])


@pytest.mark.slow
def test_executor_ray_runs_on_ray_with_the_local_verdicts(ray_cluster, local, tmp_path):
    on_ray, executor = run(tmp_path, "ray", "--executor", "ray")
    assert isinstance(executor, RayExecutor) and on_ray["metadata"]["executor"] == "ray"
    assert numbers(on_ray["verdicts"]) == numbers(local["verdicts"])


def test_a_claim_alone_gets_the_numbers_it_gets_in_the_whole_suite():
    profile = get_profile("quick").with_overrides(TINY)
    entries = list(catalog().values())
    whole, _ = Suite(profile, seed=3).run(entries[:9])
    alone, _ = Suite(profile, seed=3).run([entries[4]])
    assert alone[0].statistic == whole[4].statistic and alone[0].ci_high == whole[4].ci_high


def test_check_bound_does_not_depend_on_the_thread_count():
    results = []
    threads = torch.get_num_threads()
    for count in (1, 2):
        torch.set_num_threads(count)
        try:
            found = check_bound("0.7*eps*(1 + sqrt(K/d))*sqrt(omega**L)", "adv_loss", "oo", 2, examples=30, seed=5,
                                domain={"N": (64, 64), "L": (1, 2)})  # small networks: a search and its shrinking
        finally:
            torch.set_num_threads(threads)
        results.append({k: v for k, v in found.to_json().items() if k != "seconds"})
    assert results[0]["status"] == "counterexample" and results[0] == results[1]


def test_probes_run_only_with_their_claims():
    profile = get_profile("quick").with_overrides(TINY)
    suite = Suite(profile, seed=0)
    plan = suite.plan([catalog()["meanfield.dyn.width.vanilla"]], [PROBES["meanfield.dynamics_depths"]])
    assert {job.experiment for job in plan.jobs} == {"meanfield.dynamics"}
    assert len(plan.jobs) == len({job.key for job in plan.jobs})  # deduplicated


def test_executor_options_are_checked():
    with pytest.raises(ExecutorError, match="--address needs --executor ray"):
        make_executor("local", address="10.0.0.1:6379")
    with pytest.raises(ExecutorError, match="local or ray"):
        make_executor("dask")


class Refusing:
    """An executor that fails when asked to draw anything: what must not happen before a claim is checked."""

    def run(self, jobs):
        raise AssertionError(f"asked to draw {len(list(jobs))} job(s)")
        yield


def test_a_claim_is_checked_at_every_point_before_anything_is_drawn():
    import dataclasses

    from theory.registry import REGISTRY

    suite = Suite(get_profile("quick"), seed=0, executor=Refusing())
    variance = REGISTRY["meanfield.thm4_1.jacobian_variance.vanilla"]
    with pytest.raises(ValueError, match="positive right-hand side"):
        suite.check(dataclasses.replace(variance, rhs=-variance.rhs, abstract=None, definitions=()))
    width = REGISTRY["meanfield.dyn.width.vanilla"]  # a slope over widths, asked to read single setups instead
    with pytest.raises(ValueError, match="reads a sweep of configurations per point"):
        suite.check(dataclasses.replace(width, params=(("design", "map"),)))


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_jobs_keep_freed_memory_for_reuse():
    """A job's thousands of same-size tensors reuse freed heap instead of page-faulting it back (numerics.device)."""
    from numerics.device import keep_freed_memory

    assert keep_freed_memory()
