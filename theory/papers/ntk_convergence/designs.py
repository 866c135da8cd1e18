"""The designs a Gao et al. claim picks: which run of ``ntk_convergence.training`` judges it (plain Python, no
SymPy; the settings dispatch on the member)."""
from __future__ import annotations

from enum import StrEnum


class TrainingDesign(StrEnum):
    THEOREM = "theorem"  # PGD training in the ball of radius R, at the widths the gap is judged at
    WEAK = "weak"  # weak attacks at a radius where clean training is not robust
    LAZY = "lazy"  # unconstrained training with a fixed step
