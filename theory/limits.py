"""Claims about a limit (N -> oo): what grows, how fast the finite-width excess is expected to vanish, and the
equivalence margin the extrapolated value is judged in.

A theorem about infinite width is judged on a ladder of widths (each rung its own job and networks), extrapolated
by ``numerics.extrapolation``: the verdict is on r_inf, HOLDS when its interval lies inside 1 +- the margin,
VIOLATED when wholly outside.  The margin is stated here once per kind of claim, not per width: unlike the
finite-width tau = sqrt(L/N), it does not grow with L/N.  Plain Python: claims carry a ``Limit`` in their params.
"""
from __future__ import annotations

from dataclasses import dataclass

#: the equivalence margin of a ratio claimed to equal 1 in the limit (a variance, a mean operator norm)
RATIO_MARGIN = 0.02


@dataclass(frozen=True)
class Limit:
    """The limit a claim is about: ``variable`` grows along the experiment's ladder; ``gamma`` is the exponent
    of the finite-width term c N^-gamma where theory states it (None: fitted, with its interval); ``rate``
    says where that exponent comes from."""

    variable: str = "N"
    gamma: float | None = 1.0
    rate: str = ("moments of products of L random N x N matrices deviate from their mean-field values by O(L/N) "
                 "(log-normal fluctuations of log-variance ~ L/N, Hanin & Nica 2019): gamma = 1")

    def describe(self) -> str:
        """One line for a claim's regime."""
        exponent = f"gamma = {self.gamma:g} stated" if self.gamma is not None else "gamma fitted"
        return (f"judged in the limit {self.variable} -> oo: r({self.variable}) = r_inf + c {self.variable}^-gamma "
                f"fitted on the ladder of widths ({exponent}), r_inf within 1 +- {RATIO_MARGIN:g}")
