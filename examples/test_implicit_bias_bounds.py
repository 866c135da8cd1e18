"""Researchers' bounds on Lyu & Zhu's quantities, property-tested with the ``verify.testing`` plugin.

One true bound and one false one (``xfail(strict=True)``: the search must find its counterexample).
"""
import pytest

from verify.testing import assert_bound


def test_the_mixed_norm_direction_error_is_at_most_the_margin_deficit_over_the_robust_margin():
    # quadratic growth of the mixed-norm problem: 1 - cos(w_prod, u_mixed) <= Delta / rho under FGSM
    assert_bound("Delta/rho", "implicit_bias.direction_error", attack="fgsm", examples=10)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="a margin lost linearly in 1 - cos is too optimistic")
def test_a_margin_deficit_linear_in_the_direction_error_fails():
    # Delta <= R sqrt(2e) is the right order: a direction off by an angle theta loses margin of order theta
    assert_bound("R*e", "implicit_bias.margin_deficit", attack="fgm", examples=10, domain={"steps": (100, 1000)})
