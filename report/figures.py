"""Figures of a run, drawn from results.json's ``figures_data`` (matplotlib, PNG and PDF side by side).

This module draws; every number it shows was computed by a paper's probe (``numerics.papers.<paper>``) and
stored with the run.  Each paper's report module registers its figures (``PaperReport.figures``): how to draw
one from its probe's data, its caption (which names the exact configuration, from the same data) and the claims
whose verdicts it illustrates, so the report can number it and cite it from those claims.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@dataclass(frozen=True)
class Figure:
    """One figure: ``probe`` names the numerics probe whose data it draws; ``draw(data)`` returns a matplotlib
    figure (None when the probe's data has nothing for it); ``caption(data)`` is LaTeX naming the activation,
    variances and sizes it shows, and why they differ from its verdicts' configuration where they do;
    ``supports`` are globs of the claim ids it illustrates, written only here: the report cites the figure from
    those claims, and a run computes the probe when one of them is selected."""

    stem: str
    probe: str
    draw: Callable[[dict], "plt.Figure | None"]
    caption: Callable[[dict], str]
    supports: tuple[str, ...]

    def illustrates(self, claim_id: str) -> bool:
        return any(fnmatch.fnmatchcase(claim_id, pattern) for pattern in self.supports)


def draw_band(ax, x, band: dict, label: str, **style):
    """A probe's ``numerics.stats.median_range`` on ``ax``: the median as a line, the range shaded in its colour."""
    line, = ax.plot(x, band["median"], label=label, **style)
    ax.fill_between(x, band["low"], band["high"], color=line.get_color(), alpha=0.15)
    return line


def save(fig, out_dir: Path, stem: str) -> list[str]:
    """``stem``.png and ``stem``.pdf in ``out_dir``; the file names."""
    names = []
    for suffix in ("png", "pdf"):
        path = Path(out_dir) / f"{stem}.{suffix}"
        fig.savefig(path, dpi=150, bbox_inches="tight")
        names.append(path.name)
    plt.close(fig)
    return names


def errorbar(ax, rows: list[dict], x: str, y: str, **style) -> None:
    """Points rows[y] at rows[x] with their stored interval [ci_low, ci_high] as asymmetric error bars."""
    values = [r[y] for r in rows]
    err = [[r[y] - r["ci_low"] for r in rows], [r["ci_high"] - r[y] for r in rows]]
    ax.errorbar([r[x] for r in rows], values, yerr=err, capsize=3, **style)


def registered() -> dict[str, Figure]:
    """stem -> Figure, over every paper's report (a stem or a probe drawn twice is an error, not an overwrite)."""
    from report.papers import reports

    found: dict[str, Figure] = {}
    for paper, report in reports().items():
        for figure in report.figures:
            if figure.stem in found:
                raise ValueError(f"report/papers/{paper}: the figure {figure.stem!r} is drawn by another paper too")
            found[figure.stem] = figure
    return found


def _draw_one(stem: str, data: dict, out_dir: Path) -> list[str]:
    """One figure, found by its stem (a task a spawned process can run), into ``out_dir``; its file names."""
    drawn = registered()[stem].draw(data)
    return save(drawn, out_dir, stem) if drawn is not None else []


def draw_all(figures_data: dict, out_dir: Path, map: Callable = map) -> list[str]:
    """Every figure whose probe's data the run stored into ``out_dir``; the file names, in the figures' order.

    ``map`` draws them (one figure is some 0.3 to 3 s of rendering): the builtin in this process, or an
    executor's ``map`` in the processes that drew the run's samples.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    known = registered()
    probes = {figure.probe for figure in known.values()}
    missing = [name for name in figures_data if name not in probes]
    if missing:
        raise KeyError(f"no report module draws the figure data {missing[0]!r}")
    tasks = [(figure.stem, figures_data[figure.probe]) for figure in known.values() if figures_data.get(figure.probe)]
    drawn = map(_draw_one, [stem for stem, _ in tasks], [data for _, data in tasks], [out_dir] * len(tasks))
    return [name for names in drawn for name in names]
