"""Terminal rendering: the verdict table, the claims list and progress bars (rich)."""
from __future__ import annotations

import math
from typing import Callable, Iterable

import sympy as sp
from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from theory.claims import PROVENANCE_LABEL, Claim
from theory.comparisons import ADEQUATE_POWER, COMPARISONS
from verify.verdict import Status, Verdict

STYLE = {Status.HOLDS: "bold green", Status.VIOLATED: "bold red", Status.INCONCLUSIVE: "bold yellow",
         Status.OUT_OF_REGIME: "bold cyan"}

LEGEND = (
    "stat: x measured/theory, + measured - theory, a slope (trends), an exceedance rate (high-probability "
    "bounds) or a test statistic (laws), at the configuration closest to violating the claim; interval: "
    "family-wise 1 - delta over the claim's configurations (for claims that must hold on every run: the range over "
    "the runs; for a test: the statistic's acceptance region at the test's level); band: what the interval is "
    "judged against (target +- tau, a bound, a sign; a test: p >= its level, and HOLDS needs power >= "
    f"{ADEQUATE_POWER:g} against its stated alternative, see results.json).  HOLDS: the interval lies inside the band; "
    "VIOLATED: wholly outside; INCONCLUSIVE: it straddles an edge, or the sample cannot decide (e.g. a reference "
    "failed); OUT_OF_REGIME: the sample lies outside the claim's stated regime, so no verdict on the source.  "
    "prov: where the statement comes from (paper: the paper states it; seed: a seed document's summary states it, "
    "so a verdict is on that summary, not on the paper; recon: reconstructed from the abstract and the results it "
    "extends; derived: by the project; proxy: our measure of a qualitative sentence).  n: independent units "
    "(networks, matrices or runs)/scalar values over all configurations.  Details per configuration: results.json."
)


#: what the table shows for a number that was not judged or not measured
NONE = "\u2014"


def _short(x: float) -> str:
    """Three decimals, or four significant digits from 100 on (keeps the column narrow)."""
    return f"{x:.3f}" if abs(x) < 100 or x != x else f"{x:.4g}"


def _measured(v: Verdict) -> tuple[str, str]:
    """The statistic in its units (x: a ratio, +: a difference) and its interval, or dashes where nothing was
    judged (out of regime: what was measured there is in results.json) or nothing measured (a failed reference)."""
    if v.status is Status.OUT_OF_REGIME or not math.isfinite(v.statistic):
        return NONE, NONE
    return f"{COMPARISONS[v.comparison].prefix}{_short(v.statistic)}", f"{_short(v.ci_low)}..{_short(v.ci_high)}"


def _count(n: int) -> str:
    """1234567 -> '1.2M': entry counts read at a glance."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            return f"{n / size:.1f}{suffix}"
    return str(n)


def band(v: Verdict) -> str:
    """What the statistic is judged against, in the statistic's own units (a test: at the level of its first
    tested configuration, Bonferroni over the claim's configurations)."""
    level = next((c["extras"]["level"] for c in v.configs if "level" in c["extras"]), v.delta)
    return COMPARISONS[v.comparison].text(v.tolerance, v.configs[0]["theory"], level)


def verdict_table(verdicts: Iterable[Verdict]) -> Table:
    table = Table(title="Verdicts", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("claim", no_wrap=True)
    table.add_column("prov", no_wrap=True)
    table.add_column("stat", justify="right", no_wrap=True)
    table.add_column("interval", justify="right", no_wrap=True)
    table.add_column("band", justify="right", no_wrap=True)
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    for v in verdicts:
        units = sum(c["units"] for c in v.configs)
        table.add_row(v.claim_id, PROVENANCE_LABEL.get(v.provenance, v.provenance),
                      *_measured(v), band(v), f"{_count(units)}/{_count(v.n_samples)}",
                      f"[{STYLE[v.status]}]{v.status.value}[/]")
    return table


def figures_tables(verdicts: Iterable[Verdict]) -> list[Table]:
    """Descriptive figures beside the verdicts (tightness, sup-over-x gap, ...): one table per kind of figures."""
    groups: dict[tuple[str, ...], list[Verdict]] = {}
    for v in verdicts:
        names = tuple(k for k, value in v.figures.items() if isinstance(value, float))
        if names:
            groups.setdefault(names, []).append(v)
    tables = []
    for names, rows in groups.items():
        table = Table(title="Figures, at the configuration shown above", header_style="bold", box=box.SIMPLE_HEAD,
                      pad_edge=False)
        table.add_column("claim", no_wrap=True)
        for name in names:
            table.add_column(name.replace("_", " "), justify="right")
        for v in rows:
            table.add_row(v.claim_id, *(f"{v.figures[name]:.3g}" for name in names))
        tables.append(table)
    return tables


def violations_table(verdicts: Iterable[Verdict]) -> Table | None:
    """The smallest configuration found that violates each violated claim."""
    rows = [v for v in verdicts if v.smallest_violation]
    if not rows:
        return None
    table = Table(title="Smallest violating configuration", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("claim", "configuration", "stat", "interval"):
        table.add_column(name, no_wrap=name != "configuration")
    for v in rows:
        found = dict(v.smallest_violation)
        stat, low, high = found.pop("statistic"), found.pop("ci_low"), found.pop("ci_high")
        table.add_row(v.claim_id, ", ".join(f"{k}={val}" for k, val in found.items()), f"{stat:.3f}",
                      f"{low:.3f}..{high:.3f}")
    return table


def claims_table(claims: Iterable[Claim]) -> Group:
    """Each claim's id, kind, provenance and source, then its statement in Unicode mathematics (SymPy's pretty
    printer: fractions and roots in two dimensions, bounds with "≤"), never wrapped so the layout holds."""
    parts: list = [Text("Registered claims", style="bold")]
    for c in claims:
        parts.append(Text.assemble((c.id, "bold"), f"  {c.kind}, {c.provenance}; {c.paper}, {c.place}: {c.source}"))
        parts.append(Padding(Text(c.text, no_wrap=True, overflow="ignore"), (0, 0, 1, 4)))
    return Group(*parts)


def tolerance_summary(claims: Iterable[Claim]) -> str:
    """One line per distinct tolerance formula, so every verdict's band is stated, not only its width (what each
    tolerance stands for, e.g. finite width or a limit approached, is in the claim's notes and regime)."""
    claims = list(claims)
    groups: dict[str, list[str]] = {}
    for claim in claims:
        if claim.tolerance != 0:
            groups.setdefault(sp.sstr(claim.tolerance), []).append(claim.id)
    lines = [f"tau = {formula} for "
             + (f"all {len(ids)} claims" if len(ids) == len(claims) else ", ".join(ids))
             for formula, ids in groups.items()]
    tests = sum(not claim.comparison.has_tolerance for claim in claims)
    exact = len(claims) - sum(len(ids) for ids in groups.values()) - tests
    if exact:
        lines.append(f"tau = 0 for the other {exact} claim(s): exact statements, judged by their intervals alone")
    if tests:
        lines.append(f"no tau for {tests} test(s) of a law: judged by their p-values at the level, with their power")
    return "\n".join(lines)


class ProgressBars:
    """A rich progress display; ``task(label, total)`` returns a function that advances the new bar.

    Disabled (``enabled=False``) when stdout is not a terminal: a log gets plain lines instead.
    """

    def __init__(self, console: Console, enabled: bool = True) -> None:
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("{task.fields[note]}"), console=console,
                                 transient=False, disable=not enabled)

    def __enter__(self) -> "ProgressBars":
        self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)

    def task(self, label: str, total: int, keep: bool = False) -> Callable[..., None]:
        """A new bar; it disappears once complete unless ``keep`` (so a run of many jobs stays readable).
        ``advance(n, note)`` moves it by n and shows ``note`` (e.g. the time left) beside it."""
        task_id = self.progress.add_task(label, total=total, note="")

        def advance(n: int = 1, note: str | None = None) -> None:
            if task_id not in self.progress.task_ids:  # already complete and removed
                return
            self.progress.advance(task_id, n)
            if note is not None:
                self.progress.update(task_id, note=note)
            if not keep and self.progress.tasks[self.progress.task_ids.index(task_id)].finished:
                self.progress.remove_task(task_id)

        return advance


def quantity_listing(quantity) -> str:
    """What ``atv check-bound --list`` prints of one ``theory.quantities.Quantity``: its meaning, certainty,
    symbols, domain, constraints, options, default example count and the paper's own bound as a runnable example."""
    bound = quantity.bound
    options = " ".join(f"--option {k}={v}" for k, v in bound.options.items())
    refutes = "refutes a lower bound" if quantity.certainty.refutes(True) and not quantity.certainty.refutes(False) \
        else "refutes an upper bound" if not quantity.certainty.refutes(True) else "refutes either bound"
    lines = [
        f"{quantity.id}: {quantity.meaning}",
        f"  measured as: {quantity.certainty.value} ({refutes})",
        f"  symbols: {' '.join(quantity.symbols)}",
        "  domain: " + "; ".join(f"{k} {v.text()}" for k, v in quantity.domain.items()),
        *([f"  constraints: {', '.join(str(c) for c in quantity.constraints)}"] if quantity.constraints else []),
        "  options: " + ("; ".join(f"{k} in {{{', '.join(v)}}} (default {v[0]})" for k, v in quantity.options.items())
                         or "none"),
        f"  examples: {quantity.examples} by default ({quantity.cost})",
        f"  the paper's bound ({bound.place}; {bound.provenance}): {quantity.name} "
        f"{'>=' if bound.lower else '<='} {bound.text}",
        f"  example: atv check-bound '{bound.text}' --quantity {quantity.id}" + (f" {options}" if options else "")
        + (" --lower" if bound.lower else ""),
        "",
    ]
    return "\n".join(lines)
