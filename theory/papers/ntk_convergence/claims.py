"""The claims of Gao et al. (NeurIPS 2019) and of the project's reading of them, with their provenance.

Only the abstracts (v1, v2) and the first paragraph of the introduction are available (shared/papers/seed004.md,
section 0).  The paper's main theorem is checked in the two-layer form the digest derives with explicit constants
(``derived``: sound mathematics, not the paper's words); the capacity statement is the abstract's sentence in the
VC form later papers give it (``reconstructed``), checked on the digest's hard family.
"""
from __future__ import annotations

import sympy as sp

from theory.building import builder
from theory.claims import Claim
from theory.papers.ntk_convergence.designs import TrainingDesign
from theory.papers.ntk_convergence.bounds import (LINEARISATION_BOUND, RELATIVE_MOVEMENT, R, aligned_ratio,
                                                  width_exponent, x_norm)

PAPER = "Gao, Cai, Li, Wang, Hsieh, Lee (NeurIPS 2019)"
DIGEST = "derived here"
MAIN = "the main theorem (most likely Thm 4.1; its exact constants are not available)"
TWO_LAYER = ("two-layer softplus net in the NTK parametrisation, antisymmetric initialisation (f(W_0, .) = 0), "
             "first layer trained, logistic loss, l2 perturbations of radius delta on unit-norm inputs")
#: the activation of the two-layer setting, for which lin.tightness's limit is computed (a run of another activation
#: is out of its regime; lin.bound's L_2 follows the run's)
ACTIVATION = "softplus"
#: tolerances of the exponent claims (the digest's tau for slopes) and of the tightness ratio
SLOPE_TOLERANCE = sp.Rational(1, 20)
REACH_TOLERANCE = sp.Rational(3, 20)
TIGHTNESS_TOLERANCE = sp.Rational(1, 50)


_claim = builder(PAPER)


def claims() -> list[Claim]:
    lin = r"\sup_{\|W'-W_0\|_F \le R} |f(W') - f(W_0) - \langle \nabla f(W_0), W' - W_0\rangle|"
    bound = sp.latex(LINEARISATION_BOUND)
    exponent = width_exponent(LINEARISATION_BOUND)
    ball_regime = TWO_LAYER + "; projected GD in ||W - W_0||_F <= R, every step attacking the current weights"
    surrogate = r"\min_t L_{\mathcal A}(W_t) \big/ \left(\hat L^* + \frac{R^2}{2\alpha T} + \frac{\alpha}{2T}" \
                r"\sum_t \|g_t\|_F^2 + \frac{2 L_\ell L_2 X^2 R^2}{\sqrt m}\right)"
    return [
        _claim("ntk_convergence.lin.bound", "near-linearity (D1), the mechanism of " + MAIN, "lin_bound_ratio",
               "linearisation error / bound", lin + r"\Big/" + bound, sp.Integer(1), "derived",
               DIGEST + " (D1): the Hessian in W is block-diagonal with blocks m^{-1/2} a_r sigma'' x x^T",
               TWO_LAYER + "; every seed, width, radius and input; the error is the largest found by the aligned "
               "movement and projected ascent over the ball (a lower estimate of the sup)", kind="upper_bound"),
        _claim("ntk_convergence.lin.exponent", "near-linearity (D1): the width exponent", "lin_exponent",
               "slope of log error in log m", r"\partial \log \mathrm{err} / \partial \log m", exponent, "derived",
               DIGEST + " (D1): the bound scales as m^{-1/2}, attained by the aligned movement",
               TWO_LAYER + "; aligned movement (all on the a_r = +1 neurons along x) at unit inputs, widths paired "
               "(prefixes of one draw)", comparison="difference", tolerance=SLOPE_TOLERANCE, kind="trend"),
        _claim("ntk_convergence.lin.tightness", "near-linearity (D1): how tight the bound is", "lin_tightness",
               "aligned error / bound", r"\mathrm{err}_{\mathrm{aligned}} / \mathrm{bound}",
               aligned_ratio(ACTIVATION).subs(x_norm, 1), "derived",
               DIGEST + " (D1): the aligned movement's error over the bound tends to E[sigma''(z)] / L_2",
               TWO_LAYER + "; unit inputs, the mean over the wider half of the widths and the radii (the limit as m "
               "grows; the third-order term lowers the ratio at small widths, reported per width)",
               comparison="ratio", tolerance=TIGHTNESS_TOLERANCE, kind="equality", activation=ACTIVATION),
        _claim("ntk_convergence.ogd.regret", "the online-learning view of " + MAIN + " (D3)", "regret_ratio",
               "regret / bound", r"\mathrm{Regret}_T(W^\dagger) \big/ \left(\frac{\|W^\dagger-W_0\|_F^2}{2\alpha} + "
               r"\frac{\alpha}{2}\sum_t \|g_t\|_F^2\right)", sp.Integer(1), "derived",
               DIGEST + " (D3): projected online gradient descent on convex losses",
               TWO_LAYER + "; the linearised model at W_0, PGD attacks on it, the theorem's step R / (G sqrt T); "
               "W^dagger the hindsight minimiser over the ball (accelerated projected gradient, its Frank-Wolfe gap "
               "reported)", kind="upper_bound"),
        _claim("ntk_convergence.ogd.rate", "the online-learning view: the average regret rate", "rate_ratio",
               "average regret / (R G / sqrt T)", r"\frac{1}{T}\mathrm{Regret}_T \big/ (R G / \sqrt{T})",
               sp.Integer(1), "derived", DIGEST + " (D3 at alpha = R / (G sqrt T), S <= T G^2)",
               TWO_LAYER + "; the linearised model at the theorem's step, every horizon T", kind="upper_bound"),
        _claim("ntk_convergence.thm.surrogate", MAIN + " in the two-layer form (D2)", "surrogate_ratio",
               "min_t L_A / bound", surrogate, sp.Integer(1), "derived",
               "the abstract: adversarial training finds a network whose surrogate loss is within eps "
               "of the optimal robust loss; the finite-width inequality (D2) is " + DIGEST,
               ball_regime + "; PGD and FGM training attacks; hat-L* the lowest strong-attack robust loss among W_0 "
               "and every run's final iterate (a lower estimate of L*, so HOLDS is conclusive)",
               design=TrainingDesign.THEOREM, attacks=("pgd", "fgm"), kind="upper_bound"),
        _claim("ntk_convergence.thm.any_attack", MAIN + " with weak attacks (D2)", "surrogate_ratio",
               "min_t L_A / bound", surrogate, sp.Integer(1), "derived",
               "the abstract: the guarantee holds for a heuristic attack, on its surrogate loss; "
               + DIGEST + " (D2 holds for any map into the perturbation set)",
               ball_regime + "; FGM, a random point of the ball and no attack (clean training), at a radius where "
               "clean training is not robust", design=TrainingDesign.WEAK, kind="upper_bound"),
        _claim("ntk_convergence.ball.reach", "the ball's function-space radius does not depend on the width",
               "reach_exponent", "slope of log(L*(W_0) - hat-L*) in log m",
               r"\partial \log (L^*(W_0) - \hat L^*) / \partial \log m", width_exponent(R), "derived",
               "derived here: at fixed R the best robust loss in the ball tends to a "
               "positive limit, the RKHS ball's; only the gap to it vanishes",
               ball_regime + "; the best comparator's advantage over W_0, widths paired",
               comparison="difference", tolerance=REACH_TOLERANCE, design=TrainingDesign.THEOREM, kind="trend"),
        _claim("ntk_convergence.lazy.movement", "lazy training (D4)", "lazy_exponent",
               "slope of log(||W_T - W_0|| / ||W_0||) in log m",
               r"\partial \log (\|W_T - W_0\|_F / \|W_0\|_F) / \partial \log m", width_exponent(RELATIVE_MOVEMENT),
               "derived", DIGEST + " (D4): the distance needed is O(1) in m while ||W_0||_F ~ sqrt(m d)",
               TWO_LAYER + "; unconstrained adversarial training (PGD) at a fixed step and horizon, widths paired",
               comparison="difference", tolerance=SLOPE_TOLERANCE, design=TrainingDesign.LAZY, kind="trend"),
        _claim("ntk_convergence.capacity.ratio_grows", "robust interpolation needs more capacity (v2 abstract)",
               "capacity_trend", "slope of log(m_rob / m_clean) in log d",
               r"\operatorname{sign} \partial \log (m_{50}^{\mathrm{rob}} / m_{50}^{\mathrm{clean}}) / \partial \log d",
               sp.Integer(1), "reconstructed",
               "the v2 abstract: 'robust interpolation requires more model capacity'; its VC form (Omega(N d) "
               "against N for plain interpolation) from Kim, Moon, Yun (NeurIPS 2025); the hard family D5 is "
               "derived here",
               "two-layer ReLU nets with biases on the D5 family (K pairs, k = d - 1, robust radius "
               "sqrt(1 - 1/k) + margin in units of half the class separation), Adam with l2 PGD training; memorised: "
               "no point misclassified by the strong PGD and every forced probe labelled by its sign (robust), every "
               "point classified (clean); m_50: the smallest width at which half the patterns are; robustness is "
               "empirical (PGD), not certified", comparison="sign", kind="trend"),
    ]
