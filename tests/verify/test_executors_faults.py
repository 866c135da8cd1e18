"""Faults of ``verify.executors.PoolExecutor``: a worker killed mid-run costs its jobs a rerun, not their numbers
and not a hang; a pool whose workers keep dying ends with one sentence naming the jobs left."""
from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

from tests.exact import untimed
from tests.tiny import TINY
from verify.catalog import catalog
from verify.executors import ExecutorError, LocalExecutor, PoolExecutor
from verify.profiles import get_profile
from verify.suite import Suite


@pytest.fixture(scope="module")
def jobs():
    plan = Suite(get_profile("quick").with_overrides(TINY), seed=2).plan(list(catalog().values())[:40])
    return plan.jobs[:3]


def kill_a_worker() -> None:
    children = multiprocessing.active_children()
    assert children, "the pool has no worker to kill"
    os.kill(children[0].pid, signal.SIGKILL)


def test_a_worker_killed_mid_run_reruns_the_jobs_left_with_the_same_numbers(jobs):
    alone = {job.key: untimed(result.sample) for job, result in LocalExecutor().run(jobs)}
    pooled, pool = {}, PoolExecutor(2)
    try:
        for job, result in pool.run(jobs):
            if not pooled:
                kill_a_worker()  # the other jobs are running or queued: the pool breaks, they run again
            assert job.key not in pooled, "a job came back twice"
            pooled[job.key] = untimed(result.sample)
        assert pooled == alone
        assert multiprocessing.active_children()  # the fresh pool's workers, kept for a map until close
    finally:
        pool.close()
    assert multiprocessing.active_children() == []


def test_workers_that_keep_dying_end_in_one_sentence(jobs, monkeypatch):
    monkeypatch.setattr(PoolExecutor, "RESTARTS", 0)
    stream = PoolExecutor(2).run(jobs)
    next(stream)
    kill_a_worker()
    with pytest.raises(ExecutorError, match=r"died 1 time\(s\) .* --workers 1 runs them"):
        list(stream)
    assert multiprocessing.active_children() == []
