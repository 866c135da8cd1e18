"""Researchers' bounds on Gao et al.'s quantities (NeurIPS 2019), property-tested with the ``verify.testing`` plugin.

One true bound and one false one (``xfail(strict=True)``: the search must find its counterexample).
"""
import pytest

from verify.testing import assert_bound


def test_regret_at_the_theorem_step_is_at_most_r_g_sqrt_t():
    # D3 with ||W - W_0|| <= R, ||g_t|| <= G = L_ell L_1 X and alpha = R / (G sqrt(T)): regret <= R G sqrt(T)
    assert_bound("R*L_ell*L_1*X*sqrt(T)", "ntk_convergence.ogd_regret", examples=20,
                 domain={"m": (2, 16), "T": (2, 32), "n": (1, 4), "d": (2, 4)})


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="width exponent -1 instead of D1's -1/2")
def test_linearisation_error_decaying_like_one_over_m_fails():
    assert_bound("L_2*r**2*R**2/(2*m)", "ntk_convergence.linearisation_error", activation="tanh", examples=100)
