"""Theorem 5.1 itself, beside the Theorem 4.1 corollary its proof uses (``claims.theorem_5_1``).

- ``step_one``: the exact first step L_adv(x) <= eps max_x' ||J(x')||_{p,q}, certified per network on the
  segment from x_0 to PGD's perturbation (its linear pieces are walked exactly; a maximum over the segment is
  at most the one over R^d, so the certificate implies the step);
- ``bound``: E L_adv <= eps beta_{p,q} sqrt(omega^L) with beta_{p,q} := E||G||_{p->q} / sqrt(d), the exact mean of
  a K x d standard Gaussian matrix (the form is inferred: the coefficient is cut off in the available text);
- ``bound_limits``: the bound judged in the limit N -> oo, on a ladder of widths with PGD on every rung;
- ``seed_bound``: the same bound with seed 001's beta_{2,2} = 1, in that value's regime K = 1 (where it holds for
  every d, since E chi_d < sqrt(d)).

The bound's beta is a Monte Carlo mean, so the claims compare E L_adv / (eps beta) with sqrt(omega^L); the
statement prints beta's definition beside it.
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp
from sympy.printing.pretty.stringpict import prettyForm

from theory.claims import Claim, expand_definitions
from theory.papers.meanfield.claims import FINITE_WIDTH_TOLERANCE, PAPER, REGIME, SEED_SOURCE, as_limit
from theory.papers.meanfield.network import definitions
from theory.papers.meanfield.norms import PAIRS, SEED_BETA, pair_name
from theory.symbols import L, d, eps, omega


class Mean(sp.Function):
    """E[X] over the random networks (or matrices): printed as a blackboard E."""

    nargs = 1

    def _latex(self, printer) -> str:
        return r"\mathbb{E}\," + printer._print(self.args[0])

    def _pretty(self, printer) -> prettyForm:
        return prettyForm(*printer._print(self.args[0]).left("𝔼 "))

    def _sympystr(self, printer) -> str:
        return f"E[{printer._print(self.args[0])}]"


class OperatorNorm(sp.Function):
    """||A||_{p->q}, the l_p -> l_q operator norm of a matrix A."""

    nargs = 3

    def _latex(self, printer) -> str:
        A, p, q = (printer._print(arg) for arg in self.args)
        return rf"\|{A}\|_{{{p}\to {q}}}"

    def _pretty(self, printer) -> prettyForm:
        A, p, q = ("".join(printer._print(arg).picture) for arg in self.args)
        return prettyForm(f"‖{A}‖_{p}→{q}")

    def _sympystr(self, printer) -> str:
        A, p, q = (printer._print(arg) for arg in self.args)
        return f"||{A}||_{p}->{q}"


class Beta(sp.Indexed):
    """beta_{p,q}: an indexed symbol (a free symbol, so its definition prints beside a claim that uses it)."""

    def _latex(self, printer) -> str:
        return rf"\beta_{{{','.join(printer._print(i) for i in self.indices)}}}"

    def _pretty(self, printer) -> prettyForm:
        return prettyForm("β_" + ",".join("".join(printer._print(i).picture) for i in self.indices))


#: the adversarial loss (PGD's, a lower estimate of L_adv) at the reference input x_0
L_ADV = sp.Symbol("L_adv", nonnegative=True)
#: a K x d matrix with i.i.d. N(0, 1) entries
G = sp.Symbol("G")
BETA = sp.IndexedBase("beta", positive=True)

#: the floating-point slack of the certificate: PGD searches in float32, so ||eta*||_p <= eps (1 + ~1e-7); the
#: rest (pieces, norms, f) is float64
CERTIFICATE_TOLERANCE = sp.Rational(1, 10**6)


def beta(p, q) -> tuple[sp.Indexed, sp.Expr]:
    """beta_{p,q} and its definition E||G||_{p->q} / sqrt(d)."""
    return Beta(BETA, p, q), Mean(OperatorNorm(G, p, q)) / sp.sqrt(d)


def _params(p, q, *more) -> tuple:
    return (("p", str(p)), ("q", str(q)), *more)


def step_one(arch: str) -> list[Claim]:
    """Per network and pair: ||f(x_0 + eta*) - f(x_0)||_q <= eps max_k ||J(x_k)||_{p,q} over the segment's pieces."""
    claims = []
    for p, q in PAIRS:
        P, Q = sp.latex(p), sp.latex(q)
        claims.append(Claim(
            id=f"meanfield.thm5_1.step1.{pair_name(p, q)}.{arch}", paper=PAPER, place="Theorem 5.1 (first step)",
            kind="upper_bound", quantity="theorem_5_1_certificate",
            lhs=sp.Symbol(f"max ||f(x0+eta*)-f(x0)||_{Q}/(eps max_k ||J(x_k)||_{P}->{Q})".replace("\\infty", "oo")),
            lhs_latex=rf"\max_{{\mathrm{{networks}}}} \frac{{\|f(x_0+\eta^*)-f(x_0)\|_{{{Q}}}}}"
                      rf"{{\epsilon \max_k \|J(x_k)\|_{{{P}\to {Q}}}}}",
            rhs=sp.Integer(1), tolerance=CERTIFICATE_TOLERANCE,
            regime="every network: x_k runs over the linear pieces of f on the segment x_0 -> x_0 + eta* (eta*: PGD's "
                   "perturbation, ||eta*||_p <= eps), walked exactly; a per-draw certificate, so the statistic is "
                   "the largest ratio over the certified networks and its interval is that point (degenerate, not "
                   "an estimate); tau is floating-point slack (float32 PGD, float64 pieces)",
            provenance="stated", arch=arch, comparison="at_most", params=_params(p, q),
            source="Theorem 5.1's first step, L_adv(x) <= eps max_x' ||J(x')||_{p,q}, as the summaries of the paper "
                   "state it; checked with the maximum over the segment to PGD's perturbation, which is at most the "
                   "maximum over all x'"))
    return claims


def bound(arch: str) -> list[Claim]:
    """E L_adv^PGD(x_0) / (eps beta_{p,q}) <= sqrt(omega^L): the bound eps beta_{p,q} sqrt(omega^L) on the mean loss,
    beta_{p,q} the exact Gaussian mean (estimated from the experiment's reference matrices)."""
    defined = definitions(arch)
    scale = sp.sqrt(omega**L)
    claims = []
    for p, q in PAIRS:
        symbol, value = beta(p, q)
        claims.append(Claim(
            id=f"meanfield.thm5_1.bound.{pair_name(p, q)}.{arch}", paper=PAPER, place="Theorem 5.1",
            kind="upper_bound", quantity="adversarial_loss_over_beta", lhs=Mean(L_ADV) / (eps * symbol),
            rhs=expand_definitions(scale, defined), abstract=scale, definitions=((symbol, value), *defined),
            tolerance=FINITE_WIDTH_TOLERANCE, comparison="at_most", arch=arch, params=_params(p, q),
            regime=REGIME + "; mean over networks of PGD's loss at one input x_0 (a lower estimate of L_adv), "
                            "eps_p a fixed fraction of ||x_0||_p; the statistic is PGD / bound (the tightness)",
            provenance="derived",
            source="Theorem 5.1's bound L_adv <= eps beta_{p,q} sqrt(omega^L) in the form inferred from the available "
                   "text (its coefficient is cut off there), with beta_{p,q} the exact Gaussian mean "
                   "E||G||_{p->q}/sqrt(d)"))
    return claims


#: the claim param that puts a bound's limit on rungs with PGD (the corollary's rungs draw norms only)
ATTACKED_RUNGS = ("attacked_rungs", True)


def bound_limits(arch: str) -> list[Claim]:
    """The bound judged as a limit, ``meanfield.thm5_1.bound.<p>_<q>.limit.<arch>``: E L_adv^PGD / (eps beta) on
    each rung of the network-norm ladder (PGD on every rung), extrapolated to N -> oo, against sqrt(omega^L)
    (1 + the ratio margin); the fixed-width bound claims stay, as the finite-width map at N."""
    return [as_limit(replace(claim, params=(*claim.params, ATTACKED_RUNGS))) for claim in bound(arch)]


#: the output dimension of seed 001's beta_{2,2} = 1: E||G||_{2->2} / sqrt(d) = E chi_d / sqrt(d) < 1 at K = 1
SEED_K = 1


def seed_bound(arch: str) -> Claim:
    """E L_adv^PGD(x_0) / eps <= beta_{2,2} sqrt(omega^L) with seed 001's beta_{2,2} = 1, judged at K = 1."""
    defined = definitions(arch)
    symbol, _ = beta(2, 2)
    shown = symbol * sp.sqrt(omega**L)
    definitions_used = ((symbol, SEED_BETA[(2, 2)]), *defined)
    return Claim(
        id=f"seed001.thm5_1.2_2.{arch}", paper=PAPER, place="Theorem 5.1 coefficients (as summarised)",
        kind="upper_bound", quantity="adversarial_loss_per_radius", lhs=Mean(L_ADV) / eps,
        rhs=expand_definitions(shown, definitions_used), abstract=shown, definitions=definitions_used,
        tolerance=FINITE_WIDTH_TOLERANCE, comparison="at_most", arch=arch,
        params=_params(2, 2, ("K", SEED_K)),
        regime=f"the stated value's regime K = {SEED_K} (there E||G||_{{2->2}}/sqrt(d) = E chi_d/sqrt(d) < 1 for every "
               "d); " + REGIME + "; mean over networks of PGD's loss at one input x_0",
        provenance="seed", source=SEED_SOURCE)
