"""Sequential sampling: a claim's networks come in rounds, and it stops drawing once its verdict is decided.

A job whose experiment draws independent units (networks with their own streams) and that some claim reads is
drawn in rounds (``Job.rounds``: the profile's ``rounds``, doubling to the job's own size).  After each
round a claim is judged on every round drawn so far, at the error ``numerics.stats.spent`` gives that look; a
decided verdict (HOLDS, VIOLATED, OUT_OF_REGIME) stops the claim, an undecided one asks for the next round of
its jobs, and the last look's verdict stands whatever it is.  The levels of the looks add up to the profile's
delta, so by the union bound the claim's intervals cover at every look at once with probability >= 1 - delta,
whatever data decided the stop: stopping early keeps the verdict's guarantee.

A look always joins the first rounds of each job, whichever claim asked for more, so a claim's verdict depends
on its own looks only, and round boundaries change no number: the same seed gives the same verdicts on any
executor, in any order.  A job stops when every claim that reads it is done; the figures' probes that read it
get what was drawn.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from numerics.stats import EARLY_SHARE, spent
from verify.plan import Job, Task
from verify.verdict import Status, Verdict

#: a look with one of these statuses stops the claim
DECISIVE = (Status.HOLDS, Status.VIOLATED, Status.OUT_OF_REGIME)


@dataclass
class Drawn:
    """The rounds of one job that have come back, in order (a job drawn whole has one)."""

    job: Job
    samples: list = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    asked: int = 1  # rounds handed to the executor so far

    def add(self, sample, device: str, seconds: float) -> None:
        self.samples.append(sample)
        self.devices.append(device)
        self.seconds.append(seconds)

    def sample(self, rounds: int | None = None):
        """The job's sample over its first ``rounds`` rounds (all that came back by default)."""
        parts = self.samples[:rounds]
        if len(parts) == 1:
            return parts[0]
        from numerics.experiment import experiment_named

        return experiment_named(self.job.experiment).join(parts)


@dataclass
class Look:
    """Where a claim stands: the look it waits for (0-based) and how many it may have."""

    task: Task
    looks: int
    look: int = 0
    done: bool = False
    keys: frozenset[str] = frozenset()  # the task's job keys

    def __post_init__(self) -> None:
        self.keys = frozenset(self.task.all_keys)

    def rounds_of(self, job: Job) -> int:
        """The rounds of ``job`` this look reads: its first look + 1, or all of them for a shorter job."""
        return min(self.look + 1, job.looks) if job.rounds else 1

    def last(self) -> bool:
        return self.look == self.looks - 1


def looks_of(task: Task, jobs: dict[str, Job]) -> int:
    """How many looks a claim has: as many as the rounds of its longest job."""
    return max(jobs[key].looks for key in task.all_keys)


def stops(verdict: Verdict, look: Look) -> bool:
    """Whether the claim is done at this look: decided, or out of rounds.  A verdict judged on a range over
    draws (per-run values, ``runs``, or an ``envelope`` such as a maximum over networks) has no error level: it
    HOLDS only on every draw, so only its last look may say so; a violation on some draws stands at once."""
    if look.last():
        return True
    ranges = any("runs" in config.get("extras", {}) or config.get("extras", {}).get("envelope")
                 for config in verdict.configs)
    return verdict.status in DECISIVE and not (ranges and verdict.status is not Status.VIOLATED)


def record(verdict: Verdict, look: Look, delta: float, units: int, cap: int) -> Verdict:
    """The verdict with its rounds in results.json and a sentence in its notes (a claim with one look is left
    as it was)."""
    if look.looks == 1:
        return verdict
    levels = [spent(delta, k, look.looks) for k in range(look.look + 1)]
    verdict.rounds = {"looks": look.looks, "decided_at": look.look + 1, "networks": units, "cap": cap,
                      "levels": levels, "delta": delta, "method": "alpha spending, union bound over the looks"}
    where = "stopped decided" if verdict.status in DECISIVE else "undecided at its last look"
    verdict.notes += (f" Sequential: {where} at look {look.look + 1} of {look.looks}, on {units} of {cap} "
                      f"networks; each look is judged at the error it spends ({EARLY_SHARE:.0%} of delta = "
                      f"{delta:g} split over the early looks, as wide as Student's t on their networks, the rest "
                      f"at the last), so the intervals of every look cover at once with probability >= "
                      f"1 - {delta:g}; this look's {levels[-1]:.3g}.")
    return verdict
