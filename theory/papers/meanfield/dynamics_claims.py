"""Kumano, Kera, Yamasaki (NeurIPS 2023), Section 6: weight variance under adversarial training, trainability,
capacity and width, as claims (the formulas live in ``theory.papers.meanfield.dynamics``).

Section 6's statements, definitions and ODEs are not available, only the abstract's sentences: the ODE, Euler,
width-exponent and beta claims are ``derived`` (the project's derivation), the trainability and capacity claims
and their width dependence are ``proxy`` (each source names what is measured, on which task).

The paper states that its predictions match experiments in early training; these claims measure where.
Training here is bias-free (sigma_b2 = 0: the Euler identity needs it), with p = q = 2 and K = 1 unless the
claim varies them, so beta_{p,q} is known exactly (``dynamics.beta_single_output``).
"""
from __future__ import annotations

import sympy as sp

from theory.papers.meanfield import dynamics as dyn
from theory.building import claim
from theory.claims import Claim, expand_definitions
from theory.papers.meanfield.designs import DynamicsDesign
from theory.papers.meanfield.norms import pair_name
from theory.symbols import L, N, t

PAPER = "Kumano, Kera, Yamasaki (NeurIPS 2023)"
PLACE = "Section 6 (training dynamics)"
SOURCE = "Section 6; the ODEs and their solutions are derived here"
FINITE_WIDTH = sp.sqrt(L / N)
#: the Euler identity is exact: float64 rounding of ||W||_F^2 differences is far below this
FLOAT_TOLERANCE = sp.Float(1e-9)
#: the width exponent is judged within 0.1 of -1 (finite-width corrections to L_adv are O(L/N))
WIDTH_TOLERANCE = sp.Rational(1, 10)
EARLY = "early training (t up to the horizon), large N, small steps: before low-rank changes lower L_adv"

BETA_22 = dyn.beta_single_output(2)
#: what the qualitative sentences of the abstract become here (the paper's definitions are not available)
WIDTH_SOURCE = ("derived from the variance ODE: every rate carries the 1/N of sigma^2 = ||W||_F^2 / N, the project's "
                "mechanism for the abstract's 'network width alleviates these issues'; the exponent -1 is derived, "
                "not stated")
BETA_SOURCE = ("derived from the variance ODE, whose rate constant carries beta_{p,q}(d, K): the project's form of the "
               "abstract's 'various impacts of input and output dimensions' on the time evolution of the weight "
               "variance")
TASK = ("a random-teacher regression task (half the mean squared error to a random two-layer ReLU teacher, on inputs "
        "drawn once per network)")
GRADIENT_PROXY = "the depth slope of log ||grad_{W_1} l_clean||, the first layer's gradient norm of " + TASK
CAPACITY_PROXY = ("the log ratio of the best clean test loss that the same clean training reaches from the "
                  "adversarially trained weights and from the initial ones, by full-batch gradient descent on " + TASK)
TRAINABILITY_SOURCE = ("proxy for the abstract's 'networks without shortcuts are generally not adversarially "
                       "trainable': the sign of " + GRADIENT_PROXY + " after adversarial training; theory side: the "
                       "mean-field slope log(omega)/2 at the ODE's trained variance (the paper's definition of "
                       "trainability is not available)")
CAPACITY_SOURCE = ("proxy for the abstract's 'adversarial training reduces network capacity': the sign of "
                   + CAPACITY_PROXY + "; theory side: the fall of the mean-field kappa = omega^L - s^(2L) with the "
                   "variance (the paper's definition of capacity is not available)")
ALLEVIATION = ("proxy for the abstract's 'network width alleviates these issues': |E| is smaller at the larger of two "
               "widths at the same eta, eps and number of steps, E being {proxy}; theory side (derived): the ODE's "
               "rate constant carries 1/N, so r(t) depends on t/N alone and an effect that grows in time shrinks "
               "with width")
TRAINED_FROM_CRITICALITY = ("after the profile's l2 adversarial training (train_steps steps of size train_eta) from "
                            "criticality for vanilla nets (omega = 1), bias-free ReLU, K = 1")
def _claim(name: str, arch: str, quantity: str, lhs: str, latex: str, rhs: sp.Expr, tolerance: sp.Expr,
           regime: str, provenance: str, comparison: str = "ratio", kind: str = "trajectory", source: str = SOURCE,
           **params) -> Claim:
    """A Section 6 claim ``meanfield.dyn.<name>.<arch>``; ``rhs`` is written in the paper's symbols, and the
    keyword ``defined`` says what they are (``theory.building.claim``)."""
    return claim(f"meanfield.dyn.{name}.{arch}", PLACE, quantity, lhs, latex, rhs, provenance, source, regime,
                 paper=PAPER, comparison=comparison, tolerance=tolerance, kind=kind, arch=arch, **params)


def _defined(arch: str, beta_value: sp.Expr = BETA_22) -> tuple[tuple[sp.Symbol, sp.Expr], ...]:
    return dyn.configuration_definitions(arch, beta_value)


def euler(arch: str, exact: bool) -> Claim:
    """<W_l, grad_l L_adv> / L_adv: exactly 1 for bias-free vanilla nets, the branch share for residual ones."""
    if exact:
        return _claim("euler", arch, "euler_ratio_envelope",
                      "(|W_l'|^2 - |W_l|^2 - eta^2 |g_l|^2)/(-2 eta L_adv)",
                      r"\frac{\Delta\|W_l\|_F^2 - \eta^2\|\nabla_l\|_F^2}{-2\eta L_{adv}}",
                      dyn.euler_ratio(arch), FLOAT_TOLERANCE,
                      "bias-free vanilla network, every step, layer and network (exact: Euler's theorem for a "
                      "function of degree 1 in W_l)", "derived", kind="equality", defined=_defined(arch),
                      design=DynamicsDesign.MAP)
    return _claim("euler", arch, "euler_ratio_mean", "<W_l, grad_l L_adv>/L_adv",
                  r"\langle W_l, \nabla_{W_l} L_{adv}\rangle / L_{adv}", dyn.euler_ratio(arch),
                  FINITE_WIDTH, "residual network at initialisation (a heuristic: exact in expectation for a "
                  "squared loss)", "derived", kind="equality", defined=_defined(arch),
                  design=DynamicsDesign.MAP)


def ode(arch: str, power: sp.Expr = L / 2, width_scaling: bool = True) -> Claim:
    """sigma_w^2 - sigma^2(T) against the ODE's solution at the horizon T (the regime map over N and eta eps)."""
    defined = dyn.configuration_definitions(arch, BETA_22, width_scaling, power)
    return _claim("ode", arch, "variance_drop", "sigma_w2 - sigma^2(t)", r"\sigma_w^2 - \sigma^2(t)", dyn.DROP,
                  FINITE_WIDTH, EARLY + "; L in {2, 4} for residual networks (explicit dsolve solution)",
                  "derived", defined=defined, curve=sp.Lambda(t, expand_definitions(dyn.DROP, defined)),
                  band=FINITE_WIDTH, design=DynamicsDesign.MAP)


def width(arch: str, width_scaling: bool = True) -> Claim:
    """d log(rate) / d log N = -1: the variance moves as 1/N (width alleviates the effects of training)."""
    exponent = dyn.width_exponent(dyn.initial_rate(arch, BETA_22, width_scaling=width_scaling))
    return _claim("width", arch, "variance_rate_width_slope", "dlog(-dsigma^2/dt)/dlog N",
                  r"\partial_{\log N} \log(-\dot\sigma^2)", exponent, WIDTH_TOLERANCE,
                  "initial rate (first steps, small eta), widths of the profile", "derived", comparison="difference",
                  kind="trend", source=WIDTH_SOURCE, design=DynamicsDesign.WIDTH)


#: (p, q) and the exact beta each varies: d through the dual norm of a single output row, K through the max entry
BETA_PAIRS = {(2, 2): BETA_22, (sp.oo, 2): dyn.beta_single_output(sp.oo), (1, sp.oo): dyn.beta_max_entry()}


def beta_dependence(arch: str, pair: str) -> Claim:
    """The initial rate -dsigma^2/dt = c r0^(L/2)/alpha (vanilla) with c carrying beta_{p,q}(d, K)
    (``pair`` as in claim ids: '2_2', 'oo_2', '1_oo')."""
    (p, q), = [key for key in BETA_PAIRS if pair_name(*key) == pair]
    axis, design = ("K", DynamicsDesign.BETA_K) if (p, q) == (1, sp.oo) else ("d", DynamicsDesign.BETA_D)
    return _claim(f"beta.{pair_name(p, q)}", arch, "variance_rate", "-dsigma^2/dt (t = 0)", r"-\dot\sigma^2(0)",
                  dyn.rate_abstract(arch), FINITE_WIDTH,
                  f"initial rate; {axis} varied, beta_{{p,q}} exact (K = 1, or p = 1, q = oo)", "derived",
                  defined=_defined(arch, BETA_PAIRS[(p, q)]), source=BETA_SOURCE, design=design,
                  p=str(p), q=str(q))


def trainability(arch: str) -> Claim:
    """After adversarial training clean gradients vanish with depth for vanilla nets, not for residual ones."""
    return _claim("trainability", arch, "clean_gradient_depth_slope", "sign(dlog|grad_W1 clean|/dL)",
                  r"\operatorname{sign} \partial_L \log\|\nabla_{W_1} \ell_{clean}\|",
                  dyn.trainability(arch), sp.Integer(0), TRAINED_FROM_CRITICALITY + "; depths of the profile",
                  "proxy", comparison="sign", kind="trend", defined=_defined(arch), source=TRAINABILITY_SOURCE,
                  design=DynamicsDesign.DEPTHS)


def capacity(arch: str) -> Claim:
    """Adversarial training reduces capacity: the best clean-task loss is higher after it than without it."""
    return _claim("capacity", arch, "clean_loss_log_ratio", "sign(log(best clean loss after/without))",
                  r"\operatorname{sign} \log(\ell^{*}_{after} / \ell^{*}_{none})",
                  sp.sign(dyn.capacity_reduction(arch)), sp.Integer(0),
                  TRAINED_FROM_CRITICALITY + "; the same clean training from the trained and the initial weights",
                  "proxy", comparison="sign", kind="trend", defined=_defined(arch), source=CAPACITY_SOURCE,
                  design=DynamicsDesign.CAPACITY)


def trainability_width(arch: str) -> Claim:
    """Width alleviates the trainability effect: adversarial training changes the depth slope of the clean
    gradient norm less at a larger width (same eta, eps, steps), because the variance moves as 1/N."""
    return _claim("trainability_width", arch, "clean_gradient_width_alleviation",
                  "sign(|D slope|(N') - |D slope|(N))",
                  r"\operatorname{sign}\big(|\Delta_{AT}\, \partial_L \log\|\nabla_{W_1} \ell_{clean}\||_{N'}"
                  r" - |\Delta_{AT}\, \partial_L \log\|\nabla_{W_1} \ell_{clean}\||_{N}\big)",
                  dyn.width_alleviation(dyn.trainability_effect(arch), arch), sp.Integer(0),
                  TRAINED_FROM_CRITICALITY + "; depths of the profile at widths N' < N (dynamics.narrow_N, by default "
                  "N/4); Delta_AT: the change the training causes, per network the depth slope of log(||grad after|| / "
                  "||grad before||)",
                  "proxy", comparison="sign", kind="trend", defined=_defined(arch),
                  source=ALLEVIATION.format(proxy="the change that adversarial training causes in " + GRADIENT_PROXY),
                  design=DynamicsDesign.DEPTHS_WIDTH)


def capacity_width(arch: str) -> Claim:
    """Width alleviates the capacity effect: adversarial training changes the best clean-task loss less at a
    larger width (same eta, eps, steps), because the variance moves as 1/N."""
    return _claim("capacity_width", arch, "clean_loss_width_alleviation",
                  "sign(|log(l*_after/l*_none)|(N') - |log(l*_after/l*_none)|(N))",
                  r"\operatorname{sign}\big(|\log(\ell^{*}_{after} / \ell^{*}_{none})|_{N'}"
                  r" - |\log(\ell^{*}_{after} / \ell^{*}_{none})|_{N}\big)",
                  dyn.width_alleviation(dyn.capacity_reduction(arch), arch), sp.Integer(0),
                  TRAINED_FROM_CRITICALITY + "; widths N' < N (dynamics.narrow_N, by default N/4) at the profile's L",
                  "proxy", comparison="sign", kind="trend", defined=_defined(arch),
                  source=ALLEVIATION.format(proxy=CAPACITY_PROXY), design=DynamicsDesign.CAPACITY_WIDTH)
