"""Figures of a run, drawn from results.json's ``figures_data`` (matplotlib, PNG and PDF side by side).

This module draws; every number it shows was computed by a paper's probe (``numerics.papers.<paper>``) and
stored with the run.  Each paper's report module (``report/papers/<paper>.py``) maps its probes' names to
drawing functions (``FIGURES``); ``draw_all`` dispatches to them.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


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


def drawers() -> dict:
    """probe name -> draw(data, out_dir) -> file names, over every paper's report module (``FIGURES``)."""
    from report.papers import load_all

    found: dict = {}
    for paper, module in load_all().items():
        for name, draw in getattr(module, "FIGURES", {}).items():
            if name in found:
                raise ValueError(f"report/papers/{paper}: the figure {name!r} is drawn by another paper too")
            found[name] = draw
    return found


def draw_all(figures_data: dict, out_dir: Path) -> list[str]:
    """Every figure whose data the run stored (keyed by probe name) into ``out_dir``; the file names."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    known = drawers()
    missing = [name for name in figures_data if name not in known]
    if missing:
        raise KeyError(f"no report module draws the figure data {missing[0]!r}")
    return [file for name, data in figures_data.items() if data for file in known[name](data, out_dir)]
