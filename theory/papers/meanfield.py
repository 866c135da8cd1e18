"""Kumano, Kera, Yamasaki, "Adversarial Training from Mean Field Perspective" (NeurIPS 2023): Theorem 4.1.

For large width N and any fixed input x, f(x) = J(x) x + a(x) with J and a independent, entries i.i.d.
Gaussian, Var J_ij = omega^L / d, Var a_i = alpha sigma_b^2 sum_{k=1}^L omega^{k-1}, and a law that does not
depend on x.  Each statement becomes one claim per architecture.

Finite width: fluctuations of the Jacobian are log-normal with log-variance ~ L/N (Hanin & Nica 2019), so
every claim is judged against tau = sqrt(L/N) (a derived tolerance, stated with each verdict).
"""
from __future__ import annotations

import sympy as sp
import sympy.stats as sps

from theory.claims import Claim, expand_definitions
from theory.network import ALPHA, ARCHITECTURES, omega_of
from theory.recursions import BIAS, JACOBIAN
from theory.symbols import L, N, alpha, omega

PAPER = "Kumano, Kera, Yamasaki (NeurIPS 2023)"
PLACE = "Theorem 4.1"
REGIME = ("large width N >> L, random network at initialisation, any fixed input x; small bias variance "
          "sigma_b2 << sigma_w2 |x|^2/d (the mean-field step treats each ReLU gate D_l as independent of its own "
          "bias b_l; for residual networks that correlation survives infinite width)")
FINITE_WIDTH_TOLERANCE = sp.sqrt(L / N)

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


def theorem_4_1(arch: str) -> list[Claim]:
    """The Theorem 4.1 claims for one architecture (x-independence is checked for J and for a)."""

    definitions = ((omega, omega_of(arch, stated=True)), (alpha, ALPHA))

    def claim(name: str, kind, quantity: str, lhs, rhs, comparison="ratio") -> Claim:
        symbol, latex = lhs
        return Claim(
            id=f"mf.thm4_1.{name}.{arch}", paper=PAPER, place=PLACE, kind=kind, quantity=quantity, lhs=symbol,
            lhs_latex=latex, rhs=expand_definitions(rhs, definitions), abstract=rhs if rhs.free_symbols else None,
            definitions=definitions if rhs.free_symbols else (), tolerance=FINITE_WIDTH_TOLERANCE, regime=REGIME,
            provenance="stated", source="seed 001; THEORY.md section 2", arch=arch, comparison=comparison,
        )

    return [
        claim("jacobian_variance", "equality", "jacobian_entry_variance", VAR_J, JACOBIAN.closed_form()),
        claim("bias_variance", "equality", "bias_entry_variance", VAR_A, BIAS.closed_form()),
        claim("jacobian_gaussian", "distribution", "jacobian_entry_kurtosis", KURT_J, GAUSSIAN_KURTOSIS),
        claim("bias_gaussian", "distribution", "bias_entry_kurtosis", KURT_A, GAUSSIAN_KURTOSIS),
        claim("independence", "distribution", "jacobian_bias_rank_correlation", RANK_CORR, sp.Integer(0),
              comparison="difference"),
        claim("input_independence", "distribution", "jacobian_variance_input_ratio", INPUT_RATIO, sp.Integer(1)),
        claim("bias_input_independence", "distribution", "bias_variance_input_ratio", BIAS_INPUT_RATIO,
              sp.Integer(1)),
    ]


CLAIMS = [c for arch in ARCHITECTURES for c in theorem_4_1(arch)]
