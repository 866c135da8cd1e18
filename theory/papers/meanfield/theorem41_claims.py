"""Theorem 4.1 beyond its variances: the statements of the theorem the variance claims (``claims.theorem_4_1``)
leave unchecked, and the bias variance the project derives where the stated one fails.

- the entries are i.i.d.: squared entries sharing a row or a column are uncorrelated (stated), and the finite-width
  correlation shrinks as N grows (derived: the shared factors P_out[i] and the hidden layers average out);
- the entries are Gaussian: an Anderson-Darling test of J and of a (stated; judged with its power);
- the law does not depend on x: a two-sample test of J and of a at two inputs (stated);
- J and a are independent, at the paper's K = 1 (stated);
- Var a_i from the infinite-width map of ``residual_bias``, cross term included (derived).
"""
from __future__ import annotations

from functools import cache, partial

import sympy as sp
import sympy.stats as sps

from theory.claims import Claim
from theory.papers.meanfield.claims import BIAS_VARIANCES, REGIME, VAR_A, _lhs, as_limit, theorem_4_1, theorem_4_1_claim
from theory.papers.meanfield.residual_bias import bias_variance

#: the null law of the Gaussianity tests: the standard normal CDF at t, from its law
t = sp.Symbol("t", real=True)
STANDARD_NORMAL_CDF = sps.cdf(sps.Normal("Z", 0, 1))(t)
#: the narrower width each configuration is compared with (halved where the configured N is not above it)
LOW_WIDTH = 64

ROW_CORR = _lhs("corr(J_ij^2, J_ij'^2)", r"\operatorname{corr}(J_{ij}^2, J_{ij'}^2)")
COLUMN_CORR = _lhs("corr(J_ij^2, J_i'j^2)", r"\operatorname{corr}(J_{ij}^2, J_{i'j}^2)")
WIDTH_TREND = _lhs("sign(rho(N) - rho(N_low))",
                   r"\operatorname{sign}\left[\bar\rho(N) - \bar\rho(N_{\mathrm{low}})\right]")
LAW_J = _lhs("F_{J_ij/s}(t)", r"F_{J_{ij}/s_J}(t)")
LAW_A = _lhs("F_{a_i/s}(t)", r"F_{a_{i}/s_a}(t)")
LAW_J_TWO = _lhs("F_{J_ij(x_1)}(t)", r"F_{J_{ij}(x_1)}(t)")
LAW_A_TWO = _lhs("F_{a_i(x_1)}(t)", r"F_{a_{i}(x_1)}(t)")
K1_CORR = _lhs("corr(J_1j^2, a_1^2) at K=1", r"\operatorname{corr}(J_{1j}^2, a_1^2)\big|_{K=1}")


@cache  # built once: its limit twins (``theorem41_claims.limits``) derive from the same claims
def completion(arch: str) -> list[Claim]:
    """The claims for one architecture, in the order the verdict table lists them."""

    claim = partial(theorem_4_1_claim, arch)

    zero, test = sp.Integer(0), {"comparison": "test", "tolerance": sp.Integer(0)}
    law = ("; tested on one entry per row of every network (distinct rows and columns: i.i.d. under the theorem), "
           "n = K B, each divided by their root mean square")
    two = ("; raw entries at x_0 on the first half of the networks against those at x_1 on the second half (one "
           "entry per row), so the two samples are independent")
    return [
        claim("entry_independence.row", "distribution", "jacobian_row_square_correlation", ROW_CORR, zero,
              "difference", regime=REGIME + "; pooled over the pairs j != j' of every row and over networks"),
        claim("entry_independence.column", "distribution", "jacobian_column_square_correlation", COLUMN_CORR, zero,
              "difference", regime=REGIME + "; pooled over the pairs i != i' of every column and over networks (needs "
                                            "K >= 2)"),
        claim("entry_independence.width", "trend", "jacobian_square_correlation_width_change", WIDTH_TREND,
              sp.Integer(-1), "sign", provenance="derived", tolerance=zero, params=(("low_width", LOW_WIDTH),),
              regime=f"each configuration against its twin at N_low = min({LOW_WIDTH}, N/2); rho is the mean of the "
                     "row and the column correlation of squared entries",
              source="finite-width dependence of the entries (shared P_out rows and hidden layers, O(L/N)) must "
                     "vanish as N grows for the theorem's i.i.d. entries to hold in the limit"),
        claim("jacobian_anderson_darling", "distribution", "jacobian_anderson_darling", LAW_J, STANDARD_NORMAL_CDF,
              regime=REGIME + law, **test),
        claim("bias_anderson_darling", "distribution", "bias_anderson_darling", LAW_A, STANDARD_NORMAL_CDF,
              regime=REGIME + law, **test),
        claim("jacobian_law_two_inputs", "distribution", "jacobian_law_two_inputs", LAW_J_TWO,
              sp.Function("F_{J_{ij}(x_0)}")(t), regime=REGIME + two, **test),
        claim("bias_law_two_inputs", "distribution", "bias_law_two_inputs", LAW_A_TWO, sp.Function("F_{a_i(x_0)}")(t),
              regime=REGIME + two, **test),
        claim("independence_k1", "distribution", "jacobian_bias_square_correlation", K1_CORR, zero, "difference",
              params=(("K", 1),), regime=REGIME + "; the first configuration at K = 1 (the paper's output "
                                                  "dimension), pooled over the d entries of the row"),
        claim("bias_variance_derived", "equality", "bias_entry_variance", VAR_A, bias_variance(arch), "ratio",
              provenance="derived", params=BIAS_VARIANCES,
              regime="large width N >> L, random network at initialisation, the reference input x_0 with "
                     "||x_0||^2 = d; any sigma_b2, judged also at the settings' bias_sigma_b2",
              source="the infinite-width map of (q_h, mu_h, q_m, mu_m, <m, h>/N) layer by layer, cross term "
                     "2 mu_m E[D y] included (zero without a skip connection, where it is the stated formula)"),
    ]


def limits(arch: str) -> list[Claim]:
    """The ``THEOREM_4_1_LIMITS`` claims of one architecture (the variances, the paper's bias formula and the
    derived one, and the entries' kurtosis), each as its N -> oo twin (``claims.as_limit``)."""
    from theory.papers.meanfield import THEOREM_4_1_LIMITS  # the package's names (it imports this module lazily)

    named = {claim.id: claim for claim in (*theorem_4_1(arch), *completion(arch))}
    return [as_limit(named[f"meanfield.thm4_1.{name}.{arch}"]) for name in THEOREM_4_1_LIMITS]
