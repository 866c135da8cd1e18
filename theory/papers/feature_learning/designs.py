"""The designs a Li & Li claim picks: which runs of ``feature_learning.patches`` judge it (plain Python, no
SymPy; the settings dispatch on the member)."""
from __future__ import annotations

from enum import StrEnum


class PatchDesign(StrEnum):
    MAIN = ""  # the calibrated run C* alone
    ST = "st"  # the calibrated run and the race design (v loses the race)
    AT = "at"  # the calibrated run and the kill design (one-step AT may not start)
