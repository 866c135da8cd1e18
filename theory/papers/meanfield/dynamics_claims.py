"""Kumano, Kera, Yamasaki (NeurIPS 2023), Section 6: weight variance under adversarial training, trainability,
capacity and width, as claims (the formulas live in ``theory.papers.meanfield.dynamics``).

The paper states that its predictions match experiments in early training; these claims measure where.
Training here is bias-free (sigma_b2 = 0: the Euler identity needs it), with p = q = 2 and K = 1 unless the
claim varies them, so beta_{p,q} is known exactly (``dynamics.beta_single_output``).
"""
from __future__ import annotations

import sympy as sp

from theory.papers.meanfield import dynamics as dyn
from theory.claims import Claim, expand_definitions
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
#: the designs of ``verify.profiles.DynamicsSettings`` each claim is checked on
DESIGN = "design"


def _claim(name: str, arch: str, quantity: str, lhs: str, latex: str, rhs: sp.Expr, tolerance: sp.Expr,
           regime: str, provenance: str, comparison: str = "ratio", kind: str = "trajectory",
           defined: tuple[tuple[sp.Symbol, sp.Expr], ...] = (), **params) -> Claim:
    """A Section 6 claim; ``rhs`` is written in the paper's symbols, ``defined`` says what they are."""
    return Claim(id=f"mf.dyn.{name}.{arch}", paper=PAPER, place=PLACE, kind=kind, quantity=quantity,
                 lhs=sp.Symbol(lhs), lhs_latex=latex, rhs=expand_definitions(rhs, defined),
                 abstract=rhs if defined else None, definitions=defined, tolerance=tolerance, regime=regime,
                 provenance=provenance, source=SOURCE, arch=arch, comparison=comparison,
                 params=tuple(params.items()))


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
                      **{DESIGN: "map"})
    return _claim("euler", arch, "euler_ratio_mean", "<W_l, grad_l L_adv>/L_adv",
                  r"\langle W_l, \nabla_{W_l} L_{adv}\rangle / L_{adv}", dyn.euler_ratio(arch),
                  FINITE_WIDTH, "residual network at initialisation (a heuristic: exact in expectation for a "
                  "squared loss)", "derived", kind="equality", defined=_defined(arch),
                  **{DESIGN: "map"})


def ode(arch: str, power: sp.Expr = L / 2, width_scaling: bool = True) -> Claim:
    """sigma_w^2 - sigma^2(T) against the ODE's solution at the horizon T (the regime map over N and eta eps)."""
    defined = dyn.configuration_definitions(arch, BETA_22, width_scaling, power)
    return _claim("ode", arch, "variance_drop", "sigma_w2 - sigma^2(t)", r"\sigma_w^2 - \sigma^2(t)", dyn.DROP,
                  FINITE_WIDTH, EARLY + "; L in {2, 4} for residual networks (explicit dsolve solution)",
                  "derived", defined=defined, curve=sp.Lambda(t, expand_definitions(dyn.DROP, defined)),
                  band=FINITE_WIDTH, **{DESIGN: "map"})


def width(arch: str, width_scaling: bool = True) -> Claim:
    """d log(rate) / d log N = -1: the variance moves as 1/N (width alleviates the effects of training)."""
    exponent = dyn.width_exponent(dyn.initial_rate(arch, BETA_22, width_scaling=width_scaling))
    return _claim("width", arch, "variance_rate_width_slope", "dlog(-dsigma^2/dt)/dlog N",
                  r"\partial_{\log N} \log(-\dot\sigma^2)", exponent, WIDTH_TOLERANCE,
                  "initial rate (first steps, small eta), widths of the profile", "stated", comparison="difference",
                  kind="trend", **{DESIGN: "width"})


#: (p, q) and the exact beta each varies: d through the dual norm of a single output row, K through the max entry
BETA_PAIRS = {(2, 2): BETA_22, (sp.oo, 2): dyn.beta_single_output(sp.oo), (1, sp.oo): dyn.beta_max_entry()}


def beta_dependence(arch: str, pair: str) -> Claim:
    """The initial rate -dsigma^2/dt = c r0^(L/2)/alpha (vanilla) with c carrying beta_{p,q}(d, K)
    (``pair`` as in claim ids: '2_2', 'oo_2', '1_oo')."""
    (p, q), = [key for key in BETA_PAIRS if pair_name(*key) == pair]
    axis = "K" if (p, q) == (1, sp.oo) else "d"
    return _claim(f"beta.{pair_name(p, q)}", arch, "variance_rate", "-dsigma^2/dt (t = 0)", r"-\dot\sigma^2(0)",
                  dyn.rate_abstract(arch), FINITE_WIDTH,
                  f"initial rate; {axis} varied, beta_{{p,q}} exact (K = 1, or p = 1, q = oo)", "stated",
                  defined=_defined(arch, BETA_PAIRS[(p, q)]), **{DESIGN: f"beta_{axis}"}, p=str(p), q=str(q))


def trainability(arch: str) -> Claim:
    """After adversarial training clean gradients vanish with depth for vanilla nets, not for residual ones."""
    return _claim("trainability", arch, "clean_gradient_depth_slope", "sign(dlog|grad_W1 clean|/dL)",
                  r"\operatorname{sign} \partial_L \log\|\nabla_{W_1} \ell_{clean}\|",
                  dyn.trainability(arch), sp.Integer(0),
                  "after the profile's adversarial training from criticality (vanilla omega = 1)",
                  "stated", comparison="sign", kind="trend", defined=_defined(arch), **{DESIGN: "depths"})


def capacity(arch: str) -> Claim:
    """Adversarial training reduces capacity: the best clean-task loss is higher after it than without it."""
    return _claim("capacity", arch, "clean_loss_log_ratio", "sign(log(best clean loss after/without))",
                  r"\operatorname{sign} \log(\ell^{*}_{after} / \ell^{*}_{none})",
                  sp.sign(dyn.capacity_reduction(arch)), sp.Integer(0),
                  "random two-layer teacher; the same clean training from the trained and the initial weights",
                  "stated", comparison="sign", kind="trend", defined=_defined(arch),
                  **{DESIGN: "capacity"})


