"""Researchers' bounds on Li & Li's quantities (ICLR 2025, the reconstructed model R-inf), property-tested with the
``verify.testing`` plugin.

One true bound and one false one (``xfail(strict=True)``: the search must find its counterexample).
"""
import pytest

from verify.testing import assert_bound

#: two classes and few neurons: each example is one training run of about half a second
SMALL = {"k": (2, 2), "m": (8, 16)}


def test_the_feature_attack_needs_ninety_percent_of_the_threshold():
    # the weaker class of a trained network flips a few percent below beta / sqrt(D), never 10 % below
    assert_bound("0.9*beta/sqrt(D)", "feature_learning.fooling_radius", lower=True, examples=10, domain=SMALL,
                 fooled="any")


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="beta / sqrt(D) is exact for equal class coefficients; trained classes are unequal")
def test_the_threshold_bounds_the_fooling_radius_of_a_trained_network_fails():
    assert_bound("beta/sqrt(D)", "feature_learning.fooling_radius", lower=True, examples=10, domain=SMALL,
                 fooled="any")
