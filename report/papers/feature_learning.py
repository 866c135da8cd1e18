"""Li & Li's report: the seed-002 figures (from results.json) and the derivations block (SymPy-printed)."""
from __future__ import annotations

import jinja2
import matplotlib.pyplot as plt
import numpy as np
import sympy as sp

from report.bibliography import Reference
from report.figures import Figure, draw_band
from report.latex import tex
from report.papers import PaperReport
from theory.papers.feature_learning import PAPER
from theory.papers.feature_learning.model import (BLOWUP, COPIES, DIMENSION, GROWTH, L2_NONROBUST_COST,
                                                  L2_ROBUST_COST, MARGINS, ODE, PLANTING_SHOWN, RATIO_LATEX, RATIOS,
                                                  RECURSION_A, RECURSION_B, ROBUST_LIMIT, SMOOTH_RELU, STRENGTHS,
                                                  THRESHOLDS, TRAJECTORY, UNEQUAL_THRESHOLD, copies, l2_impossible,
                                                  strength)

STYLE = {"u": "-", "v": "--"}


def _configuration(data: dict) -> str:
    return (f"k={data['k']}, D={data['D']}, P={data['P']}, m={data['m']}, q={data['q']}, alpha={data['alpha']:g}, "
            f"beta={data['beta']:g}, eps={data['eps']:g}; median and range over {data['seeds']} seeds")


def coefficients_figure(data: dict) -> plt.Figure:
    """Gamma^u and Gamma^v against the step, ST (left) and AT (right)."""
    fig, axes = plt.subplots(1, 2, figsize=(10.8, 4), sharey=True, layout="constrained")
    steps = np.asarray(data["step"])
    for ax, name, title in zip(axes, ("st", "at"), ("standard training", "one-step adversarial training")):
        for feature, label in (("u", r"$\Gamma^u$ (robust)"), ("v", r"$\Gamma^v$ (non-robust)")):
            draw_band(ax, steps, data["curves"][name][feature], label, ls=STYLE[feature])
        ax.set(xlabel="GD step", yscale="log", title=title)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("class mean of the best neuron's correlation")
    fig.suptitle("Feature learning, " + _configuration(data), fontsize=9)
    return fig


def radius_figure(data: dict) -> plt.Figure:
    """Robust accuracy against the radius: the strong evaluation and AT's own one-step attack."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    radii = np.asarray(data["radii"])
    for name, label in (("st", "ST"), ("at", "AT")):
        line = draw_band(ax, radii, data["curves"][name]["strong"], f"{label}, strong attacks", marker="o", ms=3)
        draw_band(ax, radii, data["curves"][name]["training"], f"{label}, one-step training attack", ls=":",
              color=line.get_color())
    ax.axvline(data["threshold"], color="k", lw=0.8, ls="--", label=r"$\beta/\sqrt{D}$")
    ax.axvline(data["robust_limit"], color="grey", lw=0.8, ls="-.", label=r"$\alpha/2$")
    ax.axvline(data["eps"], color="tab:red", lw=0.6, label=r"training $\varepsilon$")
    ax.set(xlabel=r"$\ell_\infty$ radius", ylabel="robust accuracy")
    ax.set_title(f"PGD {data['pgd_steps']} steps x {data['pgd_restarts']} restarts + closed forms + competitor "
                 f"neurons, {data['n_test']} test points\n" + _configuration(data), fontsize=8)
    ax.legend(fontsize=7)
    return fig


def _context() -> dict:
    shown = {**RATIOS, "planting": PLANTING_SHOWN}
    margins = [{"name": RATIO_LATEX[name], "ratio": tex(shown[name]),
                "margin": tex(relation.func(sp.Symbol(RATIO_LATEX[name]), relation.rhs))}
               for name, relation in MARGINS.items()]
    return {
        "activation": tex(SMOOTH_RELU), "dimension": tex(DIMENSION), "margins": margins,
        "growth": tex(GROWTH), "strength_v": tex(STRENGTHS["nonrobust"]), "strength_u": tex(STRENGTHS["robust"]),
        "strength": tex(strength), "ode": tex(ODE), "trajectory": tex(TRAJECTORY), "blowup": tex(BLOWUP),
        "recursion_b": tex(RECURSION_B.subs(copies, COPIES["model"])),
        "recursion_a": tex(RECURSION_A), "threshold": tex(THRESHOLDS["nonrobust"]),
        "unequal": tex(UNEQUAL_THRESHOLD), "robust_limit": tex(ROBUST_LIMIT),
        "twins": ", ".join(f"${tex(THRESHOLDS[name])}$" for name in ("l2_patch", "dense")),
        "l2_nonrobust": tex(L2_NONROBUST_COST), "l2_robust": tex(L2_ROBUST_COST), "l2_gap": tex(l2_impossible()),
    }


def derivations(env: jinja2.Environment) -> str:
    return env.get_template("papers/feature_learning.tex.j2").render(paper=PAPER, derivations=_context())


def _sizes(data: dict) -> str:
    return (rf"$k={data['k']}$, $D={data['D']}$, $P={data['P']}$, $m={data['m']}$, $q={data['q']}$, "
            rf"$\alpha={data['alpha']:g}$, $\beta={data['beta']:g}$, training radius $\varepsilon={data['eps']:g}$, "
            rf"$\eta={data['eta']:g}$, $T={data['steps']}$; median and range over {data['seeds']} seeds")


def _coefficients_caption(data: dict) -> str:
    return (r"The feature coefficients $\Gamma^u$ (robust) and $\Gamma^v$ (non-robust), the class mean of the best "
            r"neuron's correlation with its class's feature, against the gradient-descent step, for standard and "
            r"one-step adversarial training from the same initialisation on the same data (reconstructed model "
            r"R-inf, smoothed ReLU, " + _sizes(data) + "). Drawn from the run the ST and AT verdicts judge.")


def _radius_caption(data: dict) -> str:
    return (r"Robust accuracy of the trained networks against the $\ell_\infty$ radius, under the strong evaluation "
            rf"(closed-form feature and planting attacks, competitor-neuron sign attacks and PGD with "
            rf"{data['pgd_steps']} steps and {data['pgd_restarts']} restarts, each example's worst) and under AT's "
            rf"own one-step attack, on {data['n_test']} test points per seed, with the predicted thresholds "
            r"$\beta/\sqrt D$ and $\alpha/2$ "
            "(R-inf, " + _sizes(data) + "). Drawn from the run the robustness verdicts judge.")


LI_LI = Reference("li2025", ("Binghui Li", "Yuanzhi Li"),
                  "Adversarial Training Can Provably Improve Robustness: Theoretical Analysis of Feature Learning "
                  "Process Under Structured Data", 2025, "International Conference on Learning Representations (ICLR)",
                  eprint="2410.08503", note="OpenReview inLUnCpDIB")

SOURCE = (r"Only the abstract of this paper is available to the project. Its sentences are checked in the shape "
          r"the feature-learning framework gives such theorems, on a \emph{reconstructed} model R-inf: $k$ "
          r"classes, $P$ patches in $\mathbb R^{k+D}$, a sparse robust feature $u_y = e_y$ of size $\alpha$ in one "
          r"patch and a dense non-robust feature $v_y$ (a Hadamard row over the $D$ dense coordinates) of size "
          r"$\beta$ in every patch; the two-layer smoothed-ReLU CNN $F_j(X) = \sum_{r\le m}\sum_{p\le P} "
          r"\widetilde{\mathrm{ReLU}}(\langle w_{j,r}, x_p\rangle)$; full-batch gradient descent on the "
          r"cross-entropy, standard or with one step of sign ascent at radius $\varepsilon$ ($\ell_\infty$). The "
          r"phase order, the recursion and the thresholds are \emph{derived}. A verdict is on R-inf at the stated "
          r"configuration, not on the paper.")

REPORT = PaperReport(
    paper="feature_learning", citation=LI_LI, source=SOURCE, derivations=derivations,
    figures=(Figure("feature_learning_coefficients", "feature_learning.coefficients", coefficients_figure,
                    _coefficients_caption, ("feature_learning.st.nonrobust_features", "feature_learning.at.*features",
                                            "feature_learning.phase.*")),
             Figure("feature_learning_radius", "feature_learning.radius", radius_figure, _radius_caption,
                    ("feature_learning.st.not_robust", "feature_learning.st.threshold", "feature_learning.at.robust_*"))))
