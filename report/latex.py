"""``derivations.tex`` from the theory objects themselves (jinja2 templates), and its compilation to PDF.

Every formula is printed by ``theory.printing.TheoryPrinter`` from the SymPy objects in ``theory``; every number
comes from a results file.  Nothing here is typed by hand, so changing a theory expression changes the document.  The
document has one section per paper (``report.papers.reports``): its source and provenance legend, its
definitions table, its derivations block (the paper's own template), its claims with the band each verdict was
judged against, its verdict table and its numbered figures.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import sympy as sp

from report.bibliography import bibliography
from theory.claims import PROVENANCE_LABEL, PROVENANCES, Claim, Registry
from theory.comparisons import COMPARISONS, Status
from theory.papers import discover
from theory.printing import latex
from theory.symbols import LATEX_NAMES
from theory.typeset import escape, number
from verify.verdict import worst_record

TEMPLATES = Path(__file__).parent / "templates"

#: what each provenance means, for the legend that opens every paper's section (``theory.claims.PROVENANCES``)
PROVENANCE_LEGEND = {
    "stated": "the paper states it (in its own words, or as a theorem that summaries of the paper relay)",
    "seed": "a summary of the paper states it, not the paper: a verdict is on that summary",
    "reconstructed": "the theorem's exact form, inferred from the abstract and the results it extends",
    "derived": "worked out here from the paper's setting",
    "proxy": "our measurable reading of a qualitative sentence; the claim says what it measures",
}
#: the heading of each provenance's claims in a paper's section, in the legend's order
PROVENANCE_HEADING = {
    "stated": "Claims the paper states",
    "seed": "Claims a summary of the paper states",
    "reconstructed": "Claims reconstructed from the paper",
    "derived": "Claims derived by the project",
    "proxy": "Proxies: the project's measures of qualitative sentences",
}
#: how the front section's count table names each provenance (the paper's own claims as "paper")
PROVENANCE_ROW = {name: "paper" if name == "stated" else name for name in PROVENANCES}
#: a verdict the front section lists as a finding: one of these statuses on a claim of one of these provenances
FINDING_STATUSES = (Status.VIOLATED.value, Status.OUT_OF_REGIME.value)
FINDING_PROVENANCES = ("stated", "reconstructed")
#: a display longer than this (in characters of LaTeX, a rough width measure) is typeset breakable (breqn)
BREAKABLE = 110


def tex(expr) -> str:
    return latex(expr)


#: symbol names written in plain-text regimes and notes ("beta_{p,q}", "sigma_w2", "oo") and SymPy's spelling
_SPELLED = {"eps": "epsilon"}
_GREEK = ("alpha|beta|gamma|Gamma|delta|epsilon|eps|eta|omega|kappa|tau|rho|chi|sigma|mu|lambda|theta|oo|"
          "sigma_[wb]2")
_SCRIPT = r"[_^](?:\{[^}]*\}|\([^()]*\)|[A-Za-z0-9]+)"
#: the SymPy-style spellings prose may contain: sqrt(...), a norm ||x||, a named symbol with its scripts, x**y, x^y
_MATHS = re.compile(rf"sqrt\(|\|\|[\w(),.^{{}}-]+\|\|(?:{_SCRIPT})*|\b(?:{_GREEK})(?:{_SCRIPT})*(?!\w)"
                    rf"|\b\w+\*\*(?:\w+|\([^()]*\))|\b[A-Za-z][A-Za-z0-9]*(?=\^)(?:{_SCRIPT})+"
                    r"|\b[a-z][a-z0-9]*(?:_[a-z0-9]+){2,}\b")
#: a settings key (snake_case, two underscores or more: bias_sigma_b2), set as an identifier, not as a formula
_KEY = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+){2,}")
_FUNCTIONS = {"ln": r"\ln", "log": r"\log", "exp": r"\exp", "max": r"\max", "min": r"\min", "sin": r"\sin",
              "cos": r"\cos", "tanh": r"\tanh"}
_MATH_SIGNS = {"**": "^", "||": r"\|", "->": r"\to", "<=": r"\le", ">=": r"\ge", "<<": r"\ll", ">>": r"\gg",
               "~": r"\sim", "%": r"\%", "#": r"\#", "&": r"\&", "$": r"\$", "\\": r"\backslash{}", "{": r"\{",
               "}": r"\}"}
_MATH_TOKEN = re.compile(rf"sqrt\(|sigma_[wb]2|[A-Za-z]+|\*\*|\|\||->|<=|>=|<<|>>|.", re.S)


def _closing(text: str, start: int) -> int:
    """The index of the bracket closing the one at ``start`` (the end of the text if none does)."""
    pairs, depth = {"(": ")", "{": "}"}, 0
    for i in range(start, len(text)):
        if text[i] == text[start]:
            depth += 1
        elif text[i] == pairs[text[start]]:
            depth -= 1
            if depth == 0:
                return i
    return len(text)


def _symbol(word: str, script: bool) -> str:
    """A word of a formula in LaTeX: a named symbol, a function, a letter, or (several letters) upright text."""
    if word == "oo":
        return latex(sp.oo)
    if re.fullmatch(_GREEK, word):
        names = {str(symbol): name for symbol, name in LATEX_NAMES.items()}
        return names.get(word) or latex(sp.Symbol(_SPELLED.get(word, word)))
    if word in _FUNCTIONS and not script:
        return _FUNCTIONS[word]
    return word if len(word) == 1 else rf"\mathrm{{{word}}}"


def formula(text: str, script: bool = False) -> str:
    """A formula written in plain text (SymPy's spelling: sqrt(x), x**2, oo, beta_{1,oo}, omega^L) as LaTeX math
    (without the dollars); ``script``: it is a sub- or superscript (several letters there are a label)."""
    out, i, scripts = [], 0, ""
    while i < len(text):
        if text[i] in "_^" and i + 1 < len(text):
            kind, j = text[i], i + 1
            if text[j] in "{(":
                end = _closing(text, j)
                argument, i = text[j + 1:end], end + 1
            else:
                found = re.match(r"[A-Za-z0-9]+", text[j:])
                argument, i = (found.group(), j + len(found.group())) if found else ("", j)
            printed = formula(argument, script=True)
            if scripts.endswith(kind):  # beta_2_2: one subscript, its parts separated by a comma
                out[-1] = out[-1][:-1] + "," + printed + "}"
            else:
                out.append(("{}" if kind in scripts else "") + kind + "{" + printed + "}")
            scripts += kind
            continue
        token = _MATH_TOKEN.match(text, i).group()
        if token == "sqrt(":
            end = _closing(text, i + 4)
            out.append(r"\sqrt{" + formula(text[i + 5:end]) + "}")
            i = end + 1
        elif token[0].isalpha():
            out.append(_symbol(token, script))
            i += len(token)
        else:
            out.append(_MATH_SIGNS.get(token, token))
            i += len(token)
        scripts = "" if token != "**" else scripts
        if re.search(r"\\[A-Za-z]+$", out[-1]) and text[i:i + 1].isalpha():
            out[-1] += " "  # \to q, not \toq
    return "".join(out)


def prose(text) -> str:
    """Plain text made safe for LaTeX, with the formulas it spells (beta_{p,q}, oo, sigma_w2, sqrt(d), x**2,
    ||G||_F) as mathematics."""
    text, out, last, at = str(text), [], 0, 0
    while (match := _MATHS.search(text, at)):
        end = _closing(text, match.end() - 1) + 1 if match.group() == "sqrt(" else match.end()
        found = text[match.start():end]
        out += [_words(text[last:match.start()]), ident(found) if _KEY.fullmatch(found) and not re.match(rf"(?:{_GREEK})_", found) else f"${formula(found)}$"]
        last = at = end
    return "".join(out) + _words(text[last:])


_RELATIONS = {"<<": r"\ll", ">>": r"\gg", "<=": r"\le", ">=": r"\ge", "->": r"\to", "<": "<", ">": ">",
              "~": r"\sim"}


def _words(text: str) -> str:
    """Escaped text with its relation signs as mathematics (T1 fonts set "<<" as a guillemet)."""
    parts = re.split(r"(<<|>>|<=|>=|->|<|>|~)", text)
    return "".join(f"${_RELATIONS[p]}$" if p in _RELATIONS else escape(p) for p in parts)


def ident(claim_id: str) -> str:
    """A claim id in typewriter type that may break after its dots and underscores (long ids overflow otherwise)."""
    return r"\texttt{" + escape(claim_id).replace(".", r".\allowbreak{}").replace(r"\_", r"\_\allowbreak{}") + "}"


def display(parts: list[str]) -> str:
    """Display math for a list of relations: one per line; a long one in breqn's breakable ``dmath*``."""
    blocks, short = [], []
    for part in parts:
        if len(part) > BREAKABLE and r"\begin{cases}" not in part:
            if short:
                blocks.append(r"\begin{gather*}" + "\\\\\n".join(short) + r"\end{gather*}")
                short = []
            blocks.append(r"\begin{dmath*}" + part + r"\end{dmath*}")
        else:
            short.append(part)
    if short:
        blocks.append(r"\begin{gather*}" + "\\\\\n".join(short) + r"\end{gather*}")
    return "\n".join(blocks)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}", comment_start_string=r"\#{",
        comment_end_string="}", trim_blocks=True, lstrip_blocks=True, autoescape=False,
        undefined=jinja2.StrictUndefined)
    env.filters["e"] = escape
    env.filters["prose"] = prose
    env.filters["id"] = ident
    env.filters["num"] = number
    return env


def paper_of(registry: Registry) -> dict[str, str]:
    """claim id -> the key of the paper that registers it (without building any claim)."""
    return {claim_id: key for key, paper in discover().items() for group in paper.claims() for claim_id in group.ids
            if claim_id in set(registry.ids())}


def definitions_table(claims: list[Claim]) -> tuple[list[dict], set]:
    """The definitions shared by every claim of an architecture that uses the symbol (a table row each, merged
    over architectures that agree), and the set of (symbol, value) pairs the table covers."""
    values: dict = {}
    for claim in claims:
        for symbol, value in claim.definitions:
            values.setdefault((symbol, claim.arch), set()).add(value)
    rows: dict = {}
    for (symbol, arch), found in values.items():
        if len(found) == 1:
            rows.setdefault((symbol, next(iter(found))), []).append(arch)
    covered = set(rows)
    archs = {claim.arch for claim in claims if claim.definitions}
    order = list(dict.fromkeys(symbol for symbol, _ in rows))  # a symbol's rows together, in order of first use
    table = [{"symbol": tex(symbol), "value": tex(value),
              "scope": "every claim" if set(where) >= archs else ", ".join(a or "" for a in where)}
             for (symbol, value), where in sorted(rows.items(), key=lambda row: order.index(row[0][0]))]
    return table, covered


def band_text(record: dict, claim: Claim, delta: float) -> str:
    """The band a configuration's interval was judged against, as it was applied (LaTeX)."""
    return COMPARISONS[record["comparison"]].latex(record, tex(claim.tolerance), delta)


def configuration(record: dict) -> str:
    """A configuration's settings in one line (a nested spec merged in; a sweep summarised)."""
    config = record["config"]
    if "sweep" in config:
        return f"a sweep of {len(config['sweep'])} configurations"
    flat = {**{k: v for k, v in config.items() if k != "spec"}, **config.get("spec", {})}
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in flat.items()
                     if not isinstance(v, (list, dict)))


def verdict_context(verdict: dict, claim: Claim) -> dict:
    """What the document shows of a verdict: the numbers, the band applied and the closest configuration."""
    speaker = worst_record(verdict["configs"])
    return {**verdict, "band": band_text(speaker, claim, verdict["delta"]), "closest": configuration(speaker),
            "units": sum(c["units"] for c in verdict["configs"]), "level": 1 - verdict["delta"]}


_SECTION = re.compile(r"^(Theorem|Section|Lemma|Corollary|Proposition|Table|Figure) [\w.]+")


def citation(claim: Claim, key: str) -> str:
    """The paper's citation for a claim taken from it, naming its place where that is a numbered part; a claim
    derived here cites nothing (its source says what it is derived from)."""
    if claim.provenance in ("derived", "proxy"):
        return ""
    place = _SECTION.match(claim.place)
    return rf"~\cite[{place.group(0).replace(' ', '~')}]{{{key}}}" if place else rf"~\cite{{{key}}}"


def claim_context(claim: Claim, verdict: dict | None, covered: set, figures: list[str], key: str) -> dict:
    """What ``claim.tex.j2`` shows of a claim: its relation (and the definitions the paper's table does not
    cover) as display math, its citation, its verdict with the band as applied, the figures that illustrate it."""
    relation, *definitions = claim.relations()
    names = {claim.lhs: claim.lhs_latex} if claim.lhs_latex else {}
    inline = [tex(d) for d in definitions if (d.lhs, d.rhs) not in covered]
    return {"id": claim.id, "kind": claim.kind.replace("_", " "), "provenance": claim.provenance, "place": claim.place,
            "region": claim.comparison.region,
            "source": claim.source, "regime": claim.regime, "cite": citation(claim, key),
            "display": display([latex(relation, names), *inline]),
            "verdict": verdict_context(verdict, claim) if verdict else None, "figures": figures}


def claim_tex(claim: Claim, verdict: dict | None = None, figures: tuple[str, ...] = (), key: str = "paper") -> str:
    """One claim's block of the document (``claim.tex.j2``), its definitions written beside it."""
    context = claim_context(claim, verdict, set(), list(figures), key)
    return environment().get_template("claim.tex.j2").render(c=context)


def paper_sections(registry: Registry, results: dict | None, figures: list[str], env: jinja2.Environment) -> list:
    """One section's context per paper with a report module, in paper order."""
    from report.papers import reports

    owner = paper_of(registry)
    verdicts = {v["claim_id"]: v for v in (results or {}).get("verdicts", [])}
    data = (results or {}).get("figures_data", {})
    present = {Path(f).stem for f in figures}
    sections = []
    for key, report in reports().items():
        paper = discover()[key]
        claims = [claim for claim in registry if owner.get(claim.id) == key]
        shown = [f for f in report.figures if f.stem in present and data.get(f.probe)]
        table, covered = definitions_table(claims)
        parts = []  # one part per provenance (the paper's claims apart from a summary's, the project's, proxies)
        for provenance, heading in PROVENANCE_HEADING.items():
            groups = place_groups([claim_context(
                claim, verdicts.get(claim.id), covered, [f.stem for f in shown if f.illustrates(claim.id)],
                report.citation.key) for claim in claims if claim.provenance == provenance])
            if groups:
                parts.append({"provenance": provenance, "heading": heading, "groups": groups})
        verdict_rows = [{**c["verdict"], "provenance": PROVENANCE_LABEL.get(part["provenance"], part["provenance"])}
                        for part in parts for g in part["groups"].values() for c in g["claims"] if c["verdict"]]
        sections.append({
            "key": key, "paper": paper, "report": report, "derivations": report.derivations(env),
            "legend": [(name, PROVENANCE_LEGEND[name], sum(c.provenance == name for c in claims))
                       for name in PROVENANCE_LEGEND if any(c.provenance == name for c in claims)],
            "definitions": table, "parts": parts,
            "verdicts": verdict_rows, **front(parts),
            "figures": [{"stem": f.stem, "caption": f.caption(data[f.probe]),
                         "claims": f.supports} for f in shown]})
    return sections


def front(parts: list[dict]) -> dict:
    """What the front section shows of a paper: its verdict counts by provenance and status (a row per provenance
    with a verdict, in ``PROVENANCES`` order) and its findings, every VIOLATED or OUT_OF_REGIME verdict on a claim the
    paper states or that is reconstructed from it, with its numbers and band (the verdict table's, as applied)."""
    judged = [(part["provenance"], c) for part in parts for g in part["groups"].values() for c in g["claims"]
              if c["verdict"]]
    statuses = [status.value for status in Status]
    counts = [{"provenance": PROVENANCE_ROW[name],
               "counts": [sum(p == name and c["verdict"]["status"] == status for p, c in judged)
                          for status in statuses]}
              for name in PROVENANCES if any(p == name for p, _ in judged)]
    findings = [{**c["verdict"], **{k: None for k in ("statistic", "ci_low", "ci_high")  # unjudged: dashes
                                    if c["verdict"]["status"] == Status.OUT_OF_REGIME.value},
                 "region": c["region"], "provenance": PROVENANCE_ROW[p]} for p, c in judged
                if p in FINDING_PROVENANCES and c["verdict"]["status"] in FINDING_STATUSES]
    return {"statuses": statuses, "counts": counts, "findings": findings}


def place_groups(entries: list[dict]) -> dict[str, dict]:
    """Claim contexts grouped by the place they come from; a regime shared by a whole group is stated once, at its
    head."""
    groups: dict[str, list] = {}
    for entry in entries:
        groups.setdefault(entry["place"], []).append(entry)
    out = {}
    for place, members in groups.items():
        common = {entry["regime"] for entry in members}
        shared = common.pop() if len(common) == 1 and len(members) > 1 else None
        out[place] = {"regime": shared, "claims": [{**entry, "regime": None} if shared else entry
                                                   for entry in members]}
    return out


def references() -> str:
    """The .bib text: every paper's citation and the works its report cites."""
    from report.papers import reports

    return bibliography([ref for report in reports().values() for ref in (report.citation, *report.references)])


def render(registry: Registry, results: dict | None = None, figures: list[str] | None = None) -> str:
    """The text of derivations.tex (it cites ``references.bib``, written beside it by ``write``)."""
    env = environment()
    metadata = (results or {}).get("metadata", {})
    return env.get_template("derivations.tex.j2").render(
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), results=results, metadata=metadata,
        sections=paper_sections(registry, results, [f for f in (figures or []) if f.endswith(".pdf")], env),
        profile=profile_lines(metadata.get("profile", {})))


def profile_lines(profile: dict) -> list[tuple[str, str]]:
    """(section, its scalar and short-list settings) for the header: the sizes the run used."""
    lines = []
    for name, settings in profile.get("sections", {}).items():
        items = [f"{k}={v}" for k, v in settings.items() if not isinstance(v, (dict, list)) or len(str(v)) <= 40]
        lines.append((name, ", ".join(items)))
    return lines


def write(registry: Registry, tex_path: Path, results: dict | None = None, figures: list[str] | None = None) -> None:
    """derivations.tex and the references.bib it cites."""
    tex_path = Path(tex_path)
    tex_path.write_text(render(registry, results, figures))
    (tex_path.parent / "references.bib").write_text(references())


_OVERFULL = re.compile(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)")


def overfull_boxes(log: str) -> list[float]:
    """How far (pt) each overfull line of a LaTeX log runs past the text block."""
    return [float(width) for width in _OVERFULL.findall(log)]


def compile_pdf(tex_path: Path) -> tuple[Path | None, str]:
    """Compile with latexmk (or pdflatex, bibtex, pdflatex twice); (pdf path or None, a plain sentence)."""
    tex_path = Path(tex_path)
    if shutil.which("latexmk"):
        commands = [["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", tex_path.name]]
    elif shutil.which("pdflatex"):
        run = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex_path.name]
        commands = [run, *([["bibtex", tex_path.stem]] if shutil.which("bibtex") else []), run, run]
    else:
        return None, "no LaTeX toolchain (latexmk or pdflatex) is installed, so only the .tex file was written"
    for command in commands:
        done = subprocess.run(command, cwd=tex_path.parent, capture_output=True, text=True, timeout=600)
        if done.returncode != 0 and command[0] != "bibtex":
            log = tex_path.with_suffix(".log")
            return None, f"{command[0]} failed (exit {done.returncode}); see {log}"
    log = tex_path.with_suffix(".log").read_text(errors="replace")
    widths = overfull_boxes(log)
    wide = f"; {len(widths)} overfull line(s), the widest {max(widths):.1f}pt" if widths else ""
    return tex_path.with_suffix(".pdf"), f"compiled with {commands[0][0]}{wide}"
