"""Researchers' bounds on the mean-field paper's quantities, property-tested with the ``verify.testing`` plugin.

One true bound and one false one (``xfail(strict=True)``: the search must find its counterexample).
"""
import pytest

from verify.testing import assert_bound


def test_chevet_with_gaussian_concentration_bounds_one_gaussian_matrix():
    # ||G||_{2->2} <= sqrt(K) + sqrt(d) + r fails with probability <= exp(-r^2/2): 1.5e-8 per example at r = 6
    assert_bound("(sqrt(K) + sqrt(d) + 6)/sqrt(d)", "meanfield.gaussian_opnorm", p="2", q="2", examples=100)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="0.7 of the mean-field bound: the attack exceeds it")
def test_seventy_percent_of_the_mean_field_bound_fails():
    assert_bound("0.7*eps*(1 + sqrt(K/d))*sqrt(omega**L)", "meanfield.adv_loss", p="2", q="2", examples=100,
                 domain={"L": (1, 2), "d": (2, 6)})
