"""The LaTeX report is printed from the theory objects (single source of truth), compiles, and carries every
claim id and the run's figures."""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sympy as sp
from typer.testing import CliRunner

from report.bibliography import Reference, bibliography
from report.latex import (band_text, claim_tex, compile_pdf, escape, ident, overfull_boxes, prose, references,
                          render, tex)
from theory.claims import Registry
from theory.registry import REGISTRY
from theory.symbols import L, N, d

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "report"
#: the widest a line of the compiled document may run past the text block (pt); TeX reports anything above 0.1pt
OVERFULL_LIMIT_PT = 1.0
#: text that must never reach the PDF: SymPy's undefined branch, its spelling of infinity, raw symbol names
RAW = ("NaN", " oo", "oo)", "beta_{", "sigma_w2", "THEORY.md")
from verify import cli

runner = CliRunner()


@pytest.fixture(scope="module")
def plain_tex() -> str:
    """derivations.tex without a results file, rendered once for the tests that only read it (a render prints
    every paper's derivations from SymPy: seconds)."""
    return render(REGISTRY)


@pytest.fixture(scope="module")
def planted_tex() -> str:
    """derivations.tex of ``_planted_results()``, rendered once for the tests that read it."""
    return render(REGISTRY, _planted_results())


@pytest.fixture
def altered_registry():
    """A copy of the registry whose Jacobian-variance claim has a different right-hand side."""
    registry = Registry()
    claims = []
    for claim in REGISTRY:
        if claim.id == "meanfield.thm4_1.jacobian_variance.vanilla":
            claim = dataclasses.replace(claim, rhs=7 * L / d**3, abstract=None, definitions=())
        claims.append(claim)
    registry.register(claims)
    return registry


def test_changing_a_theory_expression_changes_the_latex(altered_registry, plain_tex):
    original, altered = plain_tex, render(altered_registry)
    assert original != altered
    assert tex(7 * L / d**3) in altered and tex(7 * L / d**3) not in original


def test_every_claim_id_is_in_the_tex(plain_tex):
    text = plain_tex
    for claim in REGISTRY:
        assert ident(claim.id) in text


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
    # tiny sizes (the figures' sweeps too): this test is about the document, not the numbers; one process
    tiny = ["--set", "networks=8", "--set", "N=24", "--set", "d=4", "--set", "K=4", "--set", "L=2",
            "--set", "figure_networks=4", "--set", "figures.depths=1,2", "--set", "figures.widths=8,16",
            "--set", "figures.width_L=2", "--workers", "1"]
    run = runner.invoke(cli.app, ["run", "--only", "meanfield.thm4_1.*.vanilla", *tiny, "--out", str(tmp_path)])
    assert run.exit_code == 0, run.output
    results = json.loads((tmp_path / "results.json").read_text())
    assert {"hist_entries.pdf", "depth_bound.pdf", "width_convergence.pdf",
            "theorem4_1_limits.pdf"} <= set(results["metadata"]["figures"])
    out = tmp_path / "doc"
    made = runner.invoke(cli.app, ["latex", "--results", str(tmp_path / "results.json"), "--out", str(out)])
    assert made.exit_code == 0, made.output
    pdf = out / "derivations.pdf"
    assert pdf.exists()
    log = (out / "derivations.log").read_text(errors="replace")
    assert "! " not in log  # no LaTeX errors
    assert max(overfull_boxes(log), default=0.0) <= OVERFULL_LIMIT_PT, overfull_boxes(log)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    for claim in REGISTRY:
        assert claim.id in text.replace("-\n", "").replace("\n", ""), claim.id
    assert "Verdicts" in text and "References" in text and "Kumano" in text
    assert not [raw for raw in RAW if raw in text]
    numbered = re.findall(r"\\newlabel\{fig:(\w+)\}\{\{(\d+)\}", (out / "derivations.aux").read_text())
    assert sorted(number for _, number in numbered) == ["1", "2", "3", "4"]  # every figure is numbered
    captions = re.findall(r"\\caption\{(.*?)\}\\label", (out / "derivations.tex").read_text(), flags=re.S)
    assert len(captions) == 4 and all(r"\sigma_w^2" in c and "d=4" in c for c in captions)  # its configuration
    assert "see Figure" in text  # the claims cite the figures that illustrate them


def test_missing_toolchain_is_said_plainly(tmp_path, monkeypatch, plain_tex):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    path = tmp_path / "x.tex"
    path.write_text(plain_tex)
    pdf, message = compile_pdf(path)
    assert pdf is None and "no LaTeX toolchain" in message


def test_latex_refuses_an_unreadable_results_file(tmp_path):
    bad = tmp_path / "results.json"
    bad.write_text("{not json")
    result = runner.invoke(cli.app, ["latex", "--results", str(bad), "--out", str(tmp_path)])
    assert result.exit_code == 2


@pytest.mark.parametrize("workers", [1, 2])
def test_figures_are_drawn_from_stored_data(tmp_path, workers):
    """In this process, and by a pool's workers (as a run draws them: the figures travel to the workers by name)."""
    from numerics.experiment import PROBES
    from numerics.papers import load_all
    from report.figures import draw_all
    from verify.profiles import get_profile
    from verify.suite import Suite

    load_all()  # the probes register with their columns (this test must not rely on an earlier test loading them)
    tiny = {"N": 32, "L": 2, "d": 4, "K": 4, "figures.networks": 4, "figures.N": 16, "figures.depths": "1,2",
            "figures.widths": "8,16", "gaussian.matrices": 50}
    _, data = Suite(get_profile("quick").with_overrides(tiny), seed=0).run([], [PROBES["meanfield.theorem4_1"]])
    from verify.executors import make_executor

    runner = make_executor("local", workers=workers)
    try:
        files = draw_all(json.loads(json.dumps(data)), tmp_path, runner.map)  # as it comes back from results.json
    finally:
        runner.close()
    assert [f"{stem}.{ext}" for stem in ("hist_entries", "depth_bound", "width_convergence")
            for ext in ("png", "pdf")] == files
    assert all((tmp_path / f).stat().st_size > 1000 for f in files)


@pytest.mark.slow
def test_dynamics_run_draws_its_three_figures_and_states_its_regime_map(tmp_path):
    tiny = ["--set", "dynamics.networks=4", "--set", "dynamics.map_widths=16", "--set", "dynamics.map_etas=0.002,0.05",
            "--set", "dynamics.regimes=dataset", "--set", "dynamics.horizon=3", "--set", "dynamics.depths=2,4",
            "--set", "dynamics.train_steps=2", "--set", "dynamics.N=16", "--set", "dynamics.inputs=4", "--workers", "1"]
    run = runner.invoke(cli.app, ["run", "--only", "meanfield.dyn.ode.*,meanfield.dyn.trainability.*", *tiny, "--out", str(tmp_path)])
    assert run.exit_code == 0, run.output
    results = json.loads((tmp_path / "results.json").read_text())
    stems = {"dynamics_trajectories", "dynamics_regime_map", "dynamics_gradients"}
    assert {f"{s}.{e}" for s in stems for e in ("png", "pdf")} == set(results["metadata"]["figures"])
    assert "hist_entries.png" not in results["metadata"]["figures"]  # no Theorem 4.1 claim ran
    assert all((tmp_path / f).stat().st_size > 1000 for f in results["metadata"]["figures"])
    ode = next(v for v in results["verdicts"] if v["claim_id"] == "meanfield.dyn.ode.vanilla")
    assert "eta=0.002" in ode["notes"] and "eta=0.05" in ode["notes"]  # where it held and where it did not
    assert len(results["figures_data"]["meanfield.dynamics_map"]["regime_map"]) == 4


def _verdict(claim, configs: list[tuple[dict, float, float, float]], tolerance: float, theory: float,
             status: str = "HOLDS", p_value: float | None = None) -> dict:
    """A verdict in results.json's form, from fixed numbers: (config, statistic, ci_low, ci_high) per point."""
    records = [{"config": config, "status": status, "comparison": claim.comparison.name, "statistic": stat,
                "ci_low": low, "ci_high": high, "tolerance": tolerance, "n_samples": 4096, "units": 64,
                "measured": stat * theory, "theory": theory, "p_value": p_value, "extras": {}, "figures": {},
                "reason": ""} for config, stat, low, high in configs]
    stat, low, high = configs[0][1:]
    return {"claim_id": claim.id, "status": status, "statistic": stat, "ci_low": low, "ci_high": high,
            "tolerance": tolerance, "n_samples": 4096 * len(records), "configs": records, "delta": 1e-3}


NET = {"arch": "vanilla", "d": 32, "K": 32, "N": 512, "L": 4, "sigma_w2": 2.0, "sigma_b2": 0.01, "u": 1.0, "v": 0.0}
#: one claim of each kind (and the exceedance-rate bound), with fixed verdict numbers: the golden inputs.  The
#: second configuration is the one closest to violating, so the block must name it.
GOLDEN_CASES = {
    "equality": ("meanfield.thm4_1.jacobian_variance.vanilla", [(NET, 1.0, 0.99, 1.01), ({**NET, "v": 0.5}, 1.05, 1.02,
                                                                                    1.08)], 0.0884, 0.03125),
    "distribution": ("meanfield.thm4_1.independence.residual", [({**NET, "arch": "residual"}, 0.01, -0.02, 0.04)], 0.0884,
                     0.0),
    "upper_bound": ("meanfield.beta.2_2.chevet", [({"K": 1, "d": 16}, 0.8, 0.79, 0.81), ({"K": 3, "d": 10}, 0.9, 0.89,
                                                                                   0.91)], 0.0, 7.4),
    "rate_bound": ("meanfield.beta.2_2.tail", [({"K": 3, "d": 10}, 0.0, 0.0, 0.0015)], 0.0, 1e-6),
    "trend": ("seed001.dims.d.2_2", [({"K": 4, "d_lo": 4, "d_hi": 16}, -0.21, -0.25, -0.17)], 0.0, -1.0),
    "trajectory": ("meanfield.dyn.ode.residual", [({"spec": {**NET, "arch": "residual", "sigma_w2": 1.0}, "eta": 0.002,
                                             "eps": 0.5, "regime": "population", "steps": 20}, 1.02, 0.97, 1.06)],
                   0.125, 0.04),
}


@pytest.mark.parametrize("kind", sorted(GOLDEN_CASES))
def test_a_claim_of_each_kind_renders_as_its_golden_tex(kind):
    """The .tex of one claim of each kind with its verdict equals the checked-in golden file (regenerate with
    ATV_UPDATE_GOLDEN=1 after an intended change, and read the diff)."""
    claim_id, configs, tolerance, theory = GOLDEN_CASES[kind]
    claim = REGISTRY[claim_id]
    status = "VIOLATED" if kind == "trend" and configs[0][3] > 0 else "HOLDS"
    text = claim_tex(claim, _verdict(claim, configs, tolerance, theory, status, p_value=1.0 if kind == "rate_bound"
                                     else None), figures=("width_convergence",) if kind == "equality" else ())
    path = GOLDEN / f"claim_{kind}.tex"
    if os.environ.get("ATV_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()


def test_every_verdict_states_the_band_it_was_applied_against():
    """Not tau = 0, but the band in numbers: a ratio band, an upper bound's slack, a sign test, a binomial test."""
    def band(kind: str) -> str:
        claim_id, configs, tolerance, theory = GOLDEN_CASES[kind]
        claim = REGISTRY[claim_id]
        record = _verdict(claim, configs, tolerance, theory)["configs"][0]
        return band_text(record, claim, 1e-3)

    assert "[0.9116, 1.088]" in band("equality") and r"\frac{\sqrt{L}}{\sqrt{N}} = 0.0884" in band("equality")
    assert "[-0.0884, 0.0884]" in band("distribution")
    assert r"\le 1 + \tau = 1$" in band("upper_bound") and r"no slack, $\tau = 0$" in band("upper_bound")
    assert "binomial" in band("rate_bound") and "10^{-6}" in band("rate_bound")
    assert "below 0" in band("trend")


def test_the_block_names_the_configuration_closest_to_violating():
    text = (GOLDEN / "claim_equality.tex").read_text()
    assert "v=0.5" in text and r"\ref{fig:width_convergence}" in text


def test_symbols_stay_abstract_with_a_table_of_definitions():
    """omega and alpha are printed as symbols; the paper's section defines them once, per architecture."""
    from report.latex import definitions_table

    claims = REGISTRY.select(["meanfield.thm4_1.jacobian_variance.*", "meanfield.dyn.ode.*"])
    table, covered = definitions_table(claims)
    symbols = {row["symbol"]: row for row in table}
    assert {r"\omega", r"\alpha", "c", "r_{0}"} <= set(symbols)
    assert symbols[r"\alpha"]["scope"] == "every claim"
    assert r"\omega^{L}" in REGISTRY["meanfield.thm4_1.jacobian_variance.vanilla"].statement


def test_an_undefined_piecewise_branch_is_not_printed(plain_tex):
    expr = sp.Piecewise((L, sp.Eq(L, 2)), (N, sp.Eq(L, 4)), (sp.nan, True))
    assert "NaN" not in tex(expr) and "L = 4" in tex(expr)
    assert "NaN" not in plain_tex


def test_plain_text_spells_its_symbols_as_mathematics():
    assert prose("beta_{p,q} exact (q = oo), sigma_b2 << 1") == (r"$\beta_{p,q}$ exact (q = $\infty$), "
                                                                 r"$\sigma_b^2$ $\ll$ 1")


def test_claims_print_readable_mathematics_with_bounds_as_le():
    chevet = REGISTRY["meanfield.beta.2_2.chevet"]
    assert "≤" in chevet.text and "<=" not in chevet.text and "Γ" in chevet.text
    assert "≤" in REGISTRY["meanfield.beta.2_2.tail"].text  # a failure-rate bound reads as a bound too
    assert r"\leq" in chevet.statement
    listing = runner.invoke(cli.app, ["claims", "--only", "meanfield.beta.2_2.chevet"]).output
    assert "≤" in listing and "gamma(" not in listing


def test_no_claim_cites_an_internal_document():
    for claim in REGISTRY:
        for text in (claim.source, claim.paper, claim.place):
            assert not re.search(r"THEORY\.md|shared/|seed 00\d", text), (claim.id, text)


def test_a_citation_key_names_one_work():
    one = Reference("k", ("A. Author",), "One", 2020, eprint="2001.00001")
    assert "arXiv:2001.00001" in bibliography([one, one])
    with pytest.raises(ValueError, match="names two different works"):
        bibliography([one, dataclasses.replace(one, title="Two")])


def test_every_paper_has_a_section_citing_it_and_its_figures_have_captions(plain_tex):
    from report.papers import reports
    from theory.papers import discover

    assert list(reports()) == list(discover())  # every paper's column registers its section
    text = plain_tex
    for key, report in reports().items():
        assert rf"\label{{sec:{key}}}" in text and rf"\cite{{{report.citation.key}}}" in text


def test_the_log_reader_finds_overfull_lines():
    log = "Overfull \\hbox (2.5pt too wide) in paragraph\nUnderfull \\hbox\nOverfull \\hbox (71.1pt too wide) detected"
    assert overfull_boxes(log) == [2.5, 71.1]


def test_the_derivations_compile_with_no_line_wider_than_the_text(tmp_path, plain_tex):
    if not _toolchain():
        pytest.skip("no LaTeX toolchain on this machine (CI installs one)")
    (tmp_path / "derivations.tex").write_text(plain_tex)  # what ``write`` writes (the run test calls it)
    (tmp_path / "references.bib").write_text(references())
    pdf, message = compile_pdf(tmp_path / "derivations.tex")
    assert pdf is not None, message
    log = (tmp_path / "derivations.log").read_text(errors="replace")
    assert max(overfull_boxes(log), default=0.0) <= OVERFULL_LIMIT_PT, overfull_boxes(log)
    assert "Citation" not in log or "undefined" not in log  # every \\cite resolved by the bibliography


def test_the_legend_explains_every_provenance():
    from report.latex import PROVENANCE_LEGEND
    from theory.claims import PROVENANCES

    assert list(PROVENANCE_LEGEND) == list(PROVENANCES)


def _planted_results() -> dict:
    """A results file with a VIOLATED reconstructed verdict, a VIOLATED derived one, an OUT_OF_REGIME stated one and
    a HOLDS stated one (implicit_bias and meanfield), and a profile whose settings the appendix lists."""
    def planted(claim_id, status, stat, low, high):
        claim = REGISTRY[claim_id]
        return _verdict(claim, [({"K": 2, "d": 8}, stat, low, high)], 0.0, 1.0, status)

    verdicts = [planted("implicit_bias.hom.kkt.l2", "VIOLATED", 1.375, 1.25, 1.5),
                planted("implicit_bias.dln.l2.robust_margin", "VIOLATED", 2.625, 2.5, 2.75),
                planted("implicit_bias.dln.l2.direction", "HOLDS", 0.5, 0.25, 0.75),
                planted("meanfield.thm4_1.bias_variance.vanilla", "OUT_OF_REGIME", *[float("nan")] * 3)]
    profile = {"name": "planted", "description": "a planted profile", "delta": 0.001,
               "sections": {"gaussian": {"matrices": 123457, "shapes": "2x8"}}}
    metadata = {"started": "2024-01-01", "device": "cpu", "seed": 0, "git_revision": "abc", "profile": profile,
                "versions": {"torch": "2", "sympy": "1"}}
    return {"metadata": metadata, "verdicts": verdicts}


def test_the_front_section_lists_stated_and_reconstructed_findings_before_the_papers(planted_tex):
    text = planted_tex
    front = text[text.index(r"\section*{Findings}"):text.index(r"\section{")]
    assert ident("implicit_bias.hom.kkt.l2") in front  # the reconstructed VIOLATED verdict, with its numbers
    finding = front[front.index(ident("implicit_bias.hom.kkt.l2")):].split("\n")[0]
    assert r"\textbf{VIOLATED}" in finding and "statistic 1.375" in finding and "[1.25, 1.5]" in finding
    assert "$n$ = 4096" in finding and "band: " in finding and r"\le 1 + \tau" in finding  # the comparison's band
    assert ident("implicit_bias.dln.l2.robust_margin") not in front  # a derived VIOLATED verdict is no finding
    assert ident("implicit_bias.dln.l2.direction") not in front  # a stated one that HOLDS neither
    assert r"\textbf{OUT\_OF\_REGIME}" in front and ident("meanfield.thm4_1.bias_variance.vanilla") in front
    # the counts: implicit_bias has a paper (stated) row with one HOLDS, a reconstructed and a derived VIOLATED
    lyu = front[front.index(r"\subsection*{Adversarial Training"):] if r"\subsection*{Adversarial Training" in front \
        else front[front.rindex("provenance & HOLDS"):]
    assert "paper & 1 & -- & -- & --" in lyu and "reconstructed & -- & 1 & -- & --" in lyu
    assert "derived & -- & 1 & -- & --" in lyu


def test_the_settings_are_in_an_appendix_after_the_findings(planted_tex):
    text = planted_tex
    assert "matrices=123457" in text
    settings, appendix = text.index("matrices=123457"), text.index(r"\appendix")
    assert text.index(r"\section*{Findings}") < text.index(r"\section{") < appendix < settings


def test_no_sympy_spelling_reaches_the_prose(planted_tex):
    """Outside mathematics (and ids), the document never spells oo, beta_{1,oo}, **, sqrt( or sigma_w2."""
    text = planted_tex
    text = re.sub(r"\\begin\{(gather\*|dmath\*|cases)\}.*?\\end\{\1\}", " ", text, flags=re.S)
    text = re.sub(r"\\begin\{longtable\}\{@\{\}>\{\$\}.*?\\end\{longtable\}", " ", text, flags=re.S)
    text = re.sub(r"\\texttt\{(?:[^{}]|\{[^{}]*\})*\}", " ", text)  # claim ids
    text = re.sub(r"\$[^$]*\$", " ", text)
    leaks = re.findall(r".{0,30}(?:\boo\b|\*\*|sqrt\(|Piecewise|sigma\\?_[wb]2\b|beta\\?_).{0,30}", text)
    assert not leaks, leaks
    assert prose("read as beta_{1,oo}") == r"read as $\beta_{1,\infty}$"
    assert prose("E chi_d/sqrt(d) and x**2") == r"E $\chi_{d}$/$\sqrt{d}$ and $x^2$"
