"""Plan -> execute -> judge: a run of claims under a profile, on any executor.

The suite names no experiment.  It plans the claims (and the probes of the figures that illustrate them) into
deduplicated jobs, hands the jobs to an executor, and judges each claim as soon as all of its samples exist,
so results grow one verdict at a time and an interrupted run keeps what it finished.  A sample is dropped once
every claim and probe that reads it is done.
"""
from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field
from itertools import chain
from typing import Callable, Iterable

from numerics.experiment import Probe, Sweep
from numerics.stats import bonferroni
from theory.claims import Claim
from verify.catalog import Entry, entry
from verify.executors import LocalExecutor
from verify.judge import verdict
from verify.plan import Job, Plan, Task, make_plan
from verify.verdict import Verdict


@dataclass
class Suite:
    """Runs claims under a profile; ``on_verdict`` receives each verdict as soon as it exists.

    With ``keep_samples`` the suite keeps every sample it drew and reuses it in later runs (interactive use,
    and tests that judge a claim and its planted twin on the same sample).
    """

    profile: object
    seed: int
    device: str = "cpu"  # as requested; every job resolves it where it runs
    executor: object = None
    on_verdict: Callable[[Verdict], None] = lambda verdict: None
    #: called with each job and its seconds as its sample arrives (progress estimates)
    on_job: Callable[[Job, float], None] = lambda job, seconds: None
    keep_samples: bool = False
    _kept: dict = field(default_factory=dict, repr=False)

    def plan(self, entries: Iterable[Entry], probes: Iterable[Probe] = ()) -> Plan:
        return make_plan(list(entries), list(probes), self.profile, self.seed, self.device)

    def run(self, entries: Iterable[Entry], probes: Iterable[Probe] = ()) -> tuple[list[Verdict], dict]:
        """Verdicts in claim order, and the probes' figure data (probe name -> data)."""
        return self.execute(self.plan(entries, probes))

    def execute(self, plan: Plan, finished: Iterable[Verdict] = ()) -> tuple[list[Verdict], dict]:
        """Run a plan's jobs, judging each claim as soon as its samples exist (see ``run``).

        ``finished``: verdicts of a resumed run, judged before; they join the figures' summaries and the result.
        """
        executor = self.executor or LocalExecutor()
        uses = plan.uses()
        samples, timings = {}, {}  # timings: key -> (device, seconds); samples are dropped after their last use
        open_claims = list(plan.claims)
        verdicts: dict[str, Verdict] = {}

        def release(task: Task) -> None:
            for key in task.all_keys:
                uses[key] -= 1
                if uses[key] == 0:
                    samples.pop(key, None)

        kept = [(job, self._kept[job.key]) for job in plan.jobs if job.key in self._kept]
        with closing(executor.run([job for job in plan.jobs if job.key not in self._kept])) as fresh:
            for job, result in chain(kept, fresh):
                samples[job.key], timings[job.key] = result.sample, (result.device, result.seconds)
                self.on_job(job, result.seconds)
                if self.keep_samples:
                    self._kept[job.key] = result
                for task in [t for t in open_claims if t.all_keys <= timings.keys()]:
                    open_claims.remove(task)
                    verdicts[task.name] = self._judge(task, samples, timings)
                    self.on_verdict(verdicts[task.name])
                    release(task)
        # claim order, whatever order jobs finished in; a resumed run's earlier verdicts first
        ordered = [*finished, *[verdicts[task.name] for task in plan.claims]]
        figures = {}
        for task in plan.probes:
            figures[task.name] = task.probe.summarize(_gather(task, samples), self.profile, ordered)
            release(task)
        return ordered, figures

    def check(self, claim: Claim) -> Verdict:
        """One claim's verdict; ``claim`` may be a changed copy of a registered one (a planted twin)."""
        (found,), _ = self.run([entry(claim)])
        return found

    def _judge(self, task: Task, samples: dict, timings: dict) -> Verdict:
        entry = task.entry
        devices = sorted({timings[key][0] for key in task.all_keys})
        return verdict(entry.claim, entry.experiment, entry.estimator, [p for _, p in task.points],
                       _gather(task, samples), task.theories, self.profile.delta,
                       bonferroni(self.profile.delta, len(task.points)),
                       self.seed, ", ".join(devices), sum(timings[key][1] for key in task.all_keys))


def _gather(task: Task, samples: dict) -> list:
    """One sample per point: the sample itself, or a tuple of the members' samples for a Sweep."""
    return [tuple(samples[k] for k in keys) if isinstance(point, Sweep) else samples[keys[0]]
            for (_, point), keys in zip(task.points, task.keys)]
