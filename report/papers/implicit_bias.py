"""Lyu & Zhu's report: the seed-003 figures (from results.json) and the derivations block (SymPy-printed)."""
from __future__ import annotations


import jinja2
import matplotlib.pyplot as plt
import sympy as sp

from report.bibliography import Reference
from report.figures import Figure
from report.latex import tex
from report.papers import PaperReport
from theory.papers.implicit_bias import PAPER
from theory.papers.implicit_bias.margins import (DUAL, FGM, FGSM, LIMIT_MARGIN_L2, MARGIN_DEFICIT_BOUND,
                                                 NORMALIZED_MARGIN, ROBUST_MARGIN, SMOOTHED_MARGIN, STEP_SCALE,
                                                 SOFT_THRESHOLD, homogeneity_residuals, kkt, problems)


def direction_figure(data: dict) -> plt.Figure:
    """1 - cos to the l2-SVM against steps: constant steps (adversarial vs clean) and normalised steps."""
    schedules = list(dict.fromkeys(c["schedule"] for c in data["curves"]))
    fig, axes = plt.subplots(1, len(schedules), figsize=(5.4 * len(schedules), 4), squeeze=False,
                             layout="constrained")
    for ax, schedule in zip(axes[0], schedules):
        for curve in (c for c in data["curves"] if c["schedule"] == schedule):
            label = f"L={curve['L']}, " + ("clean" if curve["eps_over_gamma"] == 0 else
                                          rf"$\epsilon$={curve['eps_over_gamma']:g}$\gamma$")
            line, = ax.plot(curve["steps"], curve["median"], marker="o", ms=3,
                            ls="--" if curve["eps_over_gamma"] == 0 else "-", label=label)
            ax.fill_between(curve["steps"], curve["low"], curve["high"], color=line.get_color(), alpha=0.15)
        if schedule == "normalized" and data.get("threshold"):
            ax.axhline(data["threshold"], color="k", lw=0.8, ls=":", label="claim threshold")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("step t")
        ax.set_ylabel(r"$1 - \cos(w_{\mathrm{prod}}, \bar u_2)$")
        ax.set_title(f"{schedule} steps", fontsize=10)
        ax.legend(fontsize=7)
    fig.suptitle(f"Deep linear nets (no activation), l2 attacks: direction error to the l2-SVM ({data['data']} data, "
                 f"n={data['n']}, d={data['d']}; median and range over {data['seeds']} seeds)", fontsize=10)
    return fig


def margin_figure(data: dict) -> plt.Figure:
    """The normalised adversarial margin of the relu^2 nets (solid) and its smoothed version (dashed, the one the
    monotonicity claim judges) against steps, per attack."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for curve in data["curves"]:
        line, = ax.plot(curve["steps"], curve["median"], "o-", ms=3, label=f"{curve['attack']}, eps={curve['eps']:g}")
        ax.fill_between(curve["steps"], curve["low"], curve["high"], color=line.get_color(), alpha=0.15)
        ax.plot(curve["steps"], curve["smoothed"]["median"], "--", color=line.get_color(),
                label=f"{curve['attack']}: smoothed")
    ax.set_xscale("log")
    ax.set_xlabel("step t (normalised steps)")
    ax.set_ylabel(r"$\min_i q_i / \|\theta\|^3$ (dashed: $-\log\sum_i e^{-q_i} / \|\theta\|^3$)")
    ax.set_title(f"two-layer relu$^2$ nets (m={data['width']}, {data['data']} data, n={data['n']}, d={data['d']}, "
                 rf"$\eta$={data['eta']:g}; {data['seeds']} seeds)", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def _context() -> dict:
    residuals = homogeneity_residuals()
    return {
        "robust": tex(ROBUST_MARGIN), "duals": [{"p": tex(p), "dual": tex(q)} for p, q in DUAL.items()],
        "limit": tex(LIMIT_MARGIN_L2), "deficit": tex(MARGIN_DEFICIT_BOUND), "step": tex(STEP_SCALE),
        "normalized": tex(NORMALIZED_MARGIN), "smoothed": tex(SMOOTHED_MARGIN),
        "fgsm": tex(FGSM), "fgm": tex(FGM),
        "soft": tex(SOFT_THRESHOLD),
        "problems": [{"name": name.replace("_", " "), "objective": tex(p["objective"]),
                      "constraint": tex(p["constraint"])} for name, p in problems().items()],
        "kkt": [tex(c) for c in kkt().values()],
        "residuals": [{"name": name.replace("_", " "), "zero": sp.simplify(r) == 0} for name, r in residuals.items()],
    }


def derivations(env: jinja2.Environment) -> str:
    return env.get_template("papers/implicit_bias.tex.j2").render(paper=PAPER, derivations=_context())


def _direction_caption(data: dict) -> str:
    depths = sorted({c["L"] for c in data["curves"]})
    ratios = sorted({c["eps_over_gamma"] for c in data["curves"]})
    return (r"Deep linear networks (no activation) trained with $\ell_2$ attacks: $1-\cos$ between the product of "
            r"the layers and the $\ell_2$-SVM direction against the step, for constant and normalised steps "
            f"(median and range over {data['seeds']} seeds; depths {', '.join(map(str, depths))}; "
            rf"$\epsilon/\gamma \in \{{{', '.join(f'{r:g}' for r in ratios)}\}}$, 0 being clean training; "
            f"{data['data']} data, $n={data['n']}$, $d={data['d']}$). Drawn from the runs the deep-linear verdicts "
            "judge.")


def _margin_caption(data: dict) -> str:
    attacks = ", ".join(f"{c['attack']} at $\\epsilon={c['eps']:g}$" for c in data["curves"])
    return (r"Two-layer $\mathrm{relu}^2$ networks (width $m=" + str(data["width"]) + r"$): the normalised "
            r"adversarial margin (solid) and its smoothed version (dashed, the one the monotonicity claim judges) "
            f"against the step ({attacks}; {data['data']} data, $n={data['n']}$, $d={data['d']}$, "
            f"$\\eta={data['eta']:g}$; median and range over {data['seeds']} seeds). Drawn from the runs the "
            "homogeneous-network verdicts judge.")


LYU_ZHU = Reference("lyu2022", ("Bochen Lyu", "Zhanxing Zhu"), "Implicit Bias of Adversarial Training for Deep Neural "
                    "Networks", 2022, "International Conference on Learning Representations (ICLR)",
                    note="OpenReview l8It-0lE5e7")
JI_TELGARSKY = Reference("ji2019", ("Ziwei Ji", "Matus Telgarsky"), "Gradient Descent Aligns the Layers of Deep "
                         "Linear Networks", 2019, "International Conference on Learning Representations (ICLR)",
                         eprint="1810.02032")
LYU_LI = Reference("lyu2020", ("Kaifeng Lyu", "Jian Li"), "Gradient Descent Maximizes the Margin of Homogeneous "
                   "Neural Networks", 2020, "International Conference on Learning Representations (ICLR)",
                   eprint="1906.05890")

SOURCE = (r"Only the abstract of this paper is available to the project. Claims that quote it are marked "
          r"\emph{stated}; the exact theorem forms are \emph{reconstructed} from the results it extends (Ji and "
          r"Telgarsky~\cite{ji2019} for deep linear networks, Lyu and Li~\cite{lyu2020} for homogeneous networks), "
          r"and what the project works out is \emph{derived}.")

REPORT = PaperReport(
    paper="implicit_bias", citation=LYU_ZHU, source=SOURCE, derivations=derivations,
    references=(JI_TELGARSKY, LYU_LI),
    figures=(Figure("implicit_bias_direction", "implicit_bias.direction", direction_figure, _direction_caption,
                    ("implicit_bias.dln.*",)),
             Figure("implicit_bias_margins", "implicit_bias.margins", margin_figure, _margin_caption,
                    ("implicit_bias.hom.margin_monotone",))))
