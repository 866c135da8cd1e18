"""A toy experiment, claim, profile and executor for the plan and suite tests: nothing registered globally.

The experiment draws ``samples`` N(mu, 1) values at each mu of its profile section (or of the claim's ``means``
parameter); a claim says the mean is ``factor * mu``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from numerics import stats
from numerics.estimate import Estimate
from numerics.experiment import Estimator, Experiment
from numerics.random import Draws
from theory.claims import Claim
from verify.catalog import Entry
from verify.executors import JobResult

MU = sp.Symbol("mu", positive=True)


@dataclass(frozen=True)
class ToySettings:
    samples: int = 4000
    means: tuple[float, ...] = (10.0, 20.0)
    memory: int = 0


@dataclass(frozen=True)
class Sample:
    values: np.ndarray

    @property
    def units(self) -> int:
        return self.values.size


class Toy(Experiment):
    name = "toy.gaussian"
    Settings = ToySettings
    config_params = ("means",)

    def points(self, claim, profile):
        return list(dict(claim.params).get("means", profile[self.name].means))

    def values(self, mu):
        return {MU: mu}

    def describe(self, mu):
        return {"mu": mu}

    def draw(self, mu, settings, draws, progress=None):
        return Sample((mu + draws.standard_normal(settings.samples, portable=True)).numpy())

    def units(self, mu, settings):
        return settings.samples

    def draw_part(self, mu, settings, draws, first, count, progress=None):
        """Values first .. first + count - 1 of the whole draw: a part does not depend on the rounds."""
        return Sample(self.draw(mu, settings, draws).values[first:first + count])

    def join(self, parts):
        return Sample(np.concatenate([part.values for part in parts]))

    def memory(self, mu, settings):
        return settings.memory


TOY = Toy()
MEAN = Estimator("toy_mean", TOY.name, lambda sample: Estimate(
    lambda delta: stats.mean_interval(sample.values, delta), sample.units), ())


def register(monkeypatch) -> None:
    """Register the toy experiment and estimator for one test (``Suite.check`` looks a claim up by name)."""
    from numerics.experiment import ESTIMATORS, EXPERIMENTS

    monkeypatch.setitem(EXPERIMENTS, TOY.name, TOY)
    monkeypatch.setitem(ESTIMATORS, MEAN.name, MEAN)


def claim(name: str = "mean", factor=1, means: tuple[float, ...] | None = None) -> Claim:
    return Claim(id=f"toy.{name}", paper="Toy (2026)", place="Lemma 1", quantity="toy_mean", lhs=sp.Symbol("E[X]"),
                 rhs=factor * MU, tolerance=sp.Rational(1, 100), regime="any mu", provenance="derived",
                 source="a test", params=() if means is None else (("means", means),))


def entry(name: str = "mean", factor=1, means: tuple[float, ...] | None = None, estimator=MEAN) -> Entry:
    return Entry(claim(name, factor, means), TOY, estimator)


@dataclass
class Profile:
    settings: ToySettings = ToySettings()
    delta: float = 1e-3
    rounds: int = 1

    def __getitem__(self, name: str) -> ToySettings:
        assert name == TOY.name, name
        return self.settings


class Recording:
    """An executor that draws each job here, in the given order, and records when it hands a sample over."""

    name = "recording"

    def __init__(self, events: list, reverse: bool = False) -> None:
        self.events, self.reverse, self.drawn = events, reverse, []

    def run(self, jobs):
        """Takes every job the deque holds now (as the suite hands them over), in order or reversed."""
        taken = [jobs.popleft() for _ in range(len(jobs))]
        for job in reversed(taken) if self.reverse else taken:
            self.drawn.append(job.key)
            self.events.append(("sample", job.config))
            draws = Draws(job.seed)
            sample = (TOY.draw(job.config, job.settings, draws) if job.part is None
                      else TOY.draw_part(job.config, job.settings, draws, *job.part))
            yield job, JobResult(sample, "cpu", 0.0)
