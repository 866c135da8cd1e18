"""The mean-field paper's report: its figures (drawers keyed by its probes' names) and its derivations block.

Every number a figure shows comes from results.json (``numerics.papers.meanfield.figures`` computed it); every
formula in the derivations is printed by SymPy from ``theory.papers.meanfield``.
"""
from __future__ import annotations

import functools
import math

import jinja2
import matplotlib.pyplot as plt
import sympy as sp

from report.bibliography import Reference
from report.figures import Figure, errorbar
from report.papers import PaperReport
from report.latex import prose, tex
from theory.papers.meanfield import PAPER
from theory.papers.meanfield.network import ACTIVATION, ALPHA, ARCHITECTURES, OMEGA, SLOPE
from theory.papers.meanfield.norms import PAIRS, SEED_BETA, beta_chevet, beta_leading, chevet, pair_name
from theory.papers.meanfield.recursions import RECURSIONS, layer_gain, q
from theory.symbols import alpha, l, omega

STYLE = {"vanilla": "tab:blue", "residual": "tab:orange"}


ACTIVATIONS = {(1.0, 0.0): "ReLU", (1.0, 1.0): "linear"}


def activation(spec: dict) -> str:
    """The activation phi(z) = u z (z >= 0), v z (z < 0) by name."""
    known = ACTIVATIONS.get((float(spec["u"]), float(spec["v"])))
    return known or (f"leaky ReLU (slope {spec['v']:g})" if spec["u"] == 1 else f"u={spec['u']:g}, v={spec['v']:g}")


def network(spec: dict, omit: tuple[str, ...] = (), names: dict | None = None) -> str:
    """A network's configuration in one line: architecture, activation, variances and sizes (the variances
    spelled sigma_w2, sigma_b2 unless ``names`` renames them)."""
    shown = [("arch", spec["arch"]), ("act", activation(spec)), ("sigma_w2", f"{spec['sigma_w2']:g}"),
             ("sigma_b2", f"{spec['sigma_b2']:g}"), *((k, spec[k]) for k in ("d", "K", "N", "L"))]
    return ", ".join(str(v) if k in ("arch", "act") else f"{(names or {}).get(k, k)}={v}" for k, v in shown
                     if k not in omit)


def title(spec: dict, omit: tuple[str, ...] = ()) -> str:
    """``network`` for a matplotlib title (the variances in mathtext)."""
    return network(spec, omit, {"sigma_w2": r"$\sigma_w^2$", "sigma_b2": r"$\sigma_b^2$"})


def caption_network(spec: dict, omit: tuple[str, ...] = ()) -> str:
    """``network`` for a LaTeX caption (symbols as mathematics)."""
    return prose(network(spec, omit))


def _normal_density(x: float) -> float:
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def histogram_figure(data: dict) -> plt.Figure:
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
    fig.suptitle("Theorem 4.1: entries of J and a, standardized by the predicted variance\n"
                 + "; ".join(f"{arch}: {title(data[arch]['histograms']['spec'])}" for arch in archs), fontsize=9)
    return fig


def depth_figure(data: dict) -> plt.Figure:
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
    ax.set_title(f"E||J||, 2->2, vs depth: {title(spec, omit=('arch', 'L'))}", fontsize=8)
    ax.legend(fontsize=8)
    return fig


def width_figure(data: dict) -> plt.Figure:
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
    ax.set_title(f"Var J vs width: {title(spec, omit=('arch', 'N'))}", fontsize=8)
    ax.legend(fontsize=8)
    return fig


STATUS_COLOR = {"HOLDS": "tab:green", "INCONCLUSIVE": "tab:olive", "VIOLATED": "tab:red"}
REGIME_MARKER = {"population": "o", "dataset": "s"}


def trajectory_figure(data: dict) -> plt.Figure:
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
            ax.set_title(f"{regime} (dashed: ODE); {title(entries[0]['spec'], omit=('N',))}", fontsize=8)
            ax.legend(fontsize=7)
    return fig


def regime_map_figure(data: dict) -> plt.Figure:
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
        spec = next((t["spec"] for t in data.get("trajectories", []) if t["arch"] == arch), None)
        ax.set_title(f"{arch}: ODE vs simulation at the horizon"
                     + (f"\n{title(spec, omit=('arch', 'N'))}" if spec else ""), fontsize=9)
    handles = [plt.Line2D([], [], marker="o", ls="", color=c, markeredgecolor="k", label=s)
               for s, c in STATUS_COLOR.items()]
    handles += [plt.Line2D([], [], marker=m, ls="", color="w", markeredgecolor="k", label=r)
                for r, m in REGIME_MARKER.items()]
    fig.legend(handles=handles, fontsize=7, loc="outside right center")
    return fig


def gradient_depth_figure(data: dict) -> plt.Figure:
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
    spec = data["depths"][0]["spec"]
    ax.set_title(f"Clean-task gradient vs depth: {title(spec, omit=('arch', 'L', 'sigma_w2'))}", fontsize=8)
    ax.legend(fontsize=8)
    return fig


def _pair_label(pair: str) -> str:
    p, q = (r"\infty" if r == "oo" else r for r in pair.split("_"))
    return rf"${p}\to {q}$"


def tightness_figure(data: dict) -> plt.Figure:
    """Theorem 5.1's tightness per pair: PGD / bound with its interval (left) and the step-1 certificate ratio,
    largest over the networks with the median-to-smallest range (right), per architecture."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    for ax, key, label in ((axes[0], "bound", r"PGD / $\epsilon\,\beta_{p,q}\sqrt{\omega^L}$"),
                           (axes[1], "certificate", r"PGD / $\epsilon\max_k\|J(x_k)\|_{p\to q}$")):
        rows = data.get(key, [])
        pairs = list(dict.fromkeys(r["pair"] for r in rows))
        for shift, arch in zip((-0.12, 0.12), ARCHITECTURES):
            mine = [r for r in rows if r["arch"] == arch]
            x = [pairs.index(r["pair"]) + shift for r in mine]
            if key == "bound":
                errorbar(ax, [{**r, "x": xi} for r, xi in zip(mine, x)], "x", "ratio", fmt="o", color=STYLE[arch],
                         label=arch)
            else:
                ax.vlines(x, [r["min"] for r in mine], [r["median"] for r in mine], color=STYLE[arch], alpha=0.5)
                ax.plot(x, [r["max"] for r in mine], "v", color=STYLE[arch], label=f"{arch}: largest")
        if key == "bound" and rows:
            ax.axhspan(1.0, 1.0 + rows[0]["tolerance"], color="0.88", label=f"tolerance {rows[0]['tolerance']:.3g}")
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_xticks(range(len(pairs)), [_pair_label(p) for p in pairs])
        ax.set_ylabel(label)
        ax.legend(fontsize=7)
    spec = (data.get("bound") or data["certificate"])[0]["spec"]
    axes[0].set_title("Theorem 5.1: mean PGD loss over the bound", fontsize=9)
    axes[1].set_title("first step: PGD over the local bound on its segment", fontsize=9)
    fig.suptitle(title(spec, omit=("arch",)), fontsize=8)
    return fig


def _ladder_figure(rows: list[dict], label, ylabel: str) -> plt.Figure:
    """Limit verdicts per architecture: each rung's ratio against 1/N with its interval, the fitted
    r_inf + c N^-gamma, and r_inf with its interval at 1/N = 0, inside the margin's band."""
    fig, axes = plt.subplots(1, len(ARCHITECTURES), figsize=(11, 4), layout="constrained", sharey=True)
    colours = plt.get_cmap("tab10")
    for ax, arch in zip(axes, ARCHITECTURES):
        mine = [r for r in rows if r["arch"] == arch]
        for index, row in enumerate(mine):
            colour, x = colours(index), [1.0 / n for n in row["widths"]]
            ax.errorbar(x, row["ratios"], yerr=[3.29 * s for s in row["ses"]], fmt="o", ms=3, capsize=2,
                        color=colour, label=label(row))
            grid = [i * max(x) / 50 for i in range(51)]
            ax.plot(grid, [row["limit"] + row["c"] * g ** row["gamma"] for g in grid], color=colour, lw=0.8)
            ax.errorbar([0.0], [row["limit"]], yerr=[[row["limit"] - row["ci_low"]], [row["ci_high"] - row["limit"]]],
                        fmt="s", ms=4, capsize=3, color=colour)
        if mine:
            ax.axhspan(1 - mine[0]["margin"], 1 + mine[0]["margin"], color="0.88", label="margin")
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_xlabel("1/N")
        ax.set_title(arch if mine else f"{arch}: not in this run", fontsize=9)
        if mine:  # an architecture left out (--only) has nothing to label
            ax.legend(fontsize=6, ncol=2)
    axes[0].set_ylabel(ylabel)
    return fig


def _pair_ladder_figure(rows: list[dict], ylabel: str) -> plt.Figure:
    """A Theorem 5.1 limit family, one series per (p, q), titled by its network."""
    fig = _ladder_figure(rows, lambda row: _pair_label(row["label"]), ylabel)
    fig.suptitle(title(rows[0]["spec"], omit=("arch", "N")), fontsize=8)
    return fig


def limits_figure(data: dict) -> plt.Figure:
    """Theorem 5.1's corollary in the limit, one series per (p, q)."""
    return _pair_ladder_figure(data["limits"], r"$\mathbb{E}\|J(x_0)\|_{p\to q} / (\sqrt{\omega^L/d}\,"
                                               r"\mathbb{E}\|G\|_{p\to q})$")


def bound_limits_figure(data: dict) -> plt.Figure:
    """Theorem 5.1's bound in the limit, one series per (p, q)."""
    return _pair_ladder_figure(data["bound_limits"],
                               r"$\mathbb{E} L_{adv}^{PGD}(x_0) / (\epsilon \beta_{p,q} \sqrt{\omega^L})$")


def theorem41_limits_figure(data: dict) -> plt.Figure:
    """Theorem 4.1's limit twins, one series per claim (at the configuration that speaks for its verdict)."""
    fig = _ladder_figure(data["theorem4_1"], lambda row: f"{row['label']} ({activation(row['spec'])})",
                         "measured / theory")
    fig.suptitle("Theorem 4.1 in the limit N \u2192 \u221e", fontsize=8)
    return fig


_LADDER_LEGEND = (r"Dots: each rung's ratio (its own networks) with a $\pm 3.29$ standard-error bar; lines: the "
                  r"weighted fit $r_\infty + c\,N^{-\gamma}$ ($\gamma = %g$ stated); squares at $1/N = 0$: "
                  r"$r_\infty$ with the interval the verdict is judged on, against the margin $1 \pm %g$ (shaded).")


def _pair_ladder_caption(rows: list[dict], lead: str) -> str:
    """A Theorem 5.1 limit family's caption: ``lead``, its network, and how to read the ladder."""
    return (lead + caption_network(rows[0]["spec"], omit=("arch", "N")) + ". "
            + _LADDER_LEGEND % (rows[0]["gamma"], rows[0]["margin"]))


def _limits_caption(data: dict) -> str:
    return _pair_ladder_caption(data["limits"], r"Theorem~5.1's network-level corollary in the limit $N\to\infty$, at ")


def _bound_limits_caption(data: dict) -> str:
    return _pair_ladder_caption(data["bound_limits"],
                                r"Theorem~5.1's bound in the limit $N\to\infty$: PGD's mean loss at $x_0$ over "
                                r"$\epsilon\beta_{p,q}\sqrt{\omega^L}$ on every rung (an upper bound: HOLDS when "
                                r"$r_\infty$'s interval lies below the margin's top), at ")


def _theorem41_limits_caption(data: dict) -> str:
    rows = data["theorem4_1"]
    configurations = dict.fromkeys(caption_network(row["spec"], omit=("arch", "N")) for row in rows)
    return (r"Theorem~4.1's variances and kurtoses in the limit $N\to\infty$, each at the configuration that "
            r"speaks for its verdict (its activation in the legend): " + "; ".join(configurations) + ". "
            + _LADDER_LEGEND % (rows[0]["gamma"], rows[0]["margin"]))


def _tightness_caption(data: dict) -> str:
    bound, certificate = data.get("bound", []), data.get("certificate", [])
    spec = (bound or certificate)[0]["spec"]
    parts = [r"Theorem~5.1's tightness at " + caption_network(spec, omit=("arch",)) + "."]
    if bound:
        parts.append(r"Left: the mean PGD loss at $x_0$ over the bound $\epsilon\,\beta_{p,q}\sqrt{\omega^L}$, "
                     r"$\beta_{p,q} = \mathbb{E}\|G\|_{p\to q}/\sqrt{d}$, with its interval at level $1-\delta$ "
                     f"({bound[0]['networks']} networks per point; shaded: the finite-width tolerance the verdicts "
                     "use).")
    if certificate:
        parts.append(r"Right: PGD's $\|f(x_0+\eta^*)-f(x_0)\|_q$ over $\epsilon\max_k\|J(x_k)\|_{p\to q}$, "
                     r"the largest Jacobian on the linear pieces of the segment to $\eta^*$ (triangles: the largest "
                     f"over {certificate[0]['networks']} networks, a certificate when at most 1; lines: median to "
                     "smallest).")
    return " ".join(parts)


@functools.cache  # a pure function of the theory's constants that takes seconds of SymPy: once a process
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
            "recursions": recursions, "betas": betas, "layer": tex(l), "bias_map": _bias_map()}


def _bias_map() -> dict:
    """The infinite-width map of the bias part m of h (``residual_bias``): its abbreviations, one step per
    architecture, the cross term the stated recursion drops, and the start."""
    from theory.papers.meanfield import residual_bias as rb

    def primed(symbol: sp.Symbol) -> str:
        return tex(symbol) + "'"

    abbreviations = [tex(sp.Eq(symbol, value)) for symbol, value in rb.abbreviations().items()
                     if symbol not in (alpha, rb.GAIN)]
    abbreviations.append(tex(sp.Eq(rb.GAIN, sp.Symbol(r"\mathbb{E}[\phi'(Z) Z]"))) + " = "
                         + tex(rb.slope_moment(1, 1)))
    steps = [{"arch": arch, "rows": [f"{primed(symbol)} = {tex(value)}" for symbol, value in
                                     rb.displayed_step(arch).items()],
              "cross": tex(rb.cross_term(arch)), "function": tex(rb.bias_variance(arch))} for arch in ARCHITECTURES]
    return {"abbreviations": abbreviations, "steps": steps, "state": ", ".join(tex(x) for x in rb.STATE),
            "initial": ", ".join(tex(sp.Eq(symbol, value)) for symbol, value in rb.INITIAL.items()),
            "q_x": tex(rb.q_x)}


def derivations(env: jinja2.Environment) -> str:
    """This paper's derivations block: alpha, omega per architecture, the recursions and beta_{p,q}."""
    return env.get_template("papers/meanfield.tex.j2").render(paper=PAPER, derivations=_context())




def _histogram_caption(data: dict) -> str:
    archs = "; ".join(f"{arch}: {caption_network(entry['histograms']['spec'])}, {entry['histograms']['J']['n']:,} "
                      "entries of $J$" for arch, entry in data.items())
    return (r"Theorem~4.1: entries of $J$ and $a$ at a fixed input, standardized by the predicted variance, against "
            rf"the $\mathcal{{N}}(0,1)$ density ({archs}). Drawn at the configuration of the last Theorem~4.1 "
            "verdict of each architecture.")


def _depth_caption(data: dict) -> str:
    spec = next(iter(data.values()))["depth"]["spec"]
    depths = ", ".join(str(r["L"]) for r in next(iter(data.values()))["depth"]["rows"])
    return (r"$\mathbb{E}\,\|J(x)\|_{2\to2}$ against depth $L \in \{" + depths + r"\}$, measured (interval at "
            r"level $1-\delta$) and the mean-field value $\sqrt{\omega^L/d}\,\mathbb{E}\|G\|_{2\to2}$, for "
            f"{' and '.join(data)} networks ({caption_network(spec, omit=('arch', 'L'))}). The Theorem~5.1 verdicts "
            r"are judged at the sizes of the profile's network-norm section instead, where the $(\infty,\cdot)$ "
            "norms can be computed exactly; this sweep uses the figure section's sizes.")


def _width_caption(data: dict) -> str:
    entry = next(iter(data.values()))["width"]
    widths = ", ".join(str(r["N"]) for r in entry["rows"])
    return (r"$\mathrm{Var}\,J_{ij}$ measured over the mean-field $\omega^L/d$ against the width $N \in \{"
            + widths + r"\}$, with the finite-width band $1 \pm " + entry["tolerance"] + "$ the Theorem~4.1 "
            f"verdicts are judged against ({caption_network(entry['spec'], omit=('arch', 'N'))}).")


def _trajectory_caption(data: dict) -> str:
    first = data["trajectories"][0]
    runs = sorted({(t["N"], t["eta"] * t["eps"]) for t in data["trajectories"]})
    grid = "; ".join(f"$N={n}$, $\\eta\\epsilon={x:g}$" for n, x in runs)
    return (r"$\sigma_w^2 - \sigma^2(t)$ during adversarial training, measured (band: interval at level "
            r"$1-\delta$) and predicted by the ODE (dashed), per architecture and regime, for "
            f"{len(data['trajectories'])} runs ({grid}; {caption_network(first['spec'], omit=('arch', 'N'))}, "
            f"$\\epsilon={first['eps']:g}$, {first['steps']} steps). These are the runs the ODE verdicts judge.")


def _map_caption(data: dict) -> str:
    return (r"Where the ODE held: each configuration of the ODE verdicts at its $(\eta\epsilon, N)$, coloured by "
            r"its verdict and labelled with the last step $T^*$ inside the band over the horizon, and the "
            f"measured/predicted ratio there ({len(data['regime_map'])} configurations, both regimes).")


def _gradient_caption(data: dict) -> str:
    spec = data["depths"][0]["spec"]
    variances = ", ".join(f"{e['arch']}: $\\sigma_w^2={e['spec']['sigma_w2']:g}$" for e in data["depths"])
    return (r"$\|\nabla_{W_1}\ell_{\mathrm{clean}}\|_F$ against depth, at initialisation and after adversarial "
            f"training (interval at level $1-\\delta$), on the random-teacher regression task, from the runs the "
            f"trainability proxies judge "
            f"({variances}; {caption_network(spec, omit=('arch', 'L', 'sigma_w2'))}).")


def _when(key: str, draw):
    """``draw`` when the probe's data has ``key`` (a run of only some dynamics claims has only some of it)."""
    return lambda data: draw(data) if data.get(key) else None


KUMANO = Reference("kumano2023", ("Soichiro Kumano", "Hiroshi Kera", "Toshihiko Yamasaki"),
                   "Adversarial Training from Mean Field Perspective", 2023,
                   "Advances in Neural Information Processing Systems (NeurIPS)", eprint="2505.14021")
CHEVET = Reference("chevet1978", ("Simone Chevet",), "S\\'eries de variables al\\'eatoires gaussiennes "
                   "\\`a valeurs dans $E \\hat\\otimes_\\varepsilon F$. Application aux produits "
                   "d'espaces de Wiener abstraits", 1978,
                   "S\\'eminaire sur la g\\'eom\\'etrie des espaces de Banach")
HANIN_NICA = Reference("hanin2019", ("Boris Hanin", "Mihai Nica"),
                       "Products of Many Large Random Matrices and Gradients in Deep Neural Networks", 2019,
                       eprint="1812.05994", note="Communications in Mathematical Physics 376 (2020)")

SOURCE = (r"The full text is not available to the project: the claims rest on its abstract, the first paragraphs of "
          r"its introduction and summaries of it (marked \emph{stated} or \emph{seed}); the training-dynamics "
          r"ODEs, Chevet's bound~\cite{chevet1978} and the concentration tails are \emph{derived} here; Section 6's "
          r"sentences on trainability and capacity, and on width alleviating them, are judged through the "
          r"project's \emph{proxy} measures, each named in its claim's source (the paper's definitions are not "
          r"available). The "
          r"finite-width tolerance $\sqrt{L/N}$ follows the log-normal fluctuations of products of random "
          r"matrices~\cite{hanin2019}; it is not the paper's.")

REPORT = PaperReport(
    paper="meanfield", citation=KUMANO, source=SOURCE, derivations=derivations, references=(CHEVET, HANIN_NICA),
    figures=(
        Figure("hist_entries", "meanfield.theorem4_1", histogram_figure, _histogram_caption,
               ("meanfield.thm4_1.jacobian_gaussian.*", "meanfield.thm4_1.bias_gaussian.*")),
        Figure("depth_bound", "meanfield.theorem4_1", depth_figure, _depth_caption, ("meanfield.thm5_1.2_2.*",)),
        Figure("width_convergence", "meanfield.theorem4_1", width_figure, _width_caption,
               ("meanfield.thm4_1.jacobian_variance.*",)),
        Figure("dynamics_trajectories", "meanfield.dynamics_map", _when("trajectories", trajectory_figure),
               _trajectory_caption, ("meanfield.dyn.ode.*",)),
        Figure("dynamics_regime_map", "meanfield.dynamics_map", _when("regime_map", regime_map_figure), _map_caption,
               ("meanfield.dyn.ode.*",)),
        Figure("dynamics_gradients", "meanfield.dynamics_depths", gradient_depth_figure, _gradient_caption,
               ("meanfield.dyn.trainability.*",)),
        Figure("bound_tightness", "meanfield.tightness", tightness_figure, _tightness_caption,
               ("meanfield.thm5_1.bound.*", "meanfield.thm5_1.step1.*")),
        Figure("width_limits", "meanfield.limits", _when("limits", limits_figure), _limits_caption,
               tuple(f"meanfield.thm5_1.{pair_name(p, q)}.*" for p, q in PAIRS)),
        Figure("bound_limits", "meanfield.limits", _when("bound_limits", bound_limits_figure), _bound_limits_caption,
               ("meanfield.thm5_1.bound.*.limit.*",)),
        Figure("theorem4_1_limits", "meanfield.limits", _when("theorem4_1", theorem41_limits_figure),
               _theorem41_limits_caption, ("meanfield.thm4_1.*.limit.*",)),
    ))
