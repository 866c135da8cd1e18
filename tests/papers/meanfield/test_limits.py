"""Theorem 4.1 judged in the limit N -> oo: each limit claim on a small ladder of real networks, and its planted
twin (the variance or the kurtosis scaled by 0.8), which must come out VIOLATED.

The ladder is N = 32, 64, 128 at L = 2, d = K = 8, with 256 networks per rung.  There the limit's interval is about
+-0.07 for the Jacobian variance and kurtosis and +-0.16 for the bias variance, at delta = 1e-3.  A plant at 0.8
puts r_inf near 1.25, far outside both the truth and the band 1 +- 0.02, so the twin is VIOLATED unless the
interval misses by more than three standard errors (probability < 1e-3; the seed is fixed).
"""
from __future__ import annotations

import dataclasses

import pytest

from theory.papers.meanfield import THEOREM_4_1_LIMITS
from theory.registry import REGISTRY
from tests.papers.meanfield.undecided import assert_undecided_but_close
from verify.catalog import entry
from verify.profiles import get_profile
from verify.suite import Suite
from verify.verdict import Status

pytestmark = pytest.mark.slow

SMALL = {"networks": 256, "jacobian.ladder": [32, 64, 128], "N": [128], "L": [2], "d": 8, "K": 8}


@pytest.fixture(scope="module")
def suite():
    return Suite(get_profile("quick").with_overrides(SMALL), seed=0, device="cpu", keep_samples=True)


@pytest.mark.parametrize("arch", ["vanilla", "residual"])
@pytest.mark.parametrize("name", THEOREM_4_1_LIMITS)
def test_a_limit_claim_scaled_by_0_8_is_violated(suite, arch, name):
    claim = REGISTRY[f"meanfield.thm4_1.{name}.limit.{arch}"]
    verdict = suite.check(claim)
    assert_undecided_but_close(verdict, within=0.15)
    assert all(config["extras"]["ladder"] == [32, 64, 128] for config in verdict.configs)
    planted = dataclasses.replace(claim, rhs=0.8 * claim.rhs, abstract=None, definitions=())
    assert suite.check(planted).status is Status.VIOLATED


def test_the_limit_twin_shares_its_widest_rung_with_the_fixed_width_claim(suite):
    """The rung at the configured N is the fixed-width claim's own job: the ladder adds only the narrower rungs."""
    plan = suite.plan([entry(REGISTRY["meanfield.thm4_1.jacobian_variance.vanilla"]),
                       entry(REGISTRY["meanfield.thm4_1.jacobian_variance.limit.vanilla"])])
    fixed, limit = plan.claims
    assert fixed.all_keys < limit.all_keys
    assert len(limit.all_keys - fixed.all_keys) == 2 * len(fixed.all_keys)  # two narrower rungs per configuration
