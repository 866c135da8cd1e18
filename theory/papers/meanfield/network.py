"""Architecture specs: one ``NetworkSpec`` feeds both the SymPy prediction and the torch model.

The activation is the ReLU-like phi(z) = u z (z >= 0), v z (z < 0).  alpha is *derived* from it as
E[phi'(Z)^2] for a symmetric pre-activation Z, not typed in, so the torch builder (which lambdifies phi') and
the theory cannot drift apart.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from theory.papers.meanfield.bounds import NETWORK_OPTIONS
from theory.papers.meanfield.spec import Architecture, NetworkSpec, SpecError  # noqa: F401 (re-exported)
from theory.symbols import alpha, omega, sigma_w2, u, v, z

ARCHITECTURES: tuple[Architecture, ...] = NETWORK_OPTIONS["arch"]

#: phi(z) and its slope D(z) = phi'(z): the diagonal of the D matrices in J = P_out D W ... D W P_in
ACTIVATION = sp.Piecewise((u * z, z >= 0), (v * z, True))
SLOPE = sp.diff(ACTIVATION, z)


@lru_cache(maxsize=None)
def derive_alpha() -> sp.Expr:
    """alpha = E[phi'(Z)^2], Z ~ N(0, 1): the variance gain of one D matrix (sign-symmetric pre-activations).

    phi' is piecewise constant, so the expectation is the sum over its pieces of value^2 times the Gaussian
    probability of the piece (SymPy computes each from the law of Z; a fifth of the time of integrating the
    Piecewise).  Derived on first use, so importing the specs costs nothing (sympy.stats loads here, not at import:
    check-bound parses a bound before it).
    """
    import sympy.stats as sps

    Z = sps.Normal("Z", 0, 1)
    total, covered = sp.Integer(0), sp.false
    for value, condition in SLOPE.args:
        if value.has(z):
            raise ValueError(f"the activation's slope must be piecewise constant, got the piece {value}")
        total += value**2 * sps.P(sp.And(condition, sp.Not(covered)).subs(z, Z))
        covered = sp.Or(covered, condition)
    return sp.simplify(total)


#: propagation factor omega per architecture as seed 001 states it, in terms of the symbol alpha
OMEGA_STATED: dict[str, sp.Expr] = {
    "vanilla": alpha * sigma_w2,
    "residual": 1 + alpha * sigma_w2,
}


def __getattr__(name: str):
    """``ALPHA`` (alpha from the activation) and ``OMEGA`` (omega per architecture with alpha written out),
    derived when first asked for."""
    if name == "ALPHA":
        return derive_alpha()
    if name == "OMEGA":
        return {arch: expr.subs(alpha, derive_alpha()) for arch, expr in OMEGA_STATED.items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def definitions(arch: str) -> tuple[tuple[sp.Symbol, sp.Expr], ...]:
    """(omega, its stated form in alpha), (alpha, its form in u, v): substituted in this order."""
    return ((omega, omega_of(arch, stated=True)), (alpha, derive_alpha()))


def expand(expr: sp.Expr, arch: str) -> sp.Expr:
    """``expr`` with the architecture's omega and the activation's alpha written out."""
    for symbol, value in definitions(arch):
        expr = expr.subs(symbol, value)
    return expr


def omega_of(arch: str, stated: bool = False) -> sp.Expr:
    """The architecture's omega in (u, v, sigma_w2), or with ``stated`` in (alpha, sigma_w2) as the seed writes it."""
    try:
        expr = OMEGA_STATED[arch]
    except KeyError:
        raise SpecError(f"architecture {arch!r} is unknown; allowed: {', '.join(ARCHITECTURES)}") from None
    return expr if stated else expr.subs(alpha, derive_alpha())
