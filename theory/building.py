"""One builder of a paper's claims: the columns write a claim as its id, place, measured quantity, left-hand side
(text and LaTeX), right-hand side, provenance, source and regime, and bind their paper once (``builder``).

``defined``: the right-hand side is written in the paper's symbols, which these definitions expand (the claim
keeps both, so the paper's form prints); every other keyword is a claim param (``Claim.params``), in order.
"""
from __future__ import annotations

from functools import partial
from typing import Callable

import sympy as sp

from theory.claims import Claim, expand_definitions


def claim(id: str, place: str, quantity: str, lhs: str, latex: str, rhs: sp.Expr, provenance: str, source: str,
          regime: str, *, paper: str, comparison="at_most", tolerance: sp.Expr = sp.Integer(0),
          kind: str | None = None, arch: str | None = None, defined: tuple[tuple[sp.Symbol, sp.Expr], ...] = (),
          **params) -> Claim:
    """A claim whose left-hand side is the symbol named ``lhs`` (printed as ``latex``)."""
    return Claim(id=id, paper=paper, place=place, quantity=quantity, lhs=sp.Symbol(lhs), lhs_latex=latex,
                 rhs=expand_definitions(rhs, defined) if defined else rhs, abstract=rhs if defined else None,
                 definitions=defined, tolerance=tolerance, regime=regime, provenance=provenance, source=source,
                 arch=arch, comparison=comparison, kind=kind, params=tuple(params.items()))


def builder(paper: str, **defaults) -> Callable[..., Claim]:
    """``claim`` with the paper, and any keyword the paper's claims share by default, bound."""
    return partial(claim, paper=paper, **defaults)
