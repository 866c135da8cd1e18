"""How a theory expression is shown: LaTeX for the report, Unicode for the terminal, from the same SymPy object.

Both printers know the project's symbol names (``LATEX_NAMES``) and drop the undefined branch of a Piecewise
(a ``nan`` value, e.g. "no explicit solution at other depths"): the remaining branches state their conditions,
so a reader sees where the formula is defined instead of a "NaN otherwise" line.
"""
from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

from theory.symbols import LATEX_NAMES


def defined(expr: sp.Basic) -> sp.Basic:
    """``expr`` with every Piecewise branch whose value is nan removed (the others keep their conditions)."""
    def trim(piecewise: sp.Piecewise) -> sp.Basic:
        kept = [(value, condition) for value, condition in piecewise.args if value is not sp.nan]
        return sp.Piecewise(*kept, evaluate=False) if kept and len(kept) < len(piecewise.args) else piecewise

    return expr.replace(lambda e: isinstance(e, sp.Piecewise), trim) if isinstance(expr, sp.Basic) else expr


class TheoryPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the project's symbol names set once; Piecewise without its nan branch."""

    def __init__(self, settings: dict | None = None) -> None:
        super().__init__({"symbol_names": LATEX_NAMES, **(settings or {})})

    def doprint(self, expr) -> str:
        return super().doprint(defined(expr))


def latex(expr, names: dict | None = None) -> str:
    """``expr`` as LaTeX; ``names`` adds symbol names (e.g. a claim's left-hand side)."""
    return TheoryPrinter({"symbol_names": {**LATEX_NAMES, **(names or {})}}).doprint(expr)


def pretty(expr) -> str:
    """``expr`` in Unicode mathematics for a terminal (two-dimensional where SymPy needs it)."""
    return sp.pretty(defined(expr), use_unicode=True, wrap_line=False)
