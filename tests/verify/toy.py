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

    def __getitem__(self, name: str) -> ToySettings:
        assert name == TOY.name, name
        return self.settings


class Recording:
    """An executor that draws each job here, in the given order, and records when it hands a sample over."""

    name = "recording"

    def __init__(self, events: list, reverse: bool = False) -> None:
        self.events, self.reverse, self.drawn = events, reverse, []

    def run(self, jobs):
        jobs = list(jobs)
        for job in reversed(jobs) if self.reverse else jobs:
            self.drawn.append(job.key)
            self.events.append(("sample", job.config))
            yield job, JobResult(TOY.draw(job.config, job.settings, Draws(job.seed)), "cpu", 0.0)
