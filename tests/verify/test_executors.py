"""Determinism: the same seed gives the same verdicts whatever the executor, the number of workers and the number
of torch threads (each job carries its own seed; every draw goes through ``numerics.random``)."""
from __future__ import annotations

import json
import os
import platform

import pytest
import torch
from typer.testing import CliRunner

from numerics.experiment import PROBES
from tests.tiny import TINY
from verify import cli
from verify.catalog import catalog
from verify.checker import check_bound
from verify.executors import ExecutorError, LocalExecutor, PoolExecutor, make_executor
from verify.profiles import get_profile
from verify.suite import Suite

SETTINGS = [arg for key, value in TINY.items() for arg in ("--set", f"{key}={value}")]


def numbers(verdicts: list[dict]) -> list[tuple]:
    """What must not move: status, statistic and interval of every verdict, in claim order."""
    return sorted((v["claim_id"], v["status"], v["statistic"], v["ci_low"], v["ci_high"]) for v in verdicts)


def run(tmp_path, name: str, *args: str) -> dict:
    result = CliRunner().invoke(cli.app, ["run", "--seed", "0", *SETTINGS, "--out", str(tmp_path / name), *args])
    assert result.exit_code == 0, result.output
    return json.loads((tmp_path / name / "results.json").read_text())


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> dict:
    return run(tmp_path_factory.mktemp("local"), "local", "--executor", "local", "--workers", "1")


@pytest.mark.slow
def test_ray_with_two_workers_writes_the_local_verdicts(local, tmp_path):
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI must install the ray extra (pip install -e '.[ray]')")
        pytest.skip("Ray is not installed (pip install -e '.[ray]')")
    on_ray = run(tmp_path, "ray", "--executor", "ray")  # a local cluster with this machine's 2 CPUs
    assert len(on_ray["verdicts"]) == len(catalog()) == len(local["verdicts"])
    assert numbers(on_ray["verdicts"]) == numbers(local["verdicts"])
    assert [v["claim_id"] for v in on_ray["verdicts"]] == [v["claim_id"] for v in local["verdicts"]]
    assert on_ray["figures_data"] == local["figures_data"]
    assert on_ray["metadata"]["executor"] == "ray"


@pytest.mark.slow
def test_one_torch_thread_writes_the_verdicts_of_two(local, tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1 if threads > 1 else 2)
    try:
        other = run(tmp_path, "threads")
    finally:
        torch.set_num_threads(threads)
    assert numbers(other["verdicts"]) == numbers(local["verdicts"])


@pytest.mark.slow
def test_two_worker_processes_write_the_verdicts_of_one(local, tmp_path):
    pooled = run(tmp_path, "pool", "--threads", "2", "--workers", "2")
    assert pooled["metadata"]["workers"] == 2 and local["metadata"]["workers"] == 1
    assert numbers(pooled["verdicts"]) == numbers(local["verdicts"])
    assert [v["claim_id"] for v in pooled["verdicts"]] == [v["claim_id"] for v in local["verdicts"]]
    assert pooled["figures_data"] == local["figures_data"]


def untimed(sample) -> str:
    """A sample's full printout without the wall-clock seconds it records."""
    import re

    return re.sub(r"seconds=[-+0-9.e]+", "seconds=?", repr(sample))


def test_a_pool_gives_each_job_its_own_sample_and_stops_its_workers_when_closed():
    """Results come back in completion order, each paired with its own job (a mix-up would pair a sample with
    another job's key); closing the stream early terminates the workers instead of waiting for their jobs."""
    import multiprocessing

    profile = get_profile("quick").with_overrides(TINY)
    plan = Suite(profile, seed=1).plan(list(catalog().values())[:40])
    jobs = plan.jobs[:4]
    assert len({job.experiment for job in jobs}) >= 1 and len(jobs) == 4
    alone = {job.key: result.sample for job, result in LocalExecutor().run(jobs)}
    stream = PoolExecutor(2).run(jobs)
    pooled = {}
    for job, result in stream:
        pooled[job.key] = result.sample
        if len(pooled) == 2:
            break
    stream.close()
    assert multiprocessing.active_children() == []
    assert pooled and all(untimed(sample) == untimed(alone[key]) for key, sample in pooled.items())
    with pytest.raises(ValueError, match="two workers"):
        PoolExecutor(1)


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
            found = check_bound("0.7*eps*(1 + sqrt(K/d))*sqrt(omega**L)", "adv_loss", "oo", 2, examples=30, seed=5)
        finally:
            torch.set_num_threads(threads)
        results.append({k: v for k, v in found.to_json().items() if k != "seconds"})
    assert results[0] == results[1]


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
