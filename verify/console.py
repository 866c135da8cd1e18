"""Terminal rendering: the verdict table, the claims list and progress bars (rich)."""
from __future__ import annotations

from typing import Callable, Iterable

import sympy as sp
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from theory.claims import Claim
from verify.verdict import Status, Verdict

STYLE = {Status.HOLDS: "bold green", Status.VIOLATED: "bold red", Status.INCONCLUSIVE: "bold yellow"}

LEGEND = (
    "stat: x measured/theory (target 1) or + measured - theory (target 0), at the configuration farthest from "
    "the claim; interval: family-wise 1 - delta over the claim's configurations; tol: the band target +- tau.  "
    "HOLDS: the interval lies inside the band; VIOLATED: wholly outside; INCONCLUSIVE: it straddles an edge.  "
    "n: networks/scalar entries over all configurations.  Details per configuration: results.json."
)


def _count(n: int) -> str:
    """1234567 -> '1.2M': entry counts read at a glance."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            return f"{n / size:.1f}{suffix}"
    return str(n)


def verdict_table(verdicts: Iterable[Verdict]) -> Table:
    table = Table(title="Verdicts", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("claim", no_wrap=True)
    table.add_column("stat", justify="right", no_wrap=True)
    table.add_column("interval", justify="right", no_wrap=True)
    table.add_column("tol", justify="right", no_wrap=True)
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    for v in verdicts:
        sign = "x" if v.comparison == "ratio" else "+"
        networks = sum(c["networks"] for c in v.configs)
        table.add_row(v.claim_id, f"{sign}{v.statistic:.3f}", f"{v.ci_low:.3f}..{v.ci_high:.3f}",
                      f"\u00b1{v.tolerance:.3f}", f"{_count(networks)}/{_count(v.n_samples)}",
                      f"[{STYLE[v.status]}]{v.status.value}[/]")
    return table


def claims_table(claims: Iterable[Claim]) -> Table:
    table = Table(title="Registered claims", header_style="bold")
    table.add_column("id", no_wrap=True)
    for name in ("kind", "provenance", "source", "statement"):
        table.add_column(name, overflow="fold")
    for c in claims:
        table.add_row(c.id, c.kind, c.provenance, f"{c.paper}, {c.place} ({c.source})", c.text)
    return table


def tolerance_summary(claims: Iterable[Claim]) -> str:
    """One line per distinct tolerance formula, so every verdict's band is stated, not only its width."""
    groups: dict[str, list[str]] = {}
    for claim in claims:
        groups.setdefault(sp.sstr(claim.tolerance), []).append(claim.id)
    if len(groups) == 1:
        formula, ids = next(iter(groups.items()))
        return f"tau = {formula} (finite-width tolerance) for all {len(ids)} claim(s)"
    return "\n".join(f"tau = {formula} (finite-width tolerance) for {', '.join(ids)}"
                     for formula, ids in groups.items())


class ProgressBars:
    """A rich progress display; ``task(label, total)`` returns a function that advances the new bar."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=False)

    def __enter__(self) -> "ProgressBars":
        self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)

    def task(self, label: str, total: int) -> Callable[[int], None]:
        task_id = self.progress.add_task(label, total=total)
        return lambda n=1: self.progress.advance(task_id, n)
