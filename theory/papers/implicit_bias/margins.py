"""The mathematics of Lyu & Zhu's statements in SymPy: robust margins, the margin problems and their KKT
conditions, the homogeneity identities, and the bounds the project derives to judge them.

Scalar formulas live here once; ``numerics.papers.implicit_bias`` evaluates them through ``lambdify`` on whole
batches (seeds x points), so the training code and the reports read the same expressions.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from theory.symbols import eps

#: y_i w.x_i (the clean margin of one point), the dual norm ||w||_{p*}, the data radius max_i ||x_i||_2
s, dual_norm, radius = sp.symbols("s nu R", real=True)
#: the l2 margin gamma of the data, 1 - cos between two directions
gamma, e = sp.symbols("gamma e", positive=True)
#: homogeneity degree (depth of a deep linear net, 3 for a two-layer relu^2 net), ||theta||_2, c > 0
degree = sp.Symbol("L", positive=True, integer=True)
theta_norm, c = sp.symbols("Theta c", positive=True)
#: smallest adversarial margin min_i q_i, the log of the exp loss's sum (log sum_i e^{-q_i})
q_min, log_loss = sp.symbols("q_min ell", real=True)

#: the inner minimum of a linear model's margin over the eps-ball in l_p, in closed form (Hoelder):
#: min_{||delta||_p <= eps} y w.(x + delta) = y w.x - eps ||w||_{p*}
ROBUST_MARGIN = s - eps * dual_norm
#: p -> its dual exponent p* (1/p + 1/p* = 1): the l2 ball pairs with ||w||_2, the l_inf ball with ||w||_1
DUAL = {2: 2, sp.oo: 1}

#: Theorem A, l2: the limit robust normalized margin of the clean l2-SVM direction
LIMIT_MARGIN_L2 = gamma - eps
#: a unit direction within 1 - cos = e of the SVM direction loses at most R sqrt(2e) of margin
#: (||u - u_bar|| = sqrt(2e), each x_i has norm <= R), so its robust margin ratio r obeys 1 - r <= this
MARGIN_DEFICIT_BOUND = radius * sp.sqrt(2 * e) / (gamma - eps)

#: the normalised time change of gradient flow: dividing the step by L ||theta||^{L-2} keeps the relative step
#: of an L-homogeneous model constant (multiplying a vector field by a positive scalar keeps its trajectory)
STEP_SCALE = theta_norm ** (2 - degree)

#: normalised adversarial margin and its smoothed version (Lyu & Li's gamma-bar and gamma-tilde)
NORMALIZED_MARGIN = q_min / theta_norm**degree
SMOOTHED_MARGIN = -log_loss / theta_norm**degree


def soft_threshold(v: sp.Expr, tau: sp.Expr) -> sp.Expr:
    """S_tau(v) = sign(v) max(|v| - tau, 0): the mixed-norm problem's primal recovery from its dual."""
    return sp.sign(v) * sp.Max(sp.Abs(v) - tau, 0)


#: one coordinate v of sum_i a_i y_i x_i and the threshold tau = eps sum_i a_i of the mixed-norm dual
v, tau = sp.Symbol("v", real=True), sp.Symbol("tau", nonnegative=True)
SOFT_THRESHOLD = soft_threshold(v, tau)


#: one coordinate of the closed-form worst-case perturbations of a margin with input gradient g (l_inf: FGSM,
#: l2: FGM), minimising y f: delta_j = -eps y sign(g_j), delta_j = -eps y g_j / ||g||_2
y, g_j, g_norm = sp.symbols("y g_j G", real=True)
FGSM = -eps * y * sp.sign(g_j)
FGM = -eps * y * g_j / g_norm


def problems() -> dict[str, dict[str, sp.Expr]]:
    """The margin problems (objective and the constraint of point i, >= 1) the references solve, for LaTeX."""
    w = sp.IndexedBase("w")
    x = sp.IndexedBase("x")
    j, dim = sp.symbols("j d", integer=True, positive=True)
    dot = sp.Sum(w[j] * x[j], (j, 1, dim))
    l2 = sp.sqrt(sp.Sum(w[j] ** 2, (j, 1, dim)))
    l1 = sp.Sum(sp.Abs(w[j]), (j, 1, dim))
    return {
        "l2_svm": {"objective": l2**2 / 2, "constraint": y * dot},
        "mixed_norm": {"objective": l2**2 / 2, "constraint": ROBUST_MARGIN.subs({s: y * dot, dual_norm: l1})},
        "l1_svm": {"objective": l1, "constraint": y * dot},
    }


def kkt() -> dict[str, sp.Expr]:
    """KKT conditions of the adversarial margin problem min ||theta||^2/2 s.t. q_i(theta) >= 1 (Lyu & Li's
    template with the scale-invariant perturbation inside q_i), written for one constraint family."""
    theta = sp.Symbol("theta")
    lam, h, q = sp.IndexedBase("lambda"), sp.IndexedBase("h"), sp.IndexedBase("q")
    i, n = sp.symbols("i n", integer=True, positive=True)
    return {
        "stationarity": sp.Eq(theta, sp.Sum(lam[i] * h[i], (i, 1, n))),
        "feasibility": q[i] >= 1,
        "dual_feasibility": lam[i] >= 0,
        "slackness": sp.Eq(lam[i] * (q[i] - 1), 0),
    }


@lru_cache(maxsize=None)
def relu2_network(width: int = 2, dim: int = 2) -> tuple[sp.Expr, tuple[sp.Symbol, ...], tuple[sp.Symbol, ...]]:
    """A bias-free two-layer network f = sum_k a_k (w_k.x)^2 on the region where every unit is active (the
    relu^2 network there); returns (f, parameters, inputs)."""
    a = sp.symbols(f"a1:{width + 1}", real=True)
    W = sp.symbols(f"w1:{width + 1}_1:{dim + 1}", real=True)
    x = sp.symbols(f"x1:{dim + 1}", real=True)
    f = sum(a[k] * sum(W[k * dim + j] * x[j] for j in range(dim)) ** 2 for k in range(width))
    return f, (*a, *W), x


def homogeneity_residuals(width: int = 2, dim: int = 2) -> dict[str, sp.Expr]:
    """Symbolic residuals of the identities Theorem B rests on, for the relu^2 network (all must simplify to 0):
    f(x; c theta) - c^3 f(x; theta), the Euler identity <theta, grad f> - 3 f, and the scale invariance of the
    input-gradient direction (grad_x f(c theta) = c^3 grad_x f(theta), so FGM/FGSM do not depend on c)."""
    f, params, x = relu2_network(width, dim)
    scaled = f.subs({p: c * p for p in params}, simultaneous=True)
    euler = sum(p * sp.diff(f, p) for p in params) - 3 * f
    gradient_scaling = [sp.diff(scaled, xi) - c**3 * sp.diff(f, xi) for xi in x]
    return {"homogeneity": sp.expand(scaled - c**3 * f), "euler": sp.expand(euler),
            "input_gradient": sp.expand(sum(g**2 for g in gradient_scaling))}
