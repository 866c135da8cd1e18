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


#: Runs each case's `atv ARGS` as a process of its own: a child forked from one interpreter that has loaded only the
#: third-party libraries (seconds of imports every case would repeat), so everything of this project, theory.papers
#: reading ATV_PAPERS included, is imported afresh in each child, with the case's environment, as by `atv` itself.
DRIVER = """
import json, os, sys, traceback
import matplotlib
matplotlib.use("Agg")
import hypothesis, jsonschema, matplotlib.pyplot, numpy, rich, scipy.stats, sympy, sympy.codegen.rewriting, torch, typer

for case in json.loads(sys.argv[1]):
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.environ["ATV_PAPERS"] = case["root"]
            os.chdir(case["cwd"])
            for fd, name in ((1, "stdout"), (2, "stderr")):
                os.dup2(os.open(case[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
            from verify.cli import main
            main(case["args"])
        except SystemExit as exited:
            code = exited.code if isinstance(exited.code, int) else (0 if exited.code is None else 1)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    with open(case["code"], "w") as file:
        file.write(str(os.waitstatus_to_exitcode(status)))
"""


def atv_each(cases: dict[str, tuple[Path, list[str]]], folder: Path) -> dict[str, subprocess.CompletedProcess]:
    """`atv ARGS` for each case (name: (the folder named in ATV_PAPERS, ARGS)), each a process of its own; their
    exit codes and outputs by name."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = [{"root": str(root), "cwd": str(root.parent), "args": list(args),
             **{part: str(folder / f"{name}.{part}") for part in ("stdout", "stderr", "code")}}
            for name, (root, args) in cases.items()]
    env = {key: value for key, value in os.environ.items() if key != "ATV_PAPERS"}
    done = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(spec)], capture_output=True, text=True,
                          timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    return {name: subprocess.CompletedProcess(case["args"], int(Path(case["code"]).read_text()),
                                              Path(case["stdout"]).read_text(), Path(case["stderr"]).read_text())
            for name, case in zip(cases, spec)}


#: the refusals: (quantity, experiment) the toy claim names, and the one line that refuses it
REFUSALS = {
    "no_estimator": ("nosuch", "toy.gaussian", "claim toy.mean: no estimator named 'nosuch' is registered"),
    "no_experiment": ("toy_mean", "toy.other", "claim toy.mean: estimator 'toy_mean' reads experiment 'toy.gaussian', "
                                               "which is not registered"),
}


@pytest.fixture(scope="module")
def toy_runs(tmp_path_factory) -> tuple[Path, dict[str, subprocess.CompletedProcess]]:
    """The toy paper's run and listing, and one run of each refused toy paper (each toy in its own folder)."""
    base = tmp_path_factory.mktemp("toy")
    root = toy_paper(base / "good" / "papers")
    cases = {"run": (root, ["run", "--only", "toy.*", "--out", str(base / "out"), "--set", "toy.gaussian.means=3,5"]),
             "claims": (root, ["claims", "--only", "toy.*"])}
    for name, (quantity, experiment, _) in REFUSALS.items():
        cases[name] = (toy_paper(base / name / "papers", quantity, experiment),
                       ["run", "--only", "toy.*", "--out", str(base / name / "out")])
    return base, atv_each(cases, base / "logs")


def test_a_toy_paper_in_its_own_folders_gets_its_verdict_from_atv_run(toy_runs):
    base, done = toy_runs
    assert done["run"].returncode == 0, done["run"].stderr
    (verdict,) = json.loads((base / "out" / "results.json").read_text())["verdicts"]
    assert verdict["claim_id"] == "toy.mean" and verdict["status"] == "HOLDS"
    assert [c["config"] for c in verdict["configs"]] == [{"mu": 3.0}, {"mu": 5.0}]
    assert done["claims"].returncode == 0 and "toy.mean" in done["claims"].stdout


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_claim_naming_what_nobody_registered_is_refused_in_one_line(toy_runs, case):
    done, message = toy_runs[1][case], REFUSALS[case][2]
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [f"atv: error: {message}"], done.stderr


def test_an_unread_claim_parameter_is_refused():
    claim = REGISTRY["meanfield.thm4_1.jacobian_variance.vanilla"]
    with pytest.raises(RegistrationError, match="parameter 'typo'"):
        entry(Claim(**{**claim.__dict__, "params": (("typo", 1),)}))
    with pytest.raises(RegistrationError, match="no estimator named"):
        entry(Claim(**{**claim.__dict__, "quantity": "jacobian_entry_varience"}))
    assert entry(claim).experiment.name == "meanfield.jacobian"
