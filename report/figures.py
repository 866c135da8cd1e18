"""Figures of a run, drawn from results.json's ``figures_data`` (matplotlib, PNG and PDF side by side).

This module draws; every number it shows was computed by ``verify.sweeps`` and stored with the run.
"""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE = {"vanilla": "tab:blue", "residual": "tab:orange"}


def _save(fig, out_dir: Path, stem: str) -> list[str]:
    names = []
    for suffix in ("png", "pdf"):
        path = out_dir / f"{stem}.{suffix}"
        fig.savefig(path, dpi=150, bbox_inches="tight")
        names.append(path.name)
    plt.close(fig)
    return names


def _normal_density(x: float) -> float:
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def histogram_figure(data: dict, out_dir: Path) -> list[str]:
    """Standardized J and a entries against the N(0, 1) density, one row per architecture."""
    archs = list(data)
    fig, axes = plt.subplots(len(archs), 2, figsize=(9, 3.4 * len(archs)), squeeze=False, layout="constrained")
    for row, arch in enumerate(archs):
        hist = data[arch]["histograms"]
        bins = hist["bins"]
        centers = [(a + b) / 2 for a, b in zip(bins[:-1], bins[1:])]
        width = bins[1] - bins[0]
        grid = [bins[0] + i * (bins[-1] - bins[0]) / 400 for i in range(401)]
        for col, (name, label) in enumerate((("J", r"$J_{ij}\,/\,\sqrt{\omega^L/d}$"),
                                             ("a", r"$a_i\,/\,\sqrt{\mathrm{Var}_{\mathrm{theory}}\,a_i}$"))):
            ax = axes[row][col]
            entry = hist[name]
            density = [c / (entry["n"] * width) for c in entry["counts"]]
            ax.bar(centers, density, width=width, color=STYLE[arch], alpha=0.55, label=f"{arch}, n = {entry['n']:,}")
            ax.plot(grid, [_normal_density(x) for x in grid], "k-", lw=1.2, label=r"$\mathcal{N}(0,1)$")
            ax.set_xlabel(label)
            ax.set_ylabel("density")
            ax.set_ylim(0, 0.55)
            ax.legend(fontsize=7, loc="upper left", frameon=False)
    fig.suptitle("Theorem 4.1: entries of J and a, standardized by the predicted variance")
    return _save(fig, out_dir, "hist_entries")


def _errorbar(ax, rows: list[dict], x: str, y: str, **style) -> None:
    """Points rows[y] at rows[x] with their stored interval [ci_low, ci_high] as asymmetric error bars."""
    values = [r[y] for r in rows]
    err = [[r[y] - r["ci_low"] for r in rows], [r["ci_high"] - r[y] for r in rows]]
    ax.errorbar([r[x] for r in rows], values, yerr=err, capsize=3, **style)


def depth_figure(data: dict, out_dir: Path) -> list[str]:
    """E||J(x)||_{2->2} against depth, measured (with its interval) and mean-field, log scale."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for arch, entry in data.items():
        rows = entry["depth"]["rows"]
        _errorbar(ax, rows, "L", "measured", fmt="o", color=STYLE[arch], label=f"{arch}: measured")
        ax.plot([r["L"] for r in rows], [r["meanfield"] for r in rows], "-", color=STYLE[arch],
                label=f"{arch}: mean field")
    spec = next(iter(data.values()))["depth"]["spec"]
    ax.set_yscale("log")
    ax.set_xlabel("depth L")
    ax.set_ylabel(r"$\mathbb{E}\,\|J(x)\|_{2\to2}$")
    ax.set_title(f"Adversarial-loss scale vs depth (d={spec['d']}, K={spec['K']}, N={spec['N']})", fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, out_dir, "depth_bound")


def width_figure(data: dict, out_dir: Path) -> list[str]:
    """Var J measured/theory against width, with the finite-width band 1 +- sqrt(L/N)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for arch, entry in data.items():
        _errorbar(ax, entry["width"]["rows"], "N", "ratio", fmt="o-", color=STYLE[arch], label=arch)
    rows = next(iter(data.values()))["width"]["rows"]
    N = [r["N"] for r in rows]
    ax.fill_between(N, [1 - r["tolerance"] for r in rows], [1 + r["tolerance"] for r in rows], color="0.85",
                    label=r"tolerance $1\pm\sqrt{L/N}$")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("width N")
    ax.set_ylabel(r"$\mathrm{Var}\,J_{ij}$ measured / $\omega^L/d$")
    ax.set_title("Finite-width convergence (L = 4)", fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, out_dir, "width_convergence")


def draw_all(figures_data: dict, out_dir: Path) -> list[str]:
    """Every figure of the run into ``out_dir``; returns the file names written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [*histogram_figure(figures_data, out_dir), *depth_figure(figures_data, out_dir),
            *width_figure(figures_data, out_dir)]
