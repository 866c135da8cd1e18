"""Gao et al.'s report: the seed-004 figures (from results.json) and the derivations block (SymPy-printed)."""
from __future__ import annotations

import functools

import jinja2
import matplotlib.pyplot as plt
import numpy as np

from report.bibliography import Reference
from report.figures import Figure, draw_band
from report.latex import tex
from report.papers import PaperReport
from theory.papers.ntk_convergence import PAPER
from theory.papers.ntk_convergence.bounds import (AVERAGE_REGRET_RATE, EXPONENTIAL_WIDTH, FORCING_RADIUS, G,
                                                  GRADIENT_BOUND, LINEARISATION_BOUND, PARAMETERS, REGRET_BOUND,
                                                  RELATIVE_MOVEMENT, STEPS_NEEDED, SURROGATE_BOUND, THEOREM_STEP,
                                                  VC_LOWER, WIDTH_NEEDED, aligned_ratio, derivative_bounds,
                                                  loss_lipschitz, width_exponent, x_norm)


#: every seed-004 curve marks its points
MARKED = {"marker": "o", "ms": 3}


def width_figure(data: dict) -> plt.Figure:
    """Left: the aligned linearisation error and D1's bound against m, with the m^{-1/2} reference line; right: the
    theorem's gap min_t L_A - L̂* and its accuracy eps(m) against m."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.8, 4), layout="constrained")
    widths = np.asarray(data["widths"], dtype=float)
    for curve in data["errors"]:
        line = draw_band(left, widths, curve["error"], f"error, R={curve['R']:g}", **MARKED)
        left.plot(widths, curve["bound"], "--", color=line.get_color(), label=f"bound, R={curve['R']:g}")
    anchor = data["errors"][-1]["bound"][0]
    left.plot(widths, anchor * (widths / widths[0]) ** -0.5, "k:", lw=0.8, label=r"slope $-1/2$")
    left.set(xscale="log", yscale="log", xlabel="width m", ylabel="linearisation error at unit inputs")
    left.legend(fontsize=7)
    training = np.asarray(data["training_widths"], dtype=float)
    for curve in data["attacks"]:
        line = draw_band(right, training, curve["accuracy"], rf"$\epsilon(m)$, {curve['attack']}", ls="--",
                         **MARKED)
        gap = np.maximum(np.asarray(curve["gap"]["median"]), 1e-6)
        right.plot(training, gap, "o-", ms=3, color=line.get_color(), label=f"gap, {curve['attack']} (floor 1e-6)")
    right.set(xscale="log", yscale="log", xlabel="width m", ylabel=r"$\min_t L_A - \hat L^*$ and its bound")
    right.legend(fontsize=7)
    fig.suptitle(f"Near-linearity and the theorem's gap (softplus, R={data['radius']:g}, delta={data['delta']:g}, "
                 f"T={data['steps']}; median and range over {data['seeds']} seeds)", fontsize=10)
    return fig


def regret_figure(data: dict) -> plt.Figure:
    """The linearised model's average regret against T, with the rate R G / sqrt(T)."""
    fig, ax = plt.subplots(figsize=(5.6, 4))
    horizons = np.asarray(data["horizons"], dtype=float)
    draw_band(ax, horizons, data["average"], "average regret", **MARKED)
    ax.plot(horizons, data["rate"], "k--", label=r"$RG/\sqrt{T}$")
    ax.set(xscale="log", yscale="log", xlabel="horizon T", ylabel="average regret")
    ax.set_title(f"Linearised OGD, softplus (m={data['width']}, R={data['radius']:g}, {data['seeds']} seeds)",
                 fontsize=9)
    ax.legend(fontsize=8)
    return fig


def lazy_figure(data: dict) -> plt.Figure:
    """Distance moved from W_0 against m: Frobenius (flat) and relative (slope -1/2)."""
    fig, ax = plt.subplots(figsize=(5.6, 4))
    widths = np.asarray(data["widths"], dtype=float)
    draw_band(ax, widths, data["distance"], r"$\|W_T - W_0\|_F$", **MARKED)
    line = draw_band(ax, widths, data["relative"], r"$\|W_T - W_0\|_F / \|W_0\|_F$", **MARKED)
    first = data["relative"]["median"][0]
    ax.plot(widths, first * (widths / widths[0]) ** -0.5, ":", color=line.get_color(), label=r"slope $-1/2$")
    ax.set(xscale="log", yscale="log", xlabel="width m", ylabel="distance from initialisation")
    ax.set_title(rf"Unconstrained AT, softplus, $\alpha$={data['alpha']:g}, T={data['steps']} ({data['seeds']} seeds)",
                 fontsize=9)
    ax.legend(fontsize=8)
    return fig


@functools.cache  # a pure function of the theory's constants that takes seconds of SymPy: once a process
def _context() -> dict:
    constants = [{"activation": name, "L1": tex(first), "L2": tex(second)}
                 for name, (first, second) in ((n, derivative_bounds(n)) for n in ("softplus", "tanh"))]
    return {
        "constants": constants, "loss_lipschitz": tex(loss_lipschitz()),
        "linearisation": tex(LINEARISATION_BOUND), "gradient": tex(GRADIENT_BOUND), "G": tex(G),
        "exponent": tex(width_exponent(LINEARISATION_BOUND)),
        "aligned": tex(aligned_ratio("softplus").subs(x_norm, 1)),
        "aligned_value": f"{float(aligned_ratio('softplus').subs(x_norm, 1).evalf(12)):.4f}",
        "regret": tex(REGRET_BOUND), "step": tex(THEOREM_STEP), "rate": tex(AVERAGE_REGRET_RATE),
        "surrogate": tex(SURROGATE_BOUND), "width_needed": tex(WIDTH_NEEDED), "steps_needed": tex(STEPS_NEEDED),
        "relative": tex(RELATIVE_MOVEMENT), "relative_exponent": tex(width_exponent(RELATIVE_MOVEMENT)),
        "vc": tex(VC_LOWER), "forcing": tex(FORCING_RADIUS), "parameters": tex(PARAMETERS),
        "exponential": tex(EXPONENTIAL_WIDTH),
    }


def derivations(env: jinja2.Environment) -> str:
    return env.get_template("papers/ntk_convergence.tex.j2").render(paper=PAPER, derivations=_context())


def _width_caption(data: dict) -> str:
    widths = ", ".join(str(m) for m in data["widths"])
    trained = ", ".join(str(m) for m in data["training_widths"])
    return (r"Left: the linearisation error of softplus two-layer networks moved along the aligned direction, and "
            rf"its bound, against the width $m \in \{{{widths}\}}$ for each radius $R$, with the slope $-1/2$. "
            r"Right: the theorem's gap $\min_t L_{\mathcal A} - \hat L^*$ and its accuracy $\varepsilon(m)$ "
            rf"against the trained widths $m \in \{{{trained}\}}$ ($R={data['radius']:g}$, "
            rf"$\delta={data['delta']:g}$, $T={data['steps']}$; median and range over {data['seeds']} seeds). "
            "Drawn from the runs the near-linearity and theorem verdicts judge.")


def _regret_caption(data: dict) -> str:
    horizons = ", ".join(str(t) for t in data["horizons"])
    return (r"Average regret of online gradient descent on the linearised model against the horizon "
            rf"$T \in \{{{horizons}\}}$, with the rate $RG/\sqrt{{T}}$ (softplus, width $m={data['width']}$, "
            rf"$R={data['radius']:g}$; median and range over {data['seeds']} seeds). Drawn from the runs the "
            "regret verdicts judge.")


def _lazy_caption(data: dict) -> str:
    widths = ", ".join(str(m) for m in data["widths"])
    return (r"Distance moved from the initialisation by unconstrained adversarial training, absolute and relative "
            rf"to $\|W_0\|_F$, against the width $m \in \{{{widths}\}}$ (step $\alpha={data['alpha']:g}$, "
            rf"$T={data['steps']}$; median and range over {data['seeds']} seeds). Drawn from the runs the "
            "lazy-training verdict judges.")


GAO = Reference("gao2019", ("Ruiqi Gao", "Tianle Cai", "Haochuan Li", "Liwei Wang", "Cho-Jui Hsieh", "Jason D. Lee"),
                "Convergence of Adversarial Training in Overparametrized Neural Networks", 2019,
                "Advances in Neural Information Processing Systems (NeurIPS)", eprint="1906.07916")

SOURCE = (r"Only the abstracts and the first paragraph of the introduction of this paper are available to the "
          r"project. Its main theorem is checked in the two-layer form the project \emph{derives} with explicit "
          r"constants: $f(W,x) = m^{-1/2}\sum_r a_r \sigma(w_r^\top x)$, $a_r = \pm 1$ fixed, $W$ trained in the "
          r"ball $\|W - W_0\|_F \le R$ around an antisymmetric initialisation ($f(W_0,\cdot) = 0$), logistic "
          r"loss, $\ell_2$ perturbations of radius $\delta$ on unit-norm inputs, $X = 1 + \delta$. The capacity "
          r"statement is the abstract's sentence in its \emph{reconstructed} VC form.")

REPORT = PaperReport(
    paper="ntk_convergence", citation=GAO, source=SOURCE, derivations=derivations,
    figures=(Figure("ntk_convergence_width", "ntk_convergence.width", width_figure, _width_caption,
                    ("ntk_convergence.lin.*", "ntk_convergence.thm.*")),
             Figure("ntk_convergence_regret", "ntk_convergence.regret", regret_figure, _regret_caption, ("ntk_convergence.ogd.*",)),
             Figure("ntk_convergence_lazy", "ntk_convergence.lazy", lazy_figure, _lazy_caption, ("ntk_convergence.lazy.*",))))
