"""Claims (and figures' probes) -> deduplicated jobs: plain data that any executor can run.

A job is one experiment at one configuration, with its settings, seed and requested device.  Its key is the
experiment's name and the configuration's canonical JSON description; equal keys are one job, whoever needs
it.  Its seed is derived by name from the run seed and the key (``numerics.random.derive_seed``), so a claim
gets the same numbers alone (``--only``) or in the whole suite, on any executor, in any order.

Planning also checks each claim at each of its points before anything is drawn: the right-hand side is a
finite number fit for the claim's comparison, and the estimator reads the kind of point the experiment gives
(one configuration, or a Sweep of them).  A mistake there is a ValueError naming the claim, not a crashed run.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from numerics.experiment import Experiment, Probe, Sweep, canonical, experiment_named, members
from numerics.random import derive_seed
from verify.catalog import Entry
from verify.judge import theory_value


@dataclass(frozen=True)
class Job:
    """One sample to draw: everything a worker needs, picklable."""

    key: str
    experiment: str
    config: Any
    settings: Any
    seed: int
    device: str  # as requested (auto | cpu | cuda[:i]); the worker resolves it
    label: str
    size: int
    #: the networks drawn after each round (cumulative), when the experiment's units may come in rounds
    #: (``verify.rounds``); () for a job drawn whole
    rounds: tuple[int, ...] = ()
    #: (first, count): the units this job draws, one round of the job named by ``key``; None: all of them
    part: tuple[int, int] | None = None

    @property
    def share(self) -> float:
        """The part of the planned job this one draws: its round's networks over all of them (1: drawn whole)."""
        return self.part[1] / self.rounds[-1] if self.part is not None and self.rounds else 1.0

    def rest(self, rounds: int) -> float:
        """The part of the planned job left undrawn after its first ``rounds`` rounds."""
        return 1.0 - self.rounds[rounds - 1] / self.rounds[-1] if self.rounds else 0.0

    @property
    def looks(self) -> int:
        """How many times a claim reading this job may be judged: once per round."""
        return max(len(self.rounds), 1)

    def round(self, index: int) -> "Job":
        """Round ``index`` (0-based) of this job: its units, the same seed (unit i has its own stream)."""
        first = self.rounds[index - 1] if index else 0
        count = self.rounds[index] - first
        size = experiment_named(self.experiment).part_size(self.config, self.settings, count)
        return replace(self, part=(first, count), size=size,
                       label=f"{self.label}, round {index + 1} of {len(self.rounds)}: {first}..{first + count - 1}")


@dataclass
class Task:
    """What one claim or probe needs: its points, each with its experiment and the keys of its jobs."""

    name: str
    points: list[tuple[Experiment, Any]]
    keys: list[tuple[str, ...]]
    entry: Entry | None = None  # for a claim
    probe: Probe | None = None  # for a figure
    theories: list[float] = field(default_factory=list)  # a claim's right-hand side at each point

    @property
    def all_keys(self) -> set[str]:
        return {key for keys in self.keys for key in keys}


@dataclass
class Plan:
    jobs: list[Job] = field(default_factory=list)  # deduplicated, in the order they are first needed
    claims: list[Task] = field(default_factory=list)
    probes: list[Task] = field(default_factory=list)

    def uses(self) -> dict[str, int]:
        """How many tasks need each job (a sample can be dropped when the count reaches zero)."""
        counts: dict[str, int] = {}
        for task in (*self.claims, *self.probes):
            for key in task.all_keys:
                counts[key] = counts.get(key, 0) + 1
        return counts


def job_key(experiment: Experiment, config) -> str:
    return f"{experiment.name}:{canonical(experiment.describe(config))}"


def make_plan(entries: list[Entry], probes: list[Probe], profile, seed: int, device: str) -> Plan:
    """The jobs of the selected claims and probes under ``profile``."""
    plan = Plan()
    known: dict[str, Job] = {}

    def keys_of(experiment: Experiment, point) -> tuple[str, ...]:
        keys = []
        for config in members(point):
            key = job_key(experiment, config)
            if key not in known:
                settings = profile[experiment.name]
                check_memory(experiment, config, settings, device)
                known[key] = Job(key, experiment.name, config, settings, derive_seed(seed, key), device,
                                 experiment.label(config, settings), experiment.size(config, settings),
                                 doubling(profile.rounds, experiment.units(config, settings),
                                          experiment.least_units, experiment.grain))
                plan.jobs.append(known[key])
            keys.append(key)
        return tuple(keys)

    for entry in entries:
        points = [(entry.experiment, point) for point in entry.experiment.points(entry.claim, profile)]
        theories = check_points(entry, [point for _, point in points])
        plan.claims.append(Task(entry.claim.id, points, [keys_of(e, p) for e, p in points], entry=entry,
                                theories=theories))
    for probe in probes:
        points = [(experiment_named(name), point) for name, point in probe.points(profile)]
        plan.probes.append(Task(probe.name, points, [keys_of(e, p) for e, p in points], probe=probe))
    return plan


def doubling(rounds: int, units: int | None, least: int = 2, grain: int = 1) -> tuple[int, ...]:
    """The units drawn after each of ``rounds`` rounds, doubling to ``units``: ceil(units / 2^(rounds - 1)) (up
    to a multiple of ``grain``, where units come in named blocks), twice that, ..., units.  Fewer rounds where
    the first would have fewer than ``least`` units or another fewer than two; () when the job is drawn whole
    (``rounds`` 1, ``units`` None, or too few units for two rounds)."""
    if units is None:
        return ()

    def ends(rounds: int) -> tuple[int, ...]:
        first = -(-units // 2 ** (rounds - 1))
        first = -(-first // grain) * grain
        return tuple(sorted({min(first * 2**k, units) for k in range(rounds)}))

    def fits(ends: tuple[int, ...]) -> bool:
        return len(ends) > 1 and ends[0] >= least and min(b - a for a, b in zip(ends, ends[1:])) >= 2

    while rounds > 1 and not fits(ends(rounds)):
        rounds -= 1
    return ends(rounds) if rounds > 1 else ()


def check_memory(experiment: Experiment, config, settings, device: str) -> None:
    """Refuse a job whose smallest piece (one network, or all the networks a training step holds at once) needs
    more than all the memory of the device it will run on; a device a Ray worker resolves itself ('auto') is
    not known here."""
    if device != "cpu" and not device.startswith("cuda:"):
        return
    from numerics.device import capacity

    needed, total = experiment.memory(config, settings), capacity(device)
    if needed > total:
        raise ValueError(f"{experiment.label(config, settings)}: needs {needed / 2**30:.3g} GiB at once (one "
                         f"network, or one training step's networks), more than the {total / 2**30:.3g} GiB "
                         f"of {device}; lower N, L or the number of networks")


def check_points(entry: Entry, points: list) -> list[float]:
    """A claim's points before sampling: there are some, of the kind its estimator reads, with a valid rhs.

    Returns the right-hand side at each point, so the judge does not evaluate it again."""
    claim, estimator = entry.claim, entry.estimator
    if not points:
        raise ValueError(f"{claim.id}: the profile gives it no configuration")
    theories = []
    for point in points:
        if isinstance(point, Sweep) != estimator.sweep:
            wanted = "a sweep of configurations" if estimator.sweep else "one configuration"
            raise ValueError(f"{claim.id}: estimator {estimator.name!r} reads {wanted} per point, but experiment "
                             f"{entry.experiment.name!r} gives it {'a sweep' if isinstance(point, Sweep) else 'one'}")
        theories.append(theory_value(claim, entry.experiment, point))
    return theories
