"""LaTeX for plain text and numbers, without SymPy: the report's tables and the comparisons' band texts
(``theory.comparisons``) share it, and the comparisons load before SymPy does."""
from __future__ import annotations

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def escape(text) -> str:
    """Plain text (ids, sources, notes) made safe for LaTeX."""
    return "".join(_SPECIAL.get(ch, ch) for ch in str(text))


def number(x, digits: int = 4) -> str:
    """A number for a table: ``--`` for none, 4 significant digits, powers of ten as LaTeX."""
    if x is None:
        return "--"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"${mantissa}\\cdot 10^{{{int(exponent)}}}$" if mantissa != "1" else f"$10^{{{int(exponent)}}}$"
    return text


def in_math(x, digits: int = 4) -> str:
    """``number`` written inside math mode (no dollars of its own)."""
    return number(x, digits).strip("$")
