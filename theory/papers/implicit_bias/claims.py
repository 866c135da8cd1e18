"""The claims of Lyu & Zhu (ICLR 2022) and of the project's reading of them, with their provenance.

The paper's full text is not available (shared/papers/seed003.md, section 0): only its abstract is ``stated``.
The exact theorem forms are ``reconstructed`` from the results the paper extends (Ji & Telgarsky 2019 for deep
linear nets, Lyu & Li 2020 for homogeneous nets); what the project works out itself is ``derived``.

The paper's theorem numbers are not known; places name the result ("deep-linear theorem", "homogeneous-net
theorem").  A limit ("converges in direction") is judged after T steps of the normalised time change of gradient flow
(``margins.STEP_SCALE``) against a threshold that the digest's probes show a 2-core CPU reaches, on every seed;
the threshold is part of the claim, and the verdict's figures give the measured errors and the twins' distances.
"""
from __future__ import annotations

import sympy as sp

from theory.building import builder
from theory.claims import Claim
from theory.papers.implicit_bias.designs import LinearDesign, Norm
from theory.papers.implicit_bias.margins import MARGIN_DEFICIT_BOUND, e

PAPER = "Lyu, Zhu (ICLR 2022)"
ABSTRACT = "the abstract"
RECONSTRUCTED = "reconstructed from Ji & Telgarsky (ICLR 2019) and Lyu & Li (ICLR 2020)"

#: thresholds of the limit claims after the profile's steps (the digest's probes: floors 3e-6 to 5e-5)
DIRECTION_L2 = sp.Rational(1, 10**4)
DIRECTION_LINF = sp.Rational(2, 10**4)
RANK_ONE = sp.Rational(1, 10**3)
ALIGNED = sp.Rational(1, 10**6)
KKT_L2 = sp.Rational(1, 10**2)
KKT_LINF = sp.Rational(2, 10**2)
MONOTONE = sp.Rational(1, 10**3)
#: the paper's theorem numbers are unknown: places name the results
DL, HN = "deep-linear theorem", "homogeneous-net theorem"
#: a direction check has power only where every twin direction is this many thresholds from the reference
POWER = 10

DEEP_LINEAR_REGIME = ("deep linear net, linearly separable data, eps < gamma (l2) or eps < gamma_1 (l_inf), "
                      "exponential loss; T steps of normalised gradient descent (a time change of gradient flow)")
HOMOGENEOUS_REGIME = ("bias-free two-layer relu^2 net (3-homogeneous, C^1), XOR data, scale-invariant "
                      "perturbation, exponential loss, after every adversarial point is classified right (t_0)")


_claim = builder(PAPER, regime=DEEP_LINEAR_REGIME)


def deep_linear() -> list[Claim]:
    """The deep-linear theorem ("Theorem A" of the digest) and what the project derives from it."""
    to_svm = r"1 - \cos(w_{\mathrm{prod}}, \bar u_2)"
    l2_power, linf_power = POWER * DIRECTION_L2, POWER * DIRECTION_LINF
    aligned_source = "Ji & Telgarsky (ICLR 2019); Lyu & Zhu's TPAMI 2025 abstract: layers get aligned"
    robust_latex = (r"\left|1 - \frac{\min_i y_i w^\top x_i - \epsilon\|w\|_2}{\|w\|_2(\gamma - \epsilon)}\right|"
                    r" \Big/ \left(" + sp.latex(MARGIN_DEFICIT_BOUND.subs(e, DIRECTION_L2)) + r" + 10^{-9}\right)")
    gap_latex = (r"\operatorname{sign} \overline{\log \frac{\|\hat w_{\mathrm{clean}} - \bar u_2\|}"
                 r"{\|\hat w_{\mathrm{adv}} - \bar u_2\|}}")
    return [
        _claim("implicit_bias.dln.l2.direction", f"{DL} (l2)", "dln_direction_error", "1 - cos(w_prod, u_l2svm)", to_svm,
               DIRECTION_L2, "stated", ABSTRACT + ": the direction of the product converges to the max-margin "
               "solution of the original data", design=LinearDesign.L2, reference="l2_svm", twin_floor=l2_power),
        _claim("implicit_bias.dln.l2.beyond_margin", f"{DL} without its precondition (control)", "dln_direction_error",
               "1 - cos(w_prod, u_l2svm) at eps >= gamma", to_svm, DIRECTION_L2, "derived",
               f"the precondition eps < gamma of the reconstructed {DL}; " + RECONSTRUCTED,
               regime=f"eps >= gamma: outside the {DL} (the adversarial points are not separable); reported as "
                      "out of regime, never as a verdict", design=LinearDesign.L2, reference="l2_svm", control=True,
               twin_floor=l2_power),
        _claim("implicit_bias.dln.l2.robust_margin", f"{DL} (l2): robust margin", "dln_margin_deficit", "|1 - r| / bound",
               robust_latex, sp.Integer(1), "derived",
               "the robust margin of the l2-SVM direction is gamma - eps; " + RECONSTRUCTED, design=LinearDesign.L2,
               direction_tolerance=DIRECTION_L2),
        _claim("implicit_bias.dln.alignment.rank_one", f"{DL}: alignment (rank one layers)", "dln_rank_ratio",
               "max_k sigma_2/sigma_1(W_k)", r"\max_k \sigma_2(W_k)/\sigma_1(W_k)", RANK_ONE, "reconstructed",
               aligned_source, design=LinearDesign.L2),
        _claim("implicit_bias.dln.alignment.adjacent", f"{DL}: alignment (adjacent layers)", "dln_misalignment",
               "max_k 1 - |v_{k+1}.u_k|", r"\max_k 1 - |v_{k+1}^\top u_k|", ALIGNED, "reconstructed",
               aligned_source, design=LinearDesign.L2),
        _claim("implicit_bias.dln.linf.mixed_direction", f"{DL} read for l_inf: the mixed-norm limit",
               "dln_direction_error", "1 - cos(w_prod, w_mixed)",
               r"1 - \cos(w_{\mathrm{prod}}, \bar u_{\infty,\epsilon})", DIRECTION_LINF, "derived",
               "derived here from the robust loss of a linear map; Li, Fang, Xu, Zhao (ICLR 2020) state the linear "
               "case, Lyu & Zhu's TPAMI 2025 abstract an l2-l1 interpolation", design=LinearDesign.LINF,
               reference="mixed_norm", twins=("l2_svm", "l1_svm"), twin_floor=linf_power),
        _claim("implicit_bias.dln.linf.literal", "the abstract's sentence read for l_inf perturbations",
               "dln_direction_error", "1 - cos(w_prod, u_l2svm) under l_inf", to_svm, DIRECTION_LINF, "stated",
               ABSTRACT + ", read literally for l_inf FGSM (sparse data, where the l2-SVM and mixed-norm directions "
               "differ)", regime=DEEP_LINEAR_REGIME + "; the abstract's deep-linear sentence names no perturbation "
               "norm and the reconstructed theorem assumes an l2 adversary, so a VIOLATED verdict says the sentence "
               "does not extend to l_inf, not that the l2 result fails (implicit_bias.dln.l2.direction is the same sentence "
               "under l2)", design=LinearDesign.LINF, reference="l2_svm", twins=("mixed_norm",), twin_floor=linf_power),
        _claim("implicit_bias.dln.rate_vs_clean", "adversarial vs clean training at equal steps", "dln_clean_gap",
               "sign(mean log(|w_clean - u| / |w_adv - u|))", gap_latex, sp.Integer(1), "derived",
               "extends Li, Fang, Xu, Zhao (ICLR 2020), who state it for linear models; deeper nets are the "
               "project's extrapolation (the abstract says nothing about rates)", kind="trend", comparison="sign",
               regime="deep linear net, linearly separable data, eps < gamma, exponential loss; constant-step "
                      "gradient descent (the algorithm as run), checkpoints from step 1000 on",
               design=LinearDesign.RATE),
    ]


def homogeneous() -> list[Claim]:
    """The homogeneous-net theorem ("Theorem B" of the digest) on two-layer relu^2 nets."""
    kkt = "KKT residual of the adversarial margin problem"
    latex = r"\min_{\lambda \ge 0} \|\theta - \textstyle\sum_{i \in A} \lambda_i g_i(\theta)\| / \|\theta\|"
    source = ABSTRACT + " (the conclusion); the problem and its KKT form: " + RECONSTRUCTED
    relaxed = "; the sign of delta is set-valued where d f/d x_j is about 0 (relaxed KKT)"
    kkt_regime = (HOMOGENEOUS_REGIME + "; judged where min_i q_i > 0; g_i is the gradient of q_i at the perturbation "
                  "held fixed (Algorithm 1's), A the constraints within 5% of min_i q_i")
    return [
        _claim("implicit_bias.hom.kkt.l2", f"{HN} (l2: FGM, PGD)", "hom_kkt_residual", kkt, latex, KKT_L2,
               "reconstructed", source, regime=kkt_regime, norm=Norm.L2),
        _claim("implicit_bias.hom.kkt.linf", f"{HN} (l_inf: FGSM, PGD)", "hom_kkt_residual", kkt + " (relaxed signs)",
               latex, KKT_LINF, "reconstructed", source, regime=kkt_regime + relaxed, norm=Norm.LINF,
               relaxed=True),
        _claim("implicit_bias.hom.margin_monotone", f"{HN}: the smoothed adversarial margin does not decrease",
               "hom_margin_decrease", "max relative decrease of -log(sum_i exp(-q_i)) / ||theta||^3",
               r"\max_{t_k \ge t_0} \left(1 - \tilde\gamma(t_{k+1})/\tilde\gamma(t_k)\right)_+", MONOTONE,
               "reconstructed", "Lyu & Li (ICLR 2020), the smoothed margin's monotonicity after t_0; "
               + RECONSTRUCTED, regime=HOMOGENEOUS_REGIME + "; from t_0, the first checkpoint with "
               "sum_i exp(-q_i) < 1", norm=Norm.L2),
    ]
