"""Plan -> execute -> judge: a run of claims under a profile, on any executor.

The suite names no experiment.  It plans the claims (and the probes of the figures that illustrate them) into
deduplicated jobs, hands the jobs to an executor, and judges each claim as soon as all of its samples exist,
so results grow one verdict at a time and an interrupted run keeps what it finished.  A sample is dropped once
every claim and probe that reads it is done.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

from numerics.experiment import Probe, Sweep
from numerics.stats import as_normal_level, bonferroni, spent
from theory.claims import Claim
from verify.catalog import Entry, entry
from verify.executors import LocalExecutor
from verify.judge import units_of, verdict
from verify.plan import Job, Plan, Task, make_plan
from verify.rounds import Drawn, Look, looks_of, record, stops
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
    #: called with each job (or round of one: ``Job.share``) and its seconds as its sample arrives (progress)
    on_job: Callable[[Job, float], None] = lambda job, seconds: None
    #: called with a job in rounds whose claims all stopped before its last round, and the share left undrawn
    on_skip: Callable[[Job, float], None] = lambda job, share: None
    keep_samples: bool = False
    _kept: dict = field(default_factory=dict, repr=False)

    def plan(self, entries: Iterable[Entry], probes: Iterable[Probe] = ()) -> Plan:
        return make_plan(list(entries), list(probes), self.profile, self.seed, self.device)

    def run(self, entries: Iterable[Entry], probes: Iterable[Probe] = ()) -> tuple[list[Verdict], dict]:
        """Verdicts in claim order, and the probes' figure data (probe name -> data)."""
        return self.execute(self.plan(entries, probes))

    def execute(self, plan: Plan, finished: Iterable[Verdict] = ()) -> tuple[list[Verdict], dict]:
        """Run a plan's jobs, judging each claim as soon as its samples exist (see ``run``); a job that some
        claim reads and whose networks may come in rounds comes one round at a time (``verify.rounds``).

        ``finished``: verdicts of a resumed run, judged before; they join the figures' summaries and the result.
        """
        executor = self.executor or LocalExecutor()
        jobs = {job.key: job for job in plan.jobs}
        uses = plan.uses()
        drawn = {key: Drawn(job) for key, job in jobs.items()}  # dropped after their last use
        readers: dict[str, list[Look]] = {}  # job key -> the claims that read it, each where it stands
        for task in plan.claims:
            look = Look(task, looks_of(task, jobs))
            for key in look.keys:
                readers.setdefault(key, []).append(look)
        verdicts: dict[str, Verdict] = {}
        queue: deque[Job] = deque()
        ready: deque[tuple[Job, object]] = deque()  # kept results, handed over without the executor

        def ask(job: Job) -> None:
            if (job.key, job.part) in self._kept:
                ready.append((job, self._kept[(job.key, job.part)]))
            else:
                queue.append(job)

        def release(task: Task) -> None:
            for key in task.all_keys:
                uses[key] -= 1
                if uses[key] == 0:
                    drawn.pop(key, None)

        def complete(look: Look) -> bool:
            """Whether every round the claim's look reads has come back."""
            return not look.done and all(len(drawn[k].samples) >= look.rounds_of(jobs[k]) for k in look.keys)

        def judge_ready(key: str) -> None:
            """Judge the open claims that read ``key`` and now have every round their look reads (again at the
            next look while its rounds are in already: another claim may have drawn them)."""
            for look in [look for look in readers.get(key, ()) if complete(look)]:
                found = self._judge(look, drawn)
                while not stops(found, look):
                    look.look += 1
                    for k in look.keys:
                        wanted = look.rounds_of(jobs[k])
                        if drawn[k].asked < wanted:
                            drawn[k].asked = wanted
                            ask(jobs[k].round(wanted - 1))
                    if not complete(look):
                        break
                    found = self._judge(look, drawn)
                else:
                    finish(look, found)

        def finish(look: Look, found: Verdict) -> None:
            look.done = True
            verdicts[look.task.name] = found
            self.on_verdict(found)
            for k in look.keys:  # a job whose claims are all done draws no more rounds
                if all(other.done for other in readers[k]) and jobs[k].rest(drawn[k].asked) > 0:
                    self.on_skip(jobs[k], jobs[k].rest(drawn[k].asked))
            release(look.task)

        for job in plan.jobs:
            ask(job.round(0) if job.rounds and job.key in readers else replace(job, rounds=()))
        fresh = None
        try:
            while True:
                if ready:
                    job, result = ready.popleft()
                else:
                    if fresh is None and queue:
                        fresh = executor.run(queue)
                    item = next(fresh, None) if fresh is not None else None
                    if item is None:
                        fresh = None
                        if queue or ready:
                            continue
                        break
                    job, result = item
                drawn[job.key].add(result.sample, result.device, result.seconds)
                self.on_job(job, result.seconds)
                if self.keep_samples:
                    self._kept[(job.key, job.part)] = result
                judge_ready(job.key)
        finally:
            if fresh is not None:
                fresh.close()
        # claim order, whatever order jobs finished in; a resumed run's earlier verdicts first
        ordered = [*finished, *[verdicts[task.name] for task in plan.claims]]
        figures = {}
        for task in plan.probes:
            figures[task.name] = task.probe.summarize(_gather(task, lambda key: drawn[key].sample()), self.profile,
                                                      ordered)
            release(task)
        return ordered, figures

    def check(self, claim: Claim) -> Verdict:
        """One claim's verdict; ``claim`` may be a changed copy of a registered one (a planted twin)."""
        (found,), _ = self.run([entry(claim)])
        return found

    def _judge(self, look: Look, drawn: dict) -> Verdict:
        """The claim's verdict at its look, on the first rounds of each of its jobs that the look reads."""
        task, entry = look.task, look.task.entry
        rounds = {key: look.rounds_of(drawn[key].job) for key in look.keys}  # all come back: the look is complete
        samples = _gather(task, lambda key: drawn[key].sample(rounds[key]))
        delta = spent(self.profile.delta, look.look, look.looks)
        each = bonferroni(delta, len(task.points))
        if not look.last() and entry.claim.comparison.by_interval:
            # a deep tail: intervals as wide as Student's t on the fewest units of the look's samples (a test of a
            # law takes its level as it is: its p-value is not a normal quantile)
            fewest = min(s.units for point in samples for s in (point if isinstance(point, tuple) else (point,)))
            each = as_normal_level(each, fewest)
        devices = sorted({device for key in look.keys for device in drawn[key].devices[:rounds[key]]})
        seconds = sum(sum(drawn[key].seconds[:rounds[key]]) for key in look.keys)
        found = verdict(entry.claim, entry.experiment, entry.estimator, [p for _, p in task.points], samples,
                        task.theories, delta, each, self.seed, ", ".join(devices), seconds)
        cap = sum(drawn[key].job.rounds[-1] if drawn[key].job.rounds else units_of(drawn[key].samples[0])
                  for key in look.keys)
        return record(found, look, self.profile.delta, sum(units_of(sample) for sample in samples), cap)


def _gather(task: Task, sample: Callable[[str], object]) -> list:
    """One sample per point: the sample itself, or a tuple of the members' samples for a Sweep."""
    return [tuple(sample(k) for k in keys) if isinstance(point, Sweep) else sample(keys[0])
            for (_, point), keys in zip(task.points, task.keys)]
