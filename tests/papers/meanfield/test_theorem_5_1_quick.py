"""Theorem 5.1's acceptance twins at the quick profile's own sizes: the mean-field bound and the first-step
certificate, each scaled by 0.8, are caught for every (p, q) on the very sample the quick run judges (vanilla
networks; ``test_planted_bounds`` covers both architectures with a cheaper sample and wider plants).

Why 0.8 is caught there: PGD's mean loss sits at 0.96-1.04 of the bound with a 0.999 interval of about +-0.07, so
the bound x 0.8 puts the interval near 1.2-1.3, above the band's edge 1 + sqrt(L/N) = 1.088; the certificate's
statistic is the largest ratio over its networks, 0.86-0.93 of eps max_k ||J_k||, so x 0.8 exceeds 1.
"""
from __future__ import annotations

import dataclasses

import pytest

from theory.papers.meanfield.norms import PAIRS, pair_name
from theory.registry import REGISTRY
from verify.profiles import get_profile
from verify.suite import Suite
from tests.papers.meanfield.undecided import assert_undecided_but_close
from verify.verdict import Status

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def suite():
    return Suite(get_profile("quick"), seed=0, device="cpu", keep_samples=True)


@pytest.mark.parametrize("p, q", PAIRS)
@pytest.mark.parametrize("family", ["bound", "step1"])
def test_the_bound_and_its_first_step_scaled_by_0_8_are_caught(suite, family, p, q):
    claim = REGISTRY[f"meanfield.thm5_1.{family}.{pair_name(p, q)}.vanilla"]
    assert_undecided_but_close(suite.check(claim), within=0.15)
    planted = dataclasses.replace(claim, rhs=0.8 * claim.rhs, abstract=None, definitions=())
    assert suite.check(planted).status is Status.VIOLATED
