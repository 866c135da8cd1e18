"""The designs a Lyu & Zhu claim picks: which runs of ``implicit_bias.deep_linear`` and ``implicit_bias.
homogeneous`` judge it (plain Python, no SymPy; the settings dispatch on the member)."""
from __future__ import annotations

from enum import StrEnum


class LinearDesign(StrEnum):
    L2 = "l2"  # fgm on gaussian data at the judged fractions of gamma and the control, per depth
    LINF = "linf"  # fgsm on sparse data, per depth
    RATE = "rate"  # fgm against clean training at constant steps, per depth


class Norm(StrEnum):
    """The perturbation norm of an attack (the homogeneous runs are chosen by it: one run per attack)."""

    L2 = "l2"
    LINF = "linf"
