"""The mean-field paper's report: its figures (drawers keyed by its probes' names) and its derivations block.

Every number a figure shows comes from results.json (``numerics.papers.meanfield.figures`` computed it); every
formula in the derivations is printed by SymPy from ``theory.papers.meanfield``.
"""
from __future__ import annotations

import math
from pathlib import Path

import jinja2
import matplotlib.pyplot as plt
import sympy as sp

from report.figures import errorbar, save
from report.latex import tex
from theory.papers.meanfield import PAPER
from theory.papers.meanfield.network import ACTIVATION, ALPHA, ARCHITECTURES, OMEGA, SLOPE
from theory.papers.meanfield.norms import PAIRS, SEED_BETA, beta_chevet, beta_leading, chevet, pair_name
from theory.papers.meanfield.recursions import RECURSIONS, layer_gain, q
from theory.symbols import alpha, l, omega

STYLE = {"vanilla": "tab:blue", "residual": "tab:orange"}


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
    return save(fig, out_dir, "hist_entries")


def depth_figure(data: dict, out_dir: Path) -> list[str]:
    """E||J(x)||_{2->2} against depth, measured (with its interval) and mean-field, log scale."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for arch, entry in data.items():
        rows = entry["depth"]["rows"]
        errorbar(ax, rows, "L", "measured", fmt="o", color=STYLE[arch], label=f"{arch}: measured")
        ax.plot([r["L"] for r in rows], [r["meanfield"] for r in rows], "-", color=STYLE[arch],
                label=f"{arch}: mean field")
    spec = next(iter(data.values()))["depth"]["spec"]
    ax.set_yscale("log")
    ax.set_xlabel("depth L")
    ax.set_ylabel(r"$\mathbb{E}\,\|J(x)\|_{2\to2}$")
    ax.set_title(f"Adversarial-loss scale vs depth (d={spec['d']}, K={spec['K']}, N={spec['N']})", fontsize=10)
    ax.legend(fontsize=8)
    return save(fig, out_dir, "depth_bound")


def width_figure(data: dict, out_dir: Path) -> list[str]:
    """Var J measured/theory against width, with the finite-width band 1 +- sqrt(L/N)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for arch, entry in data.items():
        errorbar(ax, entry["width"]["rows"], "N", "ratio", fmt="o-", color=STYLE[arch], label=arch)
    rows = next(iter(data.values()))["width"]["rows"]
    N = [r["N"] for r in rows]
    ax.fill_between(N, [1 - r["tolerance"] for r in rows], [1 + r["tolerance"] for r in rows], color="0.85",
                    label=rf"tolerance $1\pm {next(iter(data.values()))['width']['tolerance']}$")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("width N")
    ax.set_ylabel(r"$\mathrm{Var}\,J_{ij}$ measured / $\omega^L/d$")
    spec = next(iter(data.values()))["width"]["spec"]
    ax.set_title(f"Finite-width convergence (d={spec['d']}, K={spec['K']}, L={spec['L']})", fontsize=10)
    ax.legend(fontsize=8)
    return save(fig, out_dir, "width_convergence")


STATUS_COLOR = {"HOLDS": "tab:green", "INCONCLUSIVE": "tab:olive", "VIOLATED": "tab:red"}
REGIME_MARKER = {"population": "o", "dataset": "s"}


def trajectory_figure(data: dict, out_dir: Path) -> list[str]:
    """sigma_w^2 - sigma^2(t), measured (interval band) against the ODE (dashed), per architecture and regime."""
    archs = list(dict.fromkeys(r["arch"] for r in data["trajectories"]))
    regimes = list(dict.fromkeys(r["regime"] for r in data["trajectories"]))
    fig, axes = plt.subplots(len(archs), len(regimes), figsize=(5.2 * len(regimes), 3.8 * len(archs)),
                             squeeze=False, layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for row, arch in enumerate(archs):
        for col, regime in enumerate(regimes):
            ax = axes[row][col]
            entries = [r for r in data["trajectories"] if r["arch"] == arch and r["regime"] == regime]
            for i, entry in enumerate(entries):
                ts = [r["t"] for r in entry["rows"]]
                color = colors[i % len(colors)]
                label = rf"N={entry['N']}, $\eta\epsilon$={entry['eta'] * entry['eps']:g}"
                ax.plot(ts, [r["mean"] for r in entry["rows"]], "-", color=color, label=label)
                ax.fill_between(ts, [max(r["ci_low"], 1e-12) for r in entry["rows"]],
                                [r["ci_high"] for r in entry["rows"]], color=color, alpha=0.2)
                ax.plot(ts, entry["ode"], "--", color=color)
            ax.set_yscale("log")
            ax.set_xlabel("step t")
            ax.set_ylabel(r"$\sigma_w^2 - \sigma^2(t)$")
            ax.set_title(f"{arch}, {regime} (dashed: ODE)", fontsize=10)
            ax.legend(fontsize=7)
    return save(fig, out_dir, "dynamics_trajectories")


def regime_map_figure(data: dict, out_dir: Path) -> list[str]:
    """Where the ODE held: each configuration at (eta eps, N), coloured by verdict, labelled with T*/horizon."""
    archs = list(dict.fromkeys(r["arch"] for r in data["regime_map"]))
    fig, axes = plt.subplots(1, len(archs), figsize=(5.2 * len(archs), 4), squeeze=False, layout="constrained")
    for ax, arch in zip(axes[0], archs):
        for entry in (r for r in data["regime_map"] if r["arch"] == arch):
            shift = 1.08 if entry["regime"] == "dataset" else 1 / 1.08  # side by side, not on top
            x = entry["eta_eps"] * shift
            ax.scatter(x, entry["N"], s=120, marker=REGIME_MARKER.get(entry["regime"], "o"),
                       color=STATUS_COLOR.get(entry["status"], "0.5"), edgecolor="k")
            below = entry["regime"] == "dataset"  # population labelled above the marker, dataset below
            ax.annotate(f"T*={entry['t_star']}/{entry['horizon']}\nx{entry['ratio']:.2f}", (x, entry["N"]),
                        textcoords="offset points", xytext=(0, -26 if below else 10), ha="center", fontsize=7)
        ax.set_xscale("log")
        ax.set_yscale("log", base=2)
        ax.margins(0.35)
        ax.set_xlabel(r"$\eta\,\epsilon$")
        ax.set_ylabel("width N")
        ax.set_title(f"{arch}: ODE vs simulation at the horizon", fontsize=10)
    handles = [plt.Line2D([], [], marker="o", ls="", color=c, markeredgecolor="k", label=s)
               for s, c in STATUS_COLOR.items()]
    handles += [plt.Line2D([], [], marker=m, ls="", color="w", markeredgecolor="k", label=r)
                for r, m in REGIME_MARKER.items()]
    fig.legend(handles=handles, fontsize=7, loc="outside right center")
    return save(fig, out_dir, "dynamics_regime_map")


def gradient_depth_figure(data: dict, out_dir: Path) -> list[str]:
    """||grad_{W_1}|| of the clean task against depth, before and after adversarial training, per architecture."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for entry in data["depths"]:
        color = STYLE[entry["arch"]]
        errorbar(ax, entry["before"], "L", "mean", fmt="o--", color=color, alpha=0.6,
                  label=f"{entry['arch']}: at initialisation")
        errorbar(ax, entry["after"], "L", "mean", fmt="o-", color=color, label=f"{entry['arch']}: after adv. training")
    ax.set_yscale("log")
    ax.set_xlabel("depth L")
    ax.set_ylabel(r"$\|\nabla_{W_1} \ell_{clean}\|_F$")
    ax.set_title("Trainability: clean-task gradient vs depth", fontsize=10)
    ax.legend(fontsize=8)
    return save(fig, out_dir, "dynamics_gradients")


def _context() -> dict:
    """The solving steps SymPy performs, as LaTeX: alpha, omega per architecture, the recursions, beta."""
    recursions = []
    for name, rec in RECURSIONS.items():
        recursions.append({
            "name": name, "recurrence": tex(rec.recurrence), "initial": tex(sp.Eq(q(0), rec.initial)),
            "solved": tex(sp.Eq(q(sp.Symbol("L")), rec.solve())), "stated": tex(rec.stated),
            "closed": tex(rec.closed_form()), "agrees": rec.agrees(),
            "per_arch": [{"arch": arch, "agrees": rec.agrees({omega: OMEGA[arch], alpha: ALPHA})}
                         for arch in ARCHITECTURES],
        })
    gains = [{"arch": arch, "gain": tex(layer_gain(arch)), "omega": tex(OMEGA[arch]),
              "equal": sp.simplify(layer_gain(arch) - OMEGA[arch]) == 0} for arch in ARCHITECTURES]
    betas = [{"pair": f"{tex(p)} \\to {tex(q_)}", "name": pair_name(p, q_), "chevet": tex(chevet(p, q_)),
              "beta": tex(beta_chevet(p, q_)), "leading": tex(beta_leading(p, q_)),
              "seed": tex(SEED_BETA[(p, q_)]) if (p, q_) in SEED_BETA else None} for p, q_ in PAIRS]
    return {"activation": tex(ACTIVATION), "slope": tex(SLOPE), "alpha": tex(ALPHA), "gains": gains,
            "recursions": recursions, "betas": betas, "layer": tex(l)}


def derivations(env: jinja2.Environment) -> str:
    """This paper's derivations block: alpha, omega per architecture, the recursions and beta_{p,q}."""
    return env.get_template("papers/meanfield.tex.j2").render(paper=PAPER, derivations=_context())


def theorem_figures(data: dict, out_dir: Path) -> list[str]:
    """The Theorem 4.1 figures: histograms, the depth sweep and the width sweep."""
    return [*histogram_figure(data, out_dir), *depth_figure(data, out_dir), *width_figure(data, out_dir)]


def map_figures(data: dict, out_dir: Path) -> list[str]:
    """The ODE's trajectories and its regime map."""
    files = trajectory_figure(data, out_dir) if data.get("trajectories") else []
    return files + (regime_map_figure(data, out_dir) if data.get("regime_map") else [])


FIGURES = {"meanfield.theorem4_1": theorem_figures, "meanfield.dynamics_map": map_figures,
           "meanfield.dynamics_depths": gradient_depth_figure}
