"""verify.runs: the thread count chosen from the machine's idle CPUs now, not from the load average."""
from __future__ import annotations

import os

import pytest

from verify import runs


class Machine:
    """A simulated /proc/stat: each read advances the clock by ``ticks`` per CPU, ``busy`` CPUs of them busy with
    other processes and ``mine`` with this one."""

    def __init__(self, cpus: int, busy: float, mine: float = 0.0, ticks: float = 25.0) -> None:
        self.cpus, self.busy, self.mine, self.ticks = cpus, busy, mine, ticks
        self.reads = 0

    def cpu_times(self):
        self.reads += 1
        elapsed = self.reads * self.ticks
        busy = (self.busy + self.mine) * elapsed
        return busy, self.cpus * elapsed

    def own_ticks(self):
        return self.mine * self.reads * self.ticks


@pytest.fixture
def machine(monkeypatch):
    def install(cpus: int, busy: float, mine: float = 0.0, load: float = 0.0) -> Machine:
        simulated = Machine(cpus, busy, mine)
        monkeypatch.setattr(runs, "cpu_times", simulated.cpu_times)
        monkeypatch.setattr(runs, "own_ticks", simulated.own_ticks)
        monkeypatch.setattr(runs.time, "sleep", lambda seconds: None)
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)))
        monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
        return simulated

    return install


def test_two_runs_back_to_back_on_an_idle_machine_both_use_both_cores(machine):
    # the first run has just ended: the one-minute load average still says 1.8 CPUs busy, the machine is idle
    machine(cpus=2, busy=0.0, load=1.8)
    first, second = runs.default_threads(), runs.default_threads()
    assert first.count == second.count == 2
    assert "idle CPUs now: 2.0 of 2" in first.source and "/proc/stat" in first.source


def test_a_busy_machine_leaves_its_busy_cores_alone(machine):
    machine(cpus=2, busy=1.0)
    assert runs.default_threads().count == 1
    machine(cpus=4, busy=2.6)
    assert runs.default_threads().count == 1
    machine(cpus=2, busy=5.0)  # oversubscribed: still one thread
    assert runs.default_threads().count == 1


def test_this_process_s_own_work_is_not_counted_as_busy(machine):
    machine(cpus=2, busy=0.0, mine=1.0)
    assert runs.default_threads().count == 2


def test_without_proc_stat_the_load_average_decides(machine, monkeypatch):
    machine(cpus=2, busy=0.0, load=1.2)
    monkeypatch.setattr(runs, "cpu_times", lambda: None)
    chosen = runs.default_threads()
    assert chosen.count == 1 and "load average 1.20" in chosen.source


def test_given_threads_are_kept_and_checked():
    assert runs.choose_threads(3) == runs.Threads(3, "--threads")
    for bad in (0, runs.MAX_THREADS + 1):
        with pytest.raises(runs.RunError, match="--threads must be between"):
            runs.check_threads(bad)


def test_the_real_machine_gives_a_count_within_its_cpus():
    chosen = runs.default_threads()
    assert 1 <= chosen.count <= len(os.sched_getaffinity(0)) and chosen.source


def test_time_spent_sums_experiments_by_paper_slowest_first():
    spent = runs.time_spent({"meanfield.jacobian": 3.0, "feature_learning.patch": 5.0, "meanfield.gaussian": 4.0},
                            wall=13.0, figures=1.0)
    assert spent == {"wall_s": 13.0, "figures_s": 1.0, "papers_s": {"meanfield": 7.0, "feature_learning": 5.0},
                     "experiments_s": {"feature_learning.patch": 5.0, "meanfield.gaussian": 4.0,
                                       "meanfield.jacobian": 3.0}}
    assert list(spent["papers_s"]) == ["meanfield", "feature_learning"]
