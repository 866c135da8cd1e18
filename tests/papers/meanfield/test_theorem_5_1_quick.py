"""Theorem 5.1's acceptance twins with the quick profile's attack and samples: the mean-field bound and the
first-step certificate, each scaled by 0.8, are caught for every (p, q) (vanilla networks; ``test_planted_bounds``
covers both architectures with a cheaper attack and wider plants).

The sample is the quick profile's network-norm sample (48 PGD networks, 20 steps, 8 restarts, eps = 0.1 ||x_0||_p,
4000 reference matrices, 8 certified networks, d = 12, K = 4) on networks of width N = 128 and depth L = 1
instead of 512 and 4: the same L/N, so the same band sqrt(L/N) = 0.088 and a network-to-network spread of the
mean-field statistics of the same order, at 1/64 of PGD's arithmetic (the quick sizes took about a minute).  The
sample's other part, the Jacobian norms of 128 networks at 16 inputs, enters neither claim: 48 networks at one
input.

Why 0.8 is caught there: PGD's mean loss sits at 1.06-1.09 of the bound with a 0.999 interval of about +-0.09
(0.98-1.05 and +-0.07 at the quick sizes), so the bound x 0.8 puts the interval's low end near 1.2, above the
band's edge 1 + sqrt(L/N) = 1.088; the certificate's statistic is the largest ratio over its networks, 0.94-1.0
of eps max_k ||J_k|| (0.83-0.94 at the quick sizes), so x 0.8 exceeds 1.
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
    smaller = {"N": [128], "L": [1], "norms.networks": 48, "norms.inputs": 1}
    return Suite(get_profile("quick").with_overrides(smaller), seed=0, device="cpu", keep_samples=True)


@pytest.mark.parametrize("p, q", PAIRS)
@pytest.mark.parametrize("family", ["bound", "step1"])
def test_the_bound_and_its_first_step_scaled_by_0_8_are_caught(suite, family, p, q):
    claim = REGISTRY[f"meanfield.thm5_1.{family}.{pair_name(p, q)}.vanilla"]
    assert_undecided_but_close(suite.check(claim), within=0.15)
    planted = dataclasses.replace(claim, rhs=0.8 * claim.rhs, abstract=None, definitions=())
    assert suite.check(planted).status is Status.VIOLATED
