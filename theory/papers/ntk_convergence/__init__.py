"""Gao, Cai, Li, Wang, Hsieh, Lee, "Convergence of Adversarial Training in Overparametrized Neural Networks"
(NeurIPS 2019; seed 004): the two-layer bounds with explicit constants (``bounds``), the claims (``claims``) and
the quantities a bound can be checked on (``quantities``)."""
from __future__ import annotations

from functools import partial
from importlib import import_module

from theory.claims import ClaimGroup, Paper

IDS = ("lin.bound", "lin.exponent", "lin.tightness", "ogd.regret", "ogd.rate", "thm.surrogate", "thm.any_attack",
       "ball.reach", "lazy.movement", "capacity.ratio_grows")


def _build() -> list:
    return import_module(f"{__name__}.claims").claims()


PAPER = Paper(key="ntk_convergence", title="Convergence of Adversarial Training in Overparametrized Neural Networks",
              authors="Gao, Cai, Li, Wang, Hsieh, Lee", venue="NeurIPS 2019",
              claims=lambda: [ClaimGroup(tuple(f"ntk_convergence.{name}" for name in IDS), partial(_build))],
              quantities=("linearisation_error", "ogd_regret"),
              build_quantities=lambda: import_module(f"{__name__}.quantities").QUANTITIES)
