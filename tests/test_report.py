"""The LaTeX report is printed from the theory objects (single source of truth), compiles, and carries every
claim id and the run's figures."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from report.latex import compile_pdf, escape, render, tex
from theory.claims import Registry
from theory.registry import REGISTRY
from theory.symbols import L, d
from verify import cli

runner = CliRunner()


@pytest.fixture
def altered_registry():
    """A copy of the registry whose Jacobian-variance claim has a different right-hand side."""
    registry = Registry()
    claims = []
    for claim in REGISTRY:
        if claim.id == "mf.thm4_1.jacobian_variance.vanilla":
            claim = dataclasses.replace(claim, rhs=7 * L / d**3, abstract=None, definitions=())
        claims.append(claim)
    registry.register(claims)
    return registry


def test_changing_a_theory_expression_changes_the_latex(altered_registry):
    original, altered = render(REGISTRY), render(altered_registry)
    assert original != altered
    assert tex(7 * L / d**3) in altered and tex(7 * L / d**3) not in original


def test_every_claim_id_is_in_the_tex():
    text = render(REGISTRY)
    for claim in REGISTRY:
        assert escape(claim.id) in text


def test_escape_makes_text_safe():
    assert escape("a_b & 50% {x} #1 ~ ^ \\") == r"a\_b \& 50\% \{x\} \#1 \textasciitilde{} \textasciicircum{} \textbackslash{}"


def _toolchain() -> bool:
    found = bool(shutil.which("latexmk") or shutil.which("pdflatex")) and bool(shutil.which("pdftotext"))
    if not found and os.environ.get("CI"):
        pytest.fail("CI must install the TeX toolchain (see .ci/run)")
    return found


@pytest.mark.slow
def test_run_then_latex_compiles_a_pdf_with_every_claim_and_the_figures(tmp_path):
    if not _toolchain():
        pytest.skip("no LaTeX toolchain on this machine (CI installs one)")
    tiny = ["--set", "networks=8", "--set", "N=24", "--set", "d=4", "--set", "K=4", "--set", "L=2",
            "--set", "figure_networks=4"]
    run = runner.invoke(cli.app, ["run", "--only", "mf.thm4_1.*.vanilla", *tiny, "--out", str(tmp_path)])
    assert run.exit_code == 0, run.output
    results = json.loads((tmp_path / "results.json").read_text())
    assert {"hist_entries.pdf", "depth_bound.pdf", "width_convergence.pdf"} <= set(results["metadata"]["figures"])
    out = tmp_path / "doc"
    made = runner.invoke(cli.app, ["latex", "--results", str(tmp_path / "results.json"), "--out", str(out)])
    assert made.exit_code == 0, made.output
    pdf = out / "derivations.pdf"
    assert pdf.exists()
    log = (out / "derivations.log").read_text(errors="replace")
    assert "! " not in log  # no LaTeX errors
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    for claim in REGISTRY:
        assert claim.id in text, claim.id
    assert "Figures" in text and "Verification results" in text


def test_missing_toolchain_is_said_plainly(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    path = tmp_path / "x.tex"
    path.write_text(render(REGISTRY))
    pdf, message = compile_pdf(path)
    assert pdf is None and "no LaTeX toolchain" in message


def test_latex_refuses_an_unreadable_results_file(tmp_path):
    bad = tmp_path / "results.json"
    bad.write_text("{not json")
    result = runner.invoke(cli.app, ["latex", "--results", str(bad), "--out", str(tmp_path)])
    assert result.exit_code == 2


def test_figures_are_drawn_from_stored_data(tmp_path):
    from numerics.experiment import PROBES
    from numerics.papers import load_all
    from report.figures import draw_all
    from verify.profiles import get_profile
    from verify.suite import Suite

    load_all()  # the probes register with their columns (this test must not rely on an earlier test loading them)
    tiny = {"N": 32, "L": 2, "d": 4, "K": 4, "figures.networks": 4, "figures.N": 16, "figures.depths": "1,2",
            "figures.widths": "8,16", "gaussian.matrices": 50}
    _, data = Suite(get_profile("quick").with_overrides(tiny), seed=0).run([], [PROBES["meanfield.theorem4_1"]])
    files = draw_all(json.loads(json.dumps(data)), tmp_path)  # as it comes back from results.json
    assert {f"{stem}.{ext}" for stem in ("hist_entries", "depth_bound", "width_convergence")
            for ext in ("png", "pdf")} == set(files)
    assert all((tmp_path / f).stat().st_size > 1000 for f in files)


@pytest.mark.slow
def test_dynamics_run_draws_its_three_figures_and_states_its_regime_map(tmp_path):
    tiny = ["--set", "dynamics.networks=4", "--set", "dynamics.map_widths=16", "--set", "dynamics.map_etas=0.002,0.05",
            "--set", "dynamics.regimes=dataset", "--set", "dynamics.horizon=3", "--set", "dynamics.depths=2,4",
            "--set", "dynamics.train_steps=2", "--set", "dynamics.N=16", "--set", "dynamics.inputs=4"]
    run = runner.invoke(cli.app, ["run", "--only", "mf.dyn.ode.*,mf.dyn.trainability.*", *tiny, "--out", str(tmp_path)])
    assert run.exit_code == 0, run.output
    results = json.loads((tmp_path / "results.json").read_text())
    stems = {"dynamics_trajectories", "dynamics_regime_map", "dynamics_gradients"}
    assert {f"{s}.{e}" for s in stems for e in ("png", "pdf")} == set(results["metadata"]["figures"])
    assert "hist_entries.png" not in results["metadata"]["figures"]  # no Theorem 4.1 claim ran
    assert all((tmp_path / f).stat().st_size > 1000 for f in results["metadata"]["figures"])
    ode = next(v for v in results["verdicts"] if v["claim_id"] == "mf.dyn.ode.vanilla")
    assert "eta=0.002" in ode["notes"] and "eta=0.05" in ode["notes"]  # where it held and where it did not
    assert len(results["figures_data"]["meanfield.dynamics_map"]["regime_map"]) == 4
