"""Li & Li, "Adversarial Training Can Provably Improve Robustness: Theoretical Analysis of Feature Learning Process
Under Structured Data" (ICLR 2025; seed 002): the reconstructed model R-inf's mathematics (``model``), the
claims (``claims``) and the quantities a bound can be checked on (``quantities``)."""
from __future__ import annotations

from importlib import import_module

from theory.claims import ClaimGroup, Paper

IDS = ("st.nonrobust_features", "st.clean", "st.not_robust", "st.feature_direction", "st.pgd_dense_block",
       "st.threshold", "at.paired_features", "at.robust_features", "at.clean",
       "at.feature_robust", "at.robust_gain", "at.robust_level", "phase.st_order", "race.recursion")


def _build() -> list:
    return import_module(f"{__name__}.claims").claims()


PAPER = Paper(key="feature_learning",
              title="Adversarial Training Can Provably Improve Robustness: Theoretical Analysis of Feature Learning "
                    "Process Under Structured Data",
              authors="Li, Li", venue="ICLR 2025",
              claims=lambda: [ClaimGroup(tuple(f"feature_learning.{name}" for name in IDS), _build)],
              quantities=("fooling_radius", "feature_ratio"),
              build_quantities=lambda: import_module(f"{__name__}.quantities").QUANTITIES)
