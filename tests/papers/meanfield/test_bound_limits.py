"""Theorem 5.1's bound judged in the limit N -> oo (``bound_claims.bound_limits``): PGD on every rung of the
network-norm ladder, the widest rung shared with the fixed-width bound claim, and a planted twin.

The ladder is N = 16, 32, 64 at L = 1, d = 8, K = 4, with 32 PGD networks per rung (8 steps, 2 restarts).  PGD's
loss over the bound is about 1 there (a vanilla ReLU network is near-linear in a ball of 10% of |x_0|), with an
interval of about +-0.1 on r_inf.  The twin's bound scaled by 0.8 puts r_inf near 1.25, beyond the bound's margin
1.02 by more than three standard errors (a miss has probability < 1e-3; the seed is fixed), so it is VIOLATED.
"""
from __future__ import annotations

import dataclasses

import pytest

from numerics.papers.meanfield.figures import summarize_limits
from theory.registry import REGISTRY
from verify.catalog import entry
from verify.profiles import get_profile
from verify.suite import Suite
from verify.verdict import Status

pytestmark = pytest.mark.slow

SMALL = {"N": [64], "L": [1], "norms.d": 8, "norms.K": 4, "norms.networks": 32, "norms.inputs": 2,
         "norms.pgd_networks": 32, "norms.pgd_steps": 8, "norms.pgd_restarts": 2, "norms.certificate_networks": 1,
         "norms.reference_matrices": 2000, "norms.ladder": [16, 32, 64]}


@pytest.fixture(scope="module")
def suite():
    return Suite(get_profile("quick").with_overrides(SMALL), seed=0, device="cpu", keep_samples=True)


def test_the_bound_in_the_limit_and_its_twin_scaled_by_0_8(suite):
    claim = REGISTRY["meanfield.thm5_1.bound.2_2.limit.vanilla"]
    verdict = suite.check(claim)
    assert verdict.status is not Status.VIOLATED and 0.85 < verdict.statistic < 1.15
    (config,) = verdict.configs
    assert config["extras"]["ladder"] == [16, 32, 64] and config["comparison"] == "at_most"
    planted = dataclasses.replace(claim, rhs=0.8 * claim.rhs, abstract=None, definitions=())
    assert suite.check(planted).status is Status.VIOLATED
    (row,) = summarize_limits([], None, [verdict])["bound_limits"]  # the figure's row: labelled by its pair
    assert row["label"] == "2_2" and row["arch"] == "vanilla" and row["widths"] == [16, 32, 64]


def test_the_widest_rung_is_the_fixed_width_bound_claims_own_job(suite):
    plan = suite.plan([entry(REGISTRY["meanfield.thm5_1.bound.2_2.vanilla"]),
                       entry(REGISTRY["meanfield.thm5_1.bound.2_2.limit.vanilla"])])
    fixed, limit = plan.claims
    assert fixed.all_keys < limit.all_keys and len(limit.all_keys) == 3
    assert all("rung" not in key for key in limit.all_keys)  # PGD on every rung, not the norms-only rungs
