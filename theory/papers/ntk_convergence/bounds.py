"""The mathematics of Gao et al.'s statements in SymPy, in the two-layer form the project derives with explicit
constants (shared/papers/seed004.md, section 1.4): the near-linearity bound (D1), online gradient descent's regret
(D3), the finite-width surrogate-loss theorem (D2), lazy training (D4) and the capacity counts (D5).

Setting: f(W, x) = m^{-1/2} sum_r a_r sigma(w_r . x) with a_r = +-1 fixed, W (m x d) trained in the Frobenius ball
||W - W_0||_F <= R around an antisymmetric initialisation (f(W_0, .) = 0), the logistic loss, l2 perturbations of
radius delta.  Every constant is computed here from the activation and the loss (``derivative_bounds``); the
numerics lambdify these expressions, the reports print them.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from theory.symbols import d, z

#: width, ball radius, step size, steps; ||x||_2, ||W' - W||_F, sum_t ||g_t||_F^2
m, R, alpha, T = sp.symbols("m R alpha T", positive=True)
x_norm, distance, grad_sq = sp.symbols("r D S", nonnegative=True)
#: sup |sigma'|, sup |sigma''|, the loss's Lipschitz constant, max ||x'||_2 over the perturbation sets
L1, L2, L_loss, X = sp.symbols("L_1 L_2 L_ell X", positive=True)
#: a comparator's robust loss L*(W^dagger), the target accuracy of the theorem, the perturbation radius
L_star = sp.Symbol("L^*", nonnegative=True)
target, delta = sp.symbols("varepsilon delta", positive=True)
#: the margin y f of a point (the logistic loss's argument)
margin = sp.Symbol("u", real=True)

ACTIVATIONS = {"softplus": sp.log(1 + sp.exp(z)), "tanh": sp.tanh(z)}
LOGISTIC = sp.log(1 + sp.exp(-margin))


def sup_abs(expr: sp.Expr, variable: sp.Symbol) -> sp.Expr:
    """sup over the real line of |expr|: the largest |value| at a real critical point or at +-oo (exact)."""
    critical = sp.solveset(sp.diff(expr, variable), variable, sp.Reals)
    if not (critical.is_empty or isinstance(critical, sp.FiniteSet)):
        raise ValueError(f"the critical points of {expr} are not a finite set: {critical}")
    candidates = [] if critical.is_empty else [sp.Abs(expr.subs(variable, point)) for point in critical]
    candidates += [sp.Abs(sp.limit(expr, variable, end)) for end in (sp.oo, -sp.oo)]
    return sp.simplify(sp.Max(*candidates))


@lru_cache(maxsize=None)
def derivative_bounds(activation: str) -> tuple[sp.Expr, sp.Expr]:
    """(L_1, L_2) = (sup |sigma'|, sup |sigma''|) of an activation, exact (softplus: 1, 1/4)."""
    sigma = ACTIVATIONS[activation]
    return sup_abs(sp.diff(sigma, z), z), sup_abs(sp.diff(sigma, z, 2), z)


@lru_cache(maxsize=None)
def loss_lipschitz() -> sp.Expr:
    """L_ell = sup |l'| of the logistic loss (1)."""
    return sup_abs(sp.diff(LOGISTIC, margin), margin)


def constants(activation: str) -> dict[sp.Symbol, sp.Expr]:
    """The substitution map of the named constants for an activation and the logistic loss."""
    first, second = derivative_bounds(activation)
    return {L1: first, L2: second, L_loss: loss_lipschitz()}


#: D1: |f(W', x) - f(W, x) - <grad_W f(W, x), W' - W>| <= this (the Hessian in W is block-diagonal with blocks
#: m^{-1/2} a_r sigma''(w_r . x) x x^T), and ||grad_W f(W, x)||_F <= L_1 ||x||_2
LINEARISATION_BOUND = L2 * x_norm**2 * distance**2 / (2 * sp.sqrt(m))
GRADIENT_BOUND = L1 * x_norm
#: the per-step gradient bound G of the training loss over the perturbation sets
G = L_loss * L1 * X
#: D3: the regret of projected online gradient descent against a comparator at distance D from W_0
REGRET_BOUND = distance**2 / (2 * alpha) + alpha / 2 * grad_sq
#: D2: the linearisation slack over the ball (D1 with ||W^dagger - W_t||_F <= 2R, times L_ell)
THEOREM_SLACK = 2 * L_loss * L2 * X**2 * R**2 / sp.sqrt(m)
#: D2: min_t L_A(W_t) <= (1/T) sum_t L_A(W_t) <= this, for every comparator W^dagger in the ball and every attack
SURROGATE_BOUND = L_star + R**2 / (2 * alpha * T) + alpha / (2 * T) * grad_sq + THEOREM_SLACK
#: the theorem's step size, which balances the two optimisation terms when every ||g_t|| <= G
THEOREM_STEP = R / (G * sp.sqrt(T))
#: D3 at the theorem's step, divided by T, with ||W - W_0|| <= R and S <= T G^2: the average regret rate R G / sqrt(T)
AVERAGE_REGRET_RATE = sp.simplify(REGRET_BOUND.subs({distance: R, grad_sq: T * G**2, alpha: THEOREM_STEP}) / T)
#: the accuracy the theorem gives at width m and T steps (D2 at the theorem's step)
THEOREM_ACCURACY = AVERAGE_REGRET_RATE + THEOREM_SLACK
#: the width and the steps that make each half of the accuracy at most varepsilon / 2 (the explicit poly(R, 1/eps))
WIDTH_NEEDED = sp.solve(sp.Eq(THEOREM_SLACK, target / 2), m)[0]
STEPS_NEEDED = sp.solve(sp.Eq(AVERAGE_REGRET_RATE, target / 2), T)[0]
#: D4: the relative movement ||W_T - W_0||_F / ||W_0||_F when the distance needed is O(1) in m (E ||W_0||_F^2 = md)
RELATIVE_MOVEMENT = distance / sp.sqrt(m * d)


def width_exponent(expr: sp.Expr) -> sp.Expr:
    """d log(expr) / d log(m): the log-log slope in the width that a measured slope is judged against."""
    return sp.simplify(m * sp.diff(sp.log(expr), m))


#: a standard normal variable's density, for the expected curvature of the aligned movement
_density = sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi)


@lru_cache(maxsize=None)
def aligned_ratio(activation: str) -> sp.Expr:
    """E[sigma''(r g)] / L_2 for g ~ N(0, 1), an unevaluated integral in r = ||x||: the limit (m -> oo) of the
    linearisation error over D1's bound when all the movement is put on the a_r = +1 neurons along x (the
    sup-attaining direction up to the spread of sigma''); 0.8265 for softplus at ||x|| = 1.  Exactly 0 where
    sigma'' is odd (tanh; g is symmetric): there the aligned error has no second-order term, so it does not attain
    D1's order m^{-1/2}."""
    second = sp.diff(ACTIVATIONS[activation], z, 2)
    if sp.simplify(second + second.subs(z, -z)) == 0:
        return sp.Integer(0)
    return sp.Integral(second.subs(z, x_norm * z) * _density, (z, -sp.oo, sp.oo)) / derivative_bounds(activation)[1]


#: D5: a hard family of K pairs in R^d (k = d - 1 free coordinates); N = 2K points
pairs = sp.Symbol("K", positive=True, integer=True)
#: the shattered probe count, hence the VC lower bound of a class that robustly memorises every member
VC_LOWER = pairs * (d - 1)
#: the robust radius (in units of half the class separation) above which every probe's label is forced
FORCING_RADIUS = sp.sqrt(1 - 1 / (d - 1))
#: two-layer ReLU parameters at width m (first layer with bias, output layer with bias); VC = O(P log P)
PARAMETERS = m * (d + 2) + 1
#: the clean interpolation width of N points in general position (Baum 1988): ceil(N / d)
CLEAN_WIDTH = sp.ceiling(2 * pairs / d)
#: the planted twin of the capacity claim: "robust interpolation needs width >= c e^d" (not in the paper)
c_exp = sp.Symbol("c", positive=True)
EXPONENTIAL_WIDTH = c_exp * sp.exp(d)

#: bound forms the estimators can be told to judge against: the theorem's, and the planted twins (tests)
LINEARISATION_FORMS = {
    "theorem": LINEARISATION_BOUND,
    "width_over_m": LINEARISATION_BOUND * sp.sqrt(m) / m,  # R^2/m: the wrong width exponent
    "quarter_L2": LINEARISATION_BOUND / 4,  # L_2 replaced by L_2 / 4
}
RATE_FORMS = {"theorem": AVERAGE_REGRET_RATE, "one_over_T": AVERAGE_REGRET_RATE / sp.sqrt(T)}
REGRET_FORMS = {"theorem": REGRET_BOUND, "no_distance_term": alpha / 2 * grad_sq}
