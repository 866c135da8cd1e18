"""Planted-error twins for the seed's beta values judged in their regimes and for the derived d-trends.

Each test judges the true claim and a planted twin on one sample: the true one comes out as the mathematics says,
the twin (a value scaled by 0.8, a bound a hair below the exact mean, a flipped sign) VIOLATED.
"""
from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from theory.papers.meanfield.norms import PAIRS, beta_chevet, pair_name
from theory.registry import REGISTRY
from theory.symbols import K, d
from verify.profiles import get_profile
from verify.suite import Suite
from verify.verdict import Status

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def suite():
    return Suite(get_profile("quick").with_overrides({"gaussian.matrices": 1000}), seed=0, device="cpu",
                 keep_samples=True)


def scaled(claim, factor):
    """The claim with its value (and the limit value its figures divide by) scaled by ``factor``."""
    params = tuple((name, sp.Lambda(K, factor * value.expr) if name == "value" else value)
                   for name, value in claim.params)
    return dataclasses.replace(claim, rhs=factor * claim.rhs, abstract=None, definitions=(), params=params)


def test_beta_2_2_bounds_the_mean_at_k_1_up_to_d_1000_and_a_hair_less_does_not(suite):
    claim = REGISTRY["seed001.beta.2_2.k1"]
    verdict = suite.check(claim)
    assert verdict.status is Status.HOLDS
    assert max(config["config"]["d"] for config in verdict.configs) == 1000
    assert suite.check(scaled(claim, 0.8)).status is Status.VIOLATED
    # E chi_d / sqrt(d) = 1 - 1/(4d) + O(d^-2): the bound 1 - 1/(2d) lies below the mean at every d
    below = dataclasses.replace(claim, rhs=1 - 1 / (2 * d))
    assert suite.check(below).status is Status.VIOLATED


def test_beta_2_2_stops_holding_at_k_2_where_chevet_still_holds(suite):
    claim = REGISTRY["seed001.beta.2_2.k_map"]
    verdict = suite.check(claim)
    assert verdict.status is Status.VIOLATED
    assert [c["status"] for c in verdict.configs][0] == "HOLDS" and verdict.smallest_violation["K"] == 2
    assert suite.check(dataclasses.replace(claim, rhs=beta_chevet(2, 2))).status is Status.HOLDS


@pytest.mark.parametrize("reading", ["1_2", "1_1", "oo_2.as_1_oo"])
def test_p_1_values_hold_as_limits_and_a_limit_scaled_by_0_8_is_violated(suite, reading):
    claim = REGISTRY[f"seed001.beta.{reading}.limit"]
    verdict = suite.check(claim)
    assert verdict.status is Status.HOLDS
    assert verdict.figures["within_from_K"] <= max(verdict.configs[0]["config"]["sweep"], key=lambda s: s["K"])["K"]
    assert suite.check(scaled(claim, 0.8)).status is Status.VIOLATED


@pytest.mark.parametrize("p, q", PAIRS)
def test_derived_d_trend_holds_and_its_flipped_sign_is_violated(suite, p, q):
    claim = REGISTRY[f"meanfield.beta.trend.d.{pair_name(p, q)}"]
    assert suite.check(claim).status is Status.HOLDS
    assert suite.check(dataclasses.replace(claim, rhs=-claim.rhs)).status is Status.VIOLATED
