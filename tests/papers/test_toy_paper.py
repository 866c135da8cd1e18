"""A paper is a column: a toy paper in its own folders (outside this repository) gets its verdict from `atv run`,
and a claim naming an unregistered estimator or experiment is refused with one line, never a fall-through."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from numerics.experiment import RegistrationError
from theory.claims import Claim
from theory.registry import REGISTRY
from verify.catalog import entry

THEORY = '''
import sympy as sp
from theory.claims import Claim, Paper

MU = sp.Symbol("mu", positive=True)


def claims():
    return [Claim(id="toy.mean", paper="Toy (2026)", place="Lemma 1", kind="equality", quantity={quantity!r},
                  lhs=sp.Symbol("E[X]"), rhs=MU, tolerance=sp.Rational(1, 20), regime="any mu",
                  provenance="derived", source="a test")]


PAPER = Paper(key="toy", title="A toy paper", authors="Nobody", venue="Tests", claims=claims)
'''

NUMERICS = '''
from dataclasses import dataclass

import numpy as np

from numerics import stats
from numerics.estimate import Estimate
from numerics.experiment import Experiment, estimator, register_experiment
from theory.papers.toy import MU


@dataclass(frozen=True)
class Settings:
    samples: int = 4000
    means: tuple[float, ...] = (1.0, 2.0)


@dataclass(frozen=True)
class Sample:
    values: np.ndarray

    @property
    def units(self) -> int:
        return self.values.size


class Gaussian(Experiment):
    name = {experiment!r}
    Settings = Settings

    def points(self, claim, profile):
        return list(profile[self.name].means)

    def values(self, mu):
        return {{MU: mu}}

    def describe(self, mu):
        return {{"mu": mu}}

    def draw(self, mu, settings, draws, progress=None):
        return Sample((mu + draws.standard_normal(settings.samples, portable=True)).cpu().numpy())


register_experiment(Gaussian())


@estimator("toy.gaussian")
def toy_mean(sample):
    return Estimate(lambda delta: stats.mean_interval(sample.values, delta), sample.values.size)
'''


def toy_paper(root: Path, quantity: str = "toy_mean", experiment: str = "toy.gaussian") -> Path:
    """theory/papers/toy and numerics/papers/toy under ``root``: nothing in this repository is touched."""
    for layer, text in (("theory", THEORY.format(quantity=quantity)), ("numerics", NUMERICS.format(
            experiment=experiment))):
        folder = root / layer / "papers" / "toy"
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text(textwrap.dedent(text))
    return root


def atv(root: Path, *args: str) -> subprocess.CompletedProcess:
    """`atv ARGS` with the toy paper's folder named in ATV_PAPERS."""
    return subprocess.run([sys.executable, "-m", "verify", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "ATV_PAPERS": str(root)}, cwd=root.parent)


def test_a_toy_paper_in_its_own_folders_gets_its_verdict_from_atv_run(tmp_path):
    root = toy_paper(tmp_path / "papers")
    done = atv(root, "run", "--only", "toy.*", "--out", str(tmp_path / "out"), "--set", "toy.gaussian.means=3,5")
    assert done.returncode == 0, done.stderr
    (verdict,) = json.loads((tmp_path / "out" / "results.json").read_text())["verdicts"]
    assert verdict["claim_id"] == "toy.mean" and verdict["status"] == "HOLDS"
    assert [c["config"] for c in verdict["configs"]] == [{"mu": 3.0}, {"mu": 5.0}]
    assert "toy.mean" in atv(root, "claims", "--only", "toy.*").stdout


@pytest.mark.parametrize("quantity, experiment, message", [
    ("nosuch", "toy.gaussian", "claim toy.mean: no estimator named 'nosuch' is registered"),
    ("toy_mean", "toy.other", "claim toy.mean: estimator 'toy_mean' reads experiment 'toy.gaussian', which is not "
                              "registered"),
])
def test_a_claim_naming_what_nobody_registered_is_refused_in_one_line(tmp_path, quantity, experiment, message):
    done = atv(toy_paper(tmp_path / "papers", quantity, experiment), "run", "--only", "toy.*", "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [f"atv: error: {message}"]


def test_an_unread_claim_parameter_is_refused():
    claim = REGISTRY["meanfield.thm4_1.jacobian_variance.vanilla"]
    with pytest.raises(RegistrationError, match="parameter 'typo'"):
        entry(Claim(**{**claim.__dict__, "params": (("typo", 1),)}))
    with pytest.raises(RegistrationError, match="no estimator named"):
        entry(Claim(**{**claim.__dict__, "quantity": "jacobian_entry_varience"}))
    assert entry(claim).experiment.name == "meanfield.jacobian"
