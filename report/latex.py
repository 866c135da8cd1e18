"""``derivations.tex`` from the theory objects themselves (jinja2 templates), and its compilation to PDF.

Every formula is printed by ``TheoryPrinter`` from the SymPy objects in ``theory``; every number comes from a
results file.  Nothing here is typed by hand, so changing a theory expression changes the document.  Each
paper's derivations block comes from its report module (``report/papers/<paper>.py``), rendered from its own
template (``templates/papers/<paper>.tex.j2``).
"""
from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import jinja2
from sympy.printing.latex import LatexPrinter

from theory.claims import Registry
from theory.papers import discover
from theory.symbols import LATEX_NAMES

TEMPLATES = Path(__file__).parent / "templates"


class TheoryPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the project's symbol names set once."""

    def __init__(self, settings: dict | None = None) -> None:
        super().__init__({"symbol_names": LATEX_NAMES, **(settings or {})})


def tex(expr) -> str:
    return TheoryPrinter().doprint(expr)


_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def escape(text) -> str:
    """Plain text (ids, sources, notes) made safe for LaTeX."""
    return "".join(_SPECIAL.get(ch, ch) for ch in str(text))


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}", comment_start_string=r"\#{",
        comment_end_string="}", trim_blocks=True, lstrip_blocks=True, autoescape=False,
        undefined=jinja2.StrictUndefined)
    env.filters["e"] = escape
    env.filters["num"] = lambda x, digits=4: "--" if x is None else f"{x:.{digits}g}"
    return env


def derivation_blocks(env: jinja2.Environment | None = None) -> list[str]:
    """Each paper's derivations as LaTeX, in paper order (its report module's ``derivations(env)``)."""
    from report.papers import load_all

    env = env or environment()
    modules, order = load_all(), list(discover())
    ranked = sorted(modules, key=lambda name: order.index(name) if name in order else len(order))
    return [modules[name].derivations(env) for name in ranked if hasattr(modules[name], "derivations")]


def claims_by_place(registry: Registry) -> list[dict]:
    """Claims grouped by paper and place; a regime shared by the whole group is stated once, at its head."""
    groups: dict[str, list] = {}
    for claim in registry:
        groups.setdefault(f"{claim.paper}: {claim.place}", []).append({
            "id": claim.id, "kind": claim.kind, "provenance": claim.provenance, "source": claim.source,
            "regime": claim.regime, "statement": claim.statement, "comparison": claim.comparison,
            "tolerance": tex(claim.tolerance)})
    out = []
    for title, claims in groups.items():
        regimes = {c["regime"] for c in claims}
        common = regimes.pop() if len(regimes) == 1 and len(claims) > 1 else None
        out.append({"title": title, "regime": common,
                    "claims": [{**c, "regime": None if common else c["regime"]} for c in claims]})
    return out


def render(registry: Registry, results: dict | None = None, figures: list[str] | None = None) -> str:
    """The text of derivations.tex."""
    env = environment()
    template = env.get_template("derivations.tex.j2")
    verdicts = (results or {}).get("verdicts", [])
    return template.render(
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), blocks=derivation_blocks(env),
        papers=list(discover().values()),
        groups=claims_by_place(registry), results=results, verdicts=verdicts,
        figures=[f for f in (figures or []) if f.endswith(".pdf")],
        metadata=(results or {}).get("metadata", {}))


def compile_pdf(tex_path: Path) -> tuple[Path | None, str]:
    """Compile with latexmk (or pdflatex twice); (pdf path or None, a plain sentence about what happened)."""
    tex_path = Path(tex_path)
    if shutil.which("latexmk"):
        command = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", tex_path.name]
    elif shutil.which("pdflatex"):
        command = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex_path.name]
    else:
        return None, "no LaTeX toolchain (latexmk or pdflatex) is installed, so only the .tex file was written"
    runs = 1 if command[0] == "latexmk" else 2
    for _ in range(runs):
        done = subprocess.run(command, cwd=tex_path.parent, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            log = tex_path.with_suffix(".log")
            return None, f"{command[0]} failed (exit {done.returncode}); see {log}"
    return tex_path.with_suffix(".pdf"), f"compiled with {command[0]}"
