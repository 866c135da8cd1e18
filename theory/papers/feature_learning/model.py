"""The mathematics of the reconstructed model R-inf of Li & Li (ICLR 2025) in SymPy (shared/papers/seed002.md,
sections 1.2 and 1.4): the smoothed ReLU, the regime ratios that any consistent instantiation must satisfy, the
early-phase learning race (recursion, ODE, blow-up time), the robust-accuracy thresholds and the l2 impossibility.

Data: k classes, d = k + D coordinates, P patches; the robust feature u_y = e_y (one coordinate, one patch, size
alpha), the non-robust feature v_y (a Hadamard row over D coordinates, every patch, size beta); l_inf attacks of
radius epsilon.  Network: F_j(X) = sum_r sum_p sReLU(<w_{j,r}, x_p>), m neurons per class, init N(0, sigma_0^2).
The numerics lambdify these expressions; the reports print them.
"""
from __future__ import annotations

import sympy as sp

from theory.symbols import eps, eta, k, t, z

#: dense dimension, patches, neurons per class, the smoothed ReLU's power and threshold
D, P, m = sp.symbols("D P m", positive=True, integer=True)
q = sp.Symbol("q", positive=True, integer=True)
rho = sp.Symbol("varrho", positive=True)
#: the robust and non-robust feature sizes
alpha, beta = sp.symbols("alpha beta", positive=True)
#: a class's share of the training set n_j / n, a neuron's correlation with a feature, the feature strength
share = sp.Symbol("f", positive=True)
x0, x = sp.symbols("x_0 x", positive=True)
strength = sp.Symbol("s", positive=True)
#: the robust-feature coefficients Gamma^u of the true class and of the attacker's target class
gamma_own, gamma_other = sp.symbols(r"\Gamma^u_y \Gamma^u_{y'}", positive=True)

#: d = k + D: the robust coordinates first, then the dense block
DIMENSION = k + D

#: the smoothed ReLU: 0 below 0, z^q / (q rho^(q-1)) up to rho, then linear with slope 1 (C^1 at rho for q >= 2)
SMOOTH_RELU = sp.Piecewise((0, z <= 0), (z**q / (q * rho**(q - 1)), z <= rho), (z - (1 - 1 / q) * rho, True))
SMOOTH_RELU_SLOPE = sp.Piecewise((0, z <= 0), (z**(q - 1) / rho**(q - 1), z <= rho), (1, True))

#: the five regime ratios of section 1.4: the learning race P beta^q / alpha^q (a), the non-robustness of v
#: epsilon sqrt(D) / beta (b), the robustness of u 2 epsilon / alpha (c), the kill ratio of one-step AT at
#: initialisation (e), and the dense-planting ratio at the trained Gamma^u (f)
RACE = P * beta**q / alpha**q
NONROBUST = eps * sp.sqrt(D) / beta
ROBUST = 2 * eps / alpha
KILL = eps * DIMENSION * sp.sqrt(2 / sp.pi) / (alpha * sp.sqrt(2 * sp.log(m)))
#: how much a trained ST network uses u: Gamma^u_j / Gamma^v_j (the thresholds of (b) are for a network using v only)
gamma_u, gamma_v = sp.symbols(r"\Gamma^u \Gamma^v", positive=True)
USAGE = gamma_u / gamma_v
#: the planting ratio as the digest writes it (sReLU kept abstract, for printing), and evaluable
smooth_relu = sp.Function(r"\widetilde{\mathrm{ReLU}}")
PLANTING_SHOWN = P * smooth_relu(eps * gamma_other) / smooth_relu((alpha - eps) * gamma_own)
PLANTING = PLANTING_SHOWN.replace(smooth_relu, sp.Lambda(z, SMOOTH_RELU))
RATIOS = {"race": RACE, "nonrobust": NONROBUST, "robust": ROBUST, "kill": KILL, "planting": PLANTING,
          "usage": USAGE}
#: the margins the digest's probes needed (section 2.2): a ratio outside its margin puts a claim out of regime.
#: The last two are measured on the trained networks (their largest value over seeds and classes): planting at
#: AT's Gamma^u, usage at ST's (the margin of "ST primarily learns v", per class)
MARGINS = {"race": sp.Ge(RACE, 3), "nonrobust": sp.Ge(NONROBUST, sp.Rational(11, 10)),
           "robust": sp.Le(ROBUST, sp.Rational(1, 2)), "kill": sp.Le(KILL, sp.Rational(7, 10)),
           "planting": sp.Le(PLANTING, sp.Rational(4, 5)), "usage": sp.Le(USAGE, sp.Rational(1, 3))}
MEASURED = ("planting", "usage")
RATIO_LATEX = {"race": r"R_{\mathrm{learn}}", "nonrobust": r"R_{\mathrm{nonrob}}", "robust": r"R_{\mathrm{rob}}",
               "kill": r"\kappa_{\mathrm{kill}}", "planting": r"\Pi_{\mathrm{plant}}",
               "usage": r"U_{\mathrm{ST}}"}

#: (b): the radius at which the closed-form attack erases the non-robust margin of a network that uses only v;
#: the planted twins put it at beta (the l2 answer per patch) and at beta / D
THRESHOLDS = {"nonrobust": beta / sp.sqrt(D), "l2_patch": beta, "dense": beta / D}
#: (b) for a network with unequal class coefficients Gamma^v_y, Gamma^v_{y'} (both pre-activations in the power
#: region, where sReLU is homogeneous of degree q, so q cancels): class y's examples flip at this radius
gamma_v_own, gamma_v_other = sp.symbols(r"\Gamma^v_y \Gamma^v_{y'}", positive=True)
UNEQUAL_THRESHOLD = 2 * beta * gamma_v_own / (sp.sqrt(D) * (gamma_v_own + gamma_v_other))
#: (c): the radius up to which a network that uses only u is robust (before planting)
ROBUST_LIMIT = alpha / 2

#: (a): the growth rate of a class-j neuron's correlation x with a feature of strength s in the tensor-power phase
#: (softmax ~ 1/k, every pre-activation below rho): s = P beta^q for v (every patch), alpha^q for u (one patch)
GROWTH = eta * share * (1 - 1 / k) * strength / rho**(q - 1)
STRENGTHS = {"nonrobust": P * beta**q, "robust": alpha**q}
#: one gradient step of the neuron's (B, A) = (<w, v_j>, <w, u_j>) on its class's examples, exact while the softmax
#: is 1/k (other classes' examples move only <w, v_i>, <w, u_i>, orthogonal): the ``copies`` = P - 1 plain patches
#: beta v_j and the signal patch alpha u_j + beta v_j each add slope(pre-activation) times the patch
a = sp.Symbol("a", real=True)
copies = sp.Symbol("c", nonnegative=True)
_RATE = eta * share * (1 - 1 / k)
#: the neuron's pre-activation on its class's signal patch (the largest of its patches while A >= 0)
SIGNAL_PREACTIVATION = alpha * a + beta * x
RECURSION_B = x + _RATE * beta * (copies * SMOOTH_RELU_SLOPE.subs(z, beta * x)
                                  + SMOOTH_RELU_SLOPE.subs(z, SIGNAL_PREACTIVATION))
RECURSION_A = a + _RATE * alpha * SMOOTH_RELU_SLOPE.subs(z, SIGNAL_PREACTIVATION)
#: the plain patches' count: the model's, and the planted twin's that forgets them (only the signal patch)
COPIES = {"model": P - 1, "forgot_patches": sp.Integer(0)}
#: the continuous limit dx/dt = c x^(q-1), its solution from x_0 and its blow-up time t*
ODE = sp.Eq(sp.Function("x")(t).diff(t), GROWTH * sp.Function("x")(t)**(q - 1))
TRAJECTORY = x0 * (1 - (q - 2) * GROWTH * x0**(q - 2) * t)**(-1 / (q - 2))
BLOWUP = 1 / ((q - 2) * GROWTH * x0**(q - 2))

#: (d): with ||delta||_2 <= epsilon on the whole input, flipping v costs beta sqrt(P / 2), flipping u alpha / sqrt 2
L2_NONROBUST_COST = beta * sp.sqrt(P / 2)
L2_ROBUST_COST = alpha / sp.sqrt(2)


def trajectory_solves_ode() -> bool:
    """TRAJECTORY solves ODE with x(0) = x_0 (checked by the tests; printed in the report)."""
    lhs = sp.diff(TRAJECTORY, t)
    rhs = GROWTH * TRAJECTORY**(q - 1)
    return sp.simplify((lhs - rhs).subs(q, 3)) == 0 and sp.simplify(TRAJECTORY.subs(t, 0) - x0) == 0


def l2_impossible() -> sp.Expr:
    """(d): the exponent e in alpha_sep / alpha_race = P^e, where separation needs alpha > alpha_sep (flipping u
    costs more than flipping v) and the race needs alpha < alpha_race (R_learn > 1).  Both hold only if e < 0;
    e = 1/2 - 1/q >= 0 for every q >= 2, so no l2 version of R-inf exists."""
    separation = sp.solve(sp.Eq(L2_ROBUST_COST, L2_NONROBUST_COST), alpha)[0]
    race = sp.solve(sp.Eq(RACE, 1), alpha)[0]
    return sp.simplify(sp.expand_log(sp.log(separation / race), force=True) / sp.log(P))
