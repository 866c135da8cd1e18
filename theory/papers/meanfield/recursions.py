"""Mean-field recursions for Theorem 4.1, solved with ``rsolve`` and checked against the stated closed forms.

Two variances propagate layer by layer (THEORY.md section 2):
  q_J(l) = omega q_J(l-1),                     q_J(0) = 1/d      (an entry of the Jacobian J)
  q_a(l) = omega q_a(l-1) + alpha sigma_b^2,   q_a(0) = 0        (an entry of the bias term a)
The per-layer gain omega is itself derived from the layer map (skip connection + D W) and compared with the
value seed 001 states.  The stated closed forms keep their Piecewise branch at criticality omega = 1, where
the rsolve solution has a removable 0/0; ``Recursion.agrees`` checks both branches.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
import sympy.stats as sps

from theory.papers.meanfield.network import SLOPE, derive_alpha
from theory.symbols import L, alpha, d, k, l, omega, sigma_b2, sigma_w2, z

q = sp.Function("q")

SKIP = {"vanilla": 0, "residual": 1}


def layer_gain(arch: str) -> sp.Expr:
    """E|h + D W t|^2 / |t|^2 per coordinate for one layer, derived by conditioning on the slope D.

    (W t)_i ~ N(0, sigma_w2 |t|^2/N) is independent of the sign pattern by sign symmetry, so
    E[(s t_i + D_i (W t)_i)^2] = s^2 t_i^2 + 2 s t_i E[D] E[(Wt)_i] + E[D^2] E[(Wt)_i^2].
    """
    skip = SKIP[arch]
    Z = sps.Normal("Z", 0, 1)
    mean_slope = sps.E(SLOPE.subs(z, Z))
    mean_g, var_g = sp.Integer(0), sigma_w2
    return sp.expand(skip**2 + 2 * skip * mean_slope * mean_g + derive_alpha() * var_g)


@dataclass(frozen=True)
class Recursion:
    """A first-order linear recurrence in the layer index l, with the closed form a paper states for it."""

    name: str
    recurrence: sp.Eq  # q(l) = ... q(l-1) ...
    initial: sp.Expr  # q(0)
    stated: sp.Expr  # closed form at l = L, as stated (may contain an unevaluated Sum)

    def solve(self) -> sp.Expr:
        """rsolve's solution, evaluated at depth L."""
        shifted = self.recurrence.lhs.subs(l, l + 1) - self.recurrence.rhs.subs(l, l + 1)
        solution = sp.rsolve(shifted, q(l), {q(0): self.initial})
        if solution is None:
            raise ArithmeticError(f"rsolve could not solve the {self.name} recursion")
        return sp.simplify(solution.subs(l, L))

    def closed_form(self) -> sp.Expr:
        """The stated form with sums evaluated; Piecewise branches (omega = 1) kept."""
        return sp.piecewise_fold(sp.simplify(self.stated.doit()))

    def agrees(self, substitutions: dict | None = None) -> bool:
        """True when rsolve's solution equals the stated closed form on every branch.

        Off criticality the difference must simplify to 0; at omega = 1 the rsolve solution's limit must equal
        the stated value there.  ``substitutions`` (e.g. omega -> 1 + alpha sigma_w2) specialise both sides.
        """
        subs = substitutions or {}
        solved = self.solve()
        stated = self.closed_form()
        generic = stated.args[-1][0] if isinstance(stated, sp.Piecewise) else stated
        if sp.simplify(solved.subs(subs) - generic.subs(subs)) != 0:
            return False
        critical_stated = stated.subs(omega, 1).subs(subs)
        critical_solved = sp.limit(solved, omega, 1).subs(subs)
        return sp.simplify(critical_solved - critical_stated) == 0


JACOBIAN = Recursion(
    name="q_J",
    recurrence=sp.Eq(q(l), omega * q(l - 1)),
    initial=1 / d,
    stated=omega**L / d,
)

BIAS = Recursion(
    name="q_a",
    recurrence=sp.Eq(q(l), omega * q(l - 1) + alpha * sigma_b2),
    initial=sp.Integer(0),
    stated=alpha * sigma_b2 * sp.Sum(omega ** (k - 1), (k, 1, L)),
)

RECURSIONS = {"jacobian": JACOBIAN, "bias": BIAS}
