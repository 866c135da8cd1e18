"""Kumano, Kera, Yamasaki, "Adversarial Training from Mean Field Perspective" (NeurIPS 2023).

Theorem 4.1 (the linear-like representation), the Gaussian-matrix facts behind Theorem 5.1 (beta_{p,q}),
Theorem 5.1 at the network level, and the values and trends seed 001 states.

Theorem 4.1.

For large width N and any fixed input x, f(x) = J(x) x + a(x) with J and a independent, entries i.i.d.
Gaussian, Var J_ij = omega^L / d, Var a_i = alpha sigma_b^2 sum_{k=1}^L omega^{k-1}, and a law that does not
depend on x.  Each statement becomes one claim per architecture.

Finite width: fluctuations of the Jacobian are log-normal with log-variance ~ L/N (Hanin & Nica 2019), so
every claim is judged against tau = sqrt(L/N) (a derived tolerance, stated with each verdict).
"""
from __future__ import annotations

from dataclasses import replace
from functools import cache, partial

import sympy as sp
import sympy.stats as sps

from theory.claims import Claim, expand_definitions
from theory.limits import RATIO_MARGIN, Limit
from theory.papers.meanfield.designs import GaussianDesign, JacobianDesign
from theory.papers.meanfield.network import definitions
from theory.papers.meanfield.norms import PAIRS, SEED_BETA, chevet, delta, oo, pair_name, tail
from theory.papers.meanfield.recursions import BIAS, JACOBIAN
from theory.symbols import L, N, alpha, d, omega

PAPER = "Kumano, Kera, Yamasaki (NeurIPS 2023)"
PLACE = "Theorem 4.1"
REGIME = ("large width N >> L, random network at initialisation, any fixed input x (the theorem as stated restricts "
          "neither sigma_w2 nor sigma_b2)")
#: the bias variance's regime: where the stated formula is also judged, and what a VIOLATED there means
BIAS_REGIME = (REGIME + "; judged also at the first configuration with the larger bias variances of the settings' "
               "bias_sigma_b2.  For residual networks with u != v the stated variance misses a cross term "
               "2 mu_m E[D y] that survives infinite width (meanfield.thm4_1.bias_variance_derived), so a VIOLATED there is "
               "a finding against the theorem as stated, not a finite-width effect")
#: the claim param that judges a claim at the bias variances of the settings' bias_sigma_b2 too
BIAS_VARIANCES = (("design", JacobianDesign.BIAS_VARIANCES),)
FINITE_WIDTH_TOLERANCE = sp.sqrt(L / N)
#: the limit of the claims judged as limits: N -> oo with the O(L/N) finite-width rate
WIDTH_LIMIT = Limit()

#: the law the theorem states for the entries; its kurtosis is what the Gaussianity claims measure
GAUSSIAN_KURTOSIS = sps.kurtosis(sps.Normal("X", 0, 1))

def _lhs(text: str, latex: str) -> tuple[sp.Symbol, str]:
    return sp.Symbol(text), latex


VAR_J = _lhs("Var(J_ij)", r"\operatorname{Var} J_{ij}")
VAR_A = _lhs("Var(a_i)", r"\operatorname{Var} a_{i}")
KURT_J = _lhs("Kurt(J_ij)", r"\operatorname{Kurt} J_{ij}")
KURT_A = _lhs("Kurt(a_i)", r"\operatorname{Kurt} a_{i}")
RANK_CORR = _lhs("rho_S(|J_i.|, |a_i|)", r"\rho_S(|J_{i\cdot}|, |a_i|)")
INPUT_RATIO = _lhs("Var(J_ij(x'))/Var(J_ij(x))", r"\operatorname{Var} J_{ij}(x') / \operatorname{Var} J_{ij}(x)")
BIAS_INPUT_RATIO = _lhs("Var(a_i(x'))/Var(a_i(x))", r"\operatorname{Var} a_{i}(x') / \operatorname{Var} a_{i}(x)")


STATED = "Theorem 4.1, as the summaries of the paper state it"


def as_limit(claim: Claim) -> Claim:
    """A claim about N -> oo judged as one: ``<name>.limit.<arch>``, on the ladder of widths, r_inf
    against 1 +- the ratio margin (the fixed-width claim stays: its verdict is the finite-width map at N)."""
    head, arch = claim.id.rsplit(".", 1)
    return replace(claim, id=f"{head}.limit.{arch}", quantity=f"{claim.quantity}_limit",
                   tolerance=sp.nsimplify(RATIO_MARGIN), regime=f"{claim.regime}; {WIDTH_LIMIT.describe()}",
                   params=(*claim.params, ("limit", WIDTH_LIMIT)))


def theorem_4_1_claim(arch: str, name: str, kind, quantity: str, lhs, rhs, comparison: str = "ratio", *,
                      regime: str = REGIME, provenance: str = "stated", source: str = STATED,
                      tolerance: sp.Expr = FINITE_WIDTH_TOLERANCE, params=()) -> Claim:
    """One claim ``meanfield.thm4_1.<name>.<arch>``; a right-hand side in omega or alpha is also kept in those symbols,
    with their definitions for the architecture."""
    symbol, latex = lhs
    defined = definitions(arch) if rhs.free_symbols & {omega, alpha} else ()
    return Claim(
        id=f"meanfield.thm4_1.{name}.{arch}", paper=PAPER, place=PLACE, kind=kind, quantity=quantity, lhs=symbol,
        lhs_latex=latex, rhs=expand_definitions(rhs, defined) if defined else rhs,
        abstract=rhs if defined else None, definitions=defined, tolerance=tolerance, regime=regime,
        provenance=provenance, source=source, arch=arch, comparison=comparison, params=params,
    )


@cache  # built once: its limit twins (``theorem41_claims.limits``) derive from the same claims
def theorem_4_1(arch: str) -> list[Claim]:
    """The Theorem 4.1 claims for one architecture (x-independence is checked for J and for a)."""
    claim = partial(theorem_4_1_claim, arch)
    return [
        claim("jacobian_variance", "equality", "jacobian_entry_variance", VAR_J, JACOBIAN.closed_form()),
        claim("bias_variance", "equality", "bias_entry_variance", VAR_A, BIAS.closed_form(), regime=BIAS_REGIME,
              params=BIAS_VARIANCES),
        claim("jacobian_gaussian", "distribution", "jacobian_entry_kurtosis", KURT_J, GAUSSIAN_KURTOSIS),
        claim("bias_gaussian", "distribution", "bias_entry_kurtosis", KURT_A, GAUSSIAN_KURTOSIS),
        claim("independence", "distribution", "jacobian_bias_rank_correlation", RANK_CORR, sp.Integer(0),
              comparison="difference"),
        claim("input_independence", "distribution", "jacobian_variance_input_ratio", INPUT_RATIO, sp.Integer(1)),
        claim("bias_input_independence", "distribution", "bias_variance_input_ratio", BIAS_INPUT_RATIO,
              sp.Integer(1)),
    ]


#: failure probability of the high-probability bounds checked here
TAIL_DELTA = sp.Rational(1, 10**6)
SEED_SOURCE = "a summary of the paper (its list of derived upper bounds)"


#: the Gaussian-matrix shapes of the profile that the Chevet and tail claims are checked at
BETA_SHAPES = ("design", GaussianDesign.BETA_SHAPES)


def _pair_params(p, q) -> tuple[tuple[str, object], ...]:
    return (("p", str(p)), ("q", str(q)))


def gaussian_level() -> list[Claim]:
    """Chevet's expectation bound and its concentration tail, for every pair (pure mathematics: must hold)."""
    claims = []
    for p, q in PAIRS:
        name = pair_name(p, q)
        norm = sp.Symbol(f"E||G||_{name}")
        claims.append(Claim(
            id=f"meanfield.beta.{name}.chevet", paper="Chevet (1978)", place="Chevet's inequality",
            kind="upper_bound", quantity="gaussian_opnorm_mean", lhs=norm,
            lhs_latex=rf"\mathbb{{E}}\|G\|_{{{sp.latex(p)}\to{sp.latex(q)}}}", rhs=chevet(p, q),
            tolerance=sp.Integer(0), regime="any K, d (G is K x d with i.i.d. N(0, 1) entries)", provenance="derived",
            source="Chevet's inequality for a Gaussian matrix, in its p->q form", comparison="at_most",
            params=(*_pair_params(p, q), BETA_SHAPES)))
        claims.append(Claim(
            id=f"meanfield.beta.{name}.tail", paper="Gaussian concentration",
            place="Lipschitz concentration of ||G||", kind="upper_bound", quantity="gaussian_opnorm_exceedances",
            lhs=sp.Symbol(f"P(||G||_{name} > tail)"),
            lhs_latex=rf"P(\|G\|_{{{sp.latex(p)}\to{sp.latex(q)}}} > T_\delta)", rhs=TAIL_DELTA,
            tolerance=sp.Integer(0), regime="any K, d; tail T_delta = Chevet + s_p t_q sqrt(2 ln(1/delta))",
            provenance="derived", source="Gaussian concentration of a Lipschitz function of G (its norm)",
            comparison="rate_at_most",
            params=(*_pair_params(p, q), BETA_SHAPES, ("threshold", tail(p, q).subs(delta, TAIL_DELTA)))))
    return claims


def theorem_5_1(arch: str) -> list[Claim]:
    """Network level: E||J(x)||_{p->q} = sqrt(omega^L / d) E||G||_{p->q}, the Theorem 4.1 corollary the proof of
    Theorem 5.1 uses (not the bound: ``bound_claims`` has it).  A statement about N -> oo, judged as one: on the
    network-norm experiment's ladder of widths, extrapolated (``theory.limits``)."""
    defined = definitions(arch)
    prefactor = sp.sqrt(omega**L / d)
    claims = []
    for p, q in PAIRS:
        name = pair_name(p, q)
        claims.append(Claim(
            id=f"meanfield.thm5_1.{name}.{arch}", paper=PAPER, place="Theorem 5.1 (the Theorem 4.1 corollary its proof uses)",
            kind="equality",
            quantity="network_opnorm_ratio_limit", lhs=sp.Symbol(f"E||J(x)||_{name}/E||G||_{name}"),
            lhs_latex=rf"\mathbb{{E}}\|J(x)\|_{{{sp.latex(p)}\to{sp.latex(q)}}} / "
                      rf"\mathbb{{E}}\|G\|_{{{sp.latex(p)}\to{sp.latex(q)}}}",
            rhs=expand_definitions(prefactor, defined), abstract=prefactor, definitions=defined,
            tolerance=sp.nsimplify(RATIO_MARGIN), regime=REGIME + "; one fixed input; " + WIDTH_LIMIT.describe(),
            provenance="derived", arch=arch,
            source="the corollary of Theorem 4.1 (J ~ sqrt(omega^L/d) G at one input) on which the proof of Theorem "
                   "5.1 rests, as the summaries relay that proof; not the bound itself",
            params=(*_pair_params(p, q), ("prefactor", expand_definitions(prefactor, defined)),
                    ("limit", WIDTH_LIMIT))))
    return claims


def seed_values() -> list[Claim]:
    """The four beta values seed 001 states, as upper bounds of E||G||_{p->q}/sqrt(d), registered as written."""
    return [Claim(
        id=f"seed001.beta.{pair_name(p, q)}", paper=PAPER, place="Theorem 5.1 coefficients (as summarised)",
        kind="upper_bound", quantity="gaussian_beta", lhs=sp.Symbol(f"beta_{pair_name(p, q)}"),
        lhs_latex=rf"\beta_{{{sp.latex(p)},{sp.latex(q)}}}", rhs=value, tolerance=sp.Integer(0),
        regime="the regime map: every (K, d) of the profile's seed shapes, K >= 2 (where only the p = 1 values can "
               "approach, as K -> oo limits); the values in their own regimes are seed001.beta.2_2.k1 and "
               "seed001.beta.*.limit" + (" (this one as written; read as beta_{1,oo} it is a limit)"
                                         if (p, q) == (oo, 2) else ""), provenance="seed",
        source=SEED_SOURCE, comparison="at_most",
        params=(*_pair_params(p, q), ("design", GaussianDesign.SEED_SHAPES)))
        for (p, q), value in SEED_BETA.items()]


def dimension_trends() -> list[Claim]:
    """Seed 001: larger input dimension d lowers the bound, larger output dimension K raises it (per pair)."""
    claims = []
    for p, q in PAIRS:
        name = pair_name(p, q)
        for axis, sign, words in (("d", -1, "lowers"), ("K", 1, "raises")):
            claims.append(Claim(
                id=f"seed001.dims.{axis}.{name}", paper=PAPER, place="dimension effects (as summarised)", kind="trend",
                quantity="gaussian_beta_slope", lhs=sp.Symbol(f"sign(dlog beta_{name}/dlog {axis})"),
                lhs_latex=rf"\operatorname{{sign}} \partial_{{\log {axis}}} \log \beta_{{{sp.latex(p)},{sp.latex(q)}}}",
                rhs=sp.Integer(sign), tolerance=sp.Integer(0), regime=f"larger {axis} {words} the bound",
                provenance="seed", source=SEED_SOURCE, comparison="sign",
                params=(*_pair_params(p, q), ("design", GaussianDesign.trend(axis)))))
    return claims


