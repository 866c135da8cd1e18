"""Lyu & Zhu, "Implicit Bias of Adversarial Training for Deep Neural Networks" (ICLR 2022; seed 003): the margin
problems, robust margins and homogeneity identities (``margins``), the claims (``claims``), and the quantities a
bound can be checked on (``quantities``)."""
from __future__ import annotations

from functools import partial
from importlib import import_module

from theory.claims import ClaimGroup, Paper

DEEP_LINEAR = ("dln.l2.direction", "dln.l2.beyond_margin", "dln.l2.robust_margin", "dln.alignment.rank_one",
               "dln.alignment.adjacent", "dln.linf.mixed_direction", "dln.linf.literal", "dln.rate_vs_clean")
HOMOGENEOUS = ("hom.kkt.l2", "hom.kkt.linf", "hom.margin_monotone")


def _build(function: str) -> list:
    return getattr(import_module(f"{__name__}.claims"), function)()


def _claims() -> list[ClaimGroup]:
    return [ClaimGroup(tuple(f"implicit_bias.{name}" for name in names), partial(_build, function))
            for names, function in ((DEEP_LINEAR, "deep_linear"), (HOMOGENEOUS, "homogeneous"))]


PAPER = Paper(key="implicit_bias", title="Implicit Bias of Adversarial Training for Deep Neural Networks",
              authors="Lyu, Zhu", venue="ICLR 2022", claims=_claims,
              quantities=("direction_error", "margin_deficit"),
              build_quantities=lambda: import_module(f"{__name__}.quantities").QUANTITIES)
