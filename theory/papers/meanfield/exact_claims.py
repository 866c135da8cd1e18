"""Theorem 5.1's first step checked against the exact adversarial loss of small networks.

L_adv(x) = max_{||eta||_p <= eps} ||f(x + eta) - f(x)||_q is computed exactly by a MILP for p, q in {1, oo}
(its certified value L^- and dual bound L^+ agree within ``MILP_TOLERANCE``).  On every sampled network the
sandwich
    PGD <= L_adv <= eps max_k ||J_k||_{p->q}      (J_k: the Jacobians of the linear pieces along x + t eta*)
must hold: the left side because an attack only finds achievable values, the right side because
f(x + eta*) - f(x) = sum_k (t_{k+1} - t_k) J_k eta*.  The statistic is max over networks of
max(PGD / L^+, L^- / (eps max_k ||J_k||)), judged at most 1 within the MILP's tolerance: a deterministic
certificate per sampled network (its interval is degenerate), not a Monte Carlo estimate.  How close PGD comes
(PGD / L_adv) and how far the mean-field bound eps beta_{p,q} sqrt(omega^L) sits above are reported beside it.
"""
from __future__ import annotations

import sympy as sp

from theory.claims import Claim, expand_definitions
from theory.papers.meanfield.claims import PAPER
from theory.papers.meanfield.network import definitions
from theory.papers.meanfield.norms import pair_name
from theory.papers.meanfield.recursions import JACOBIAN

#: the norms the MILP handles (polyhedral balls and polyhedral objectives)
MILP_ORDERS = (1, sp.oo)
#: the relative agreement of the MILP's certified value and dual bound; the sandwich is judged within it
MILP_TOLERANCE = sp.Rational(1, 10**6)

#: per network: max(PGD / L^+, L^- / (eps max_k ||J_k||)), maximised over the networks
SANDWICH = sp.Symbol("max(PGD/L+, L-/(eps max|J_k|))")
REGIME = ("deterministic certificate on each sampled network (degenerate interval: the statistic is a maximum over "
          "the networks, not an estimate): small networks (d <= 8, N <= 16, L <= 3, K <= 3) at initialisation, "
          "one input x_0, eps a fraction of ||x_0||_p; J_k are the linear pieces along the segment to the exact "
          "maximiser")
SOURCE = ("Theorem 5.1, first step L_adv <= eps max_x ||J(x)||_{p,q} (as the summaries of the paper state it), "
          "checked against the exact adversarial loss by mixed-integer programming; the sandwich with PGD and the "
          "segment's pieces is derived here")


def sandwich(arch: str) -> list[Claim]:
    """PGD <= exact L_adv <= eps max_k ||J_k||_{p->q} on every network, for every (p, q) the MILP handles."""
    defined = definitions(arch)
    # the mean-field scale of J: entries of variance omega^L / d (Theorem 4.1), so J ~ sqrt(omega^L / d) G
    prefactor = expand_definitions(sp.sqrt(JACOBIAN.closed_form()), defined)
    claims = []
    for p in MILP_ORDERS:
        for q in MILP_ORDERS:
            claims.append(Claim(
                id=f"meanfield.thm5_1.exact.{pair_name(p, q)}.{arch}", paper=PAPER, place="Theorem 5.1 (first step)",
                kind="upper_bound", quantity="exact_sandwich", lhs=SANDWICH,
                lhs_latex=(r"\max_{\text{nets}} \max\left(\frac{\mathrm{PGD}}{L_{adv}^{+}}, "
                           rf"\frac{{L_{{adv}}^{{-}}}}{{\epsilon \max_k \|J_k\|_{{{sp.latex(p)}\to{sp.latex(q)}}}}}"
                           r"\right)"),
                rhs=sp.Integer(1), tolerance=MILP_TOLERANCE, regime=REGIME, provenance="derived", source=SOURCE,
                arch=arch, comparison="at_most",
                params=(("p", str(p)), ("q", str(q)), ("prefactor", prefactor))))
    return claims
