"""The infinite-width map of Theorem 4.1's bias term (theory.papers.meanfield.residual_bias): without a skip
connection it is the stated recursion, with one it adds exactly the cross term 2 g kappa mu_m / s, and its unrolled
value is the stated formula wherever that cross term vanishes (no skip, or u = v)."""
from __future__ import annotations

from functools import lru_cache

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.backends import value
from theory.papers.meanfield.network import expand
from theory.papers.meanfield.recursions import BIAS
from theory.papers.meanfield.residual_bias import (GAIN, bias_variance, cross_term, displayed_step, kappa, mu_m, q_m,
                                                   s, slope_moment, step, unrolled)
from theory.symbols import L, alpha, sigma_b2, sigma_w2, u, v


def test_the_slope_moments_are_the_activation_s():
    assert sp.simplify(slope_moment(2, 0) - (u**2 + v**2) / 2) == 0  # alpha, as network.derive_alpha has it
    assert sp.simplify(slope_moment(1, 1) - (u - v) / sp.sqrt(2 * sp.pi)) == 0  # E[phi'(Z) Z]
    assert slope_moment(0, 2) == 1 and slope_moment(1, 1).subs(v, u) == 0


def test_the_cross_term_is_what_the_stated_recursion_drops():
    assert cross_term("vanilla") == 0
    assert sp.simplify(cross_term("residual") - 2 * GAIN * kappa * mu_m / s) == 0
    assert displayed_step("residual")[q_m].has(alpha) and not step("residual")[q_m].has(alpha, GAIN, kappa, s)


@lru_cache(maxsize=None)
def _stated_formula(arch: str) -> sp.Expr:
    """The stated closed form for ``arch``, derived once: ``closed_form`` simplifies on every call (~0.25 s), which
    was nine tenths of the property test's time (three calls per example)."""
    return expand(BIAS.closed_form(), arch)


def _stated(arch: str, depth: int, sw2: float, sb2: float, uu: float, vv: float) -> float:
    return value(_stated_formula(arch), {L: depth, sigma_w2: sw2, sigma_b2: sb2, u: uu, v: vv})


@settings(max_examples=25, deadline=None)
@given(depth=st.integers(1, 12), sw2=st.floats(0.1, 3.0), sb2=st.floats(0.0, 2.0), uu=st.floats(0.1, 2.0),
       vv=st.floats(-1.0, 1.0), q0=st.floats(0.01, 100.0))
def test_the_unrolled_map_is_the_stated_formula_where_the_cross_term_vanishes(depth, sw2, sb2, uu, vv, q0):
    stated = _stated("vanilla", depth, sw2, sb2, uu, vv)
    assert unrolled("vanilla", depth, sw2, sb2, uu, vv, q0) == pytest.approx(stated, rel=1e-10)
    assert unrolled("residual", depth, sw2, sb2, uu, uu, q0) == pytest.approx(
        _stated("residual", depth, sw2, sb2, uu, uu), rel=1e-10)
    # the first layer has no accumulated mean yet: the stated value, whatever the activation
    assert unrolled("residual", 1, sw2, sb2, uu, vv, q0) == pytest.approx(_stated("residual", 1, sw2, sb2, uu, vv),
                                                                          rel=1e-10)


def test_a_residual_relu_net_exceeds_the_stated_variance_more_with_more_bias_and_less_input():
    def excess(sb2, q0):
        return unrolled("residual", 4, 2.0, sb2, 1.0, 0.0, q0) / _stated("residual", 4, 2.0, sb2, 1.0, 0.0)

    assert 1.0 < excess(0.01, 1.0) < excess(0.1, 1.0) < excess(0.3, 1.0)
    assert excess(0.1, 100.0) < excess(0.1, 1.0)  # a larger input norm dilutes the bias's share of the gates
    assert unrolled("residual", 4, 2.0, 0.1, 1.0, 0.0) / unrolled("residual", 4, 2.0, 0.1, 1.0, 0.0, 100.0) > 1.01


def test_the_claim_function_prints_by_depth_and_evaluates_the_map():
    expr = bias_variance("residual")
    assert sp.latex(expr) == r"q_{a}^{\mathrm{res}}\left(L\right)"
    point = {L: 4, sigma_w2: 2.0, sigma_b2: 0.1, u: 1.0, v: 0.0}
    assert value(expr, point) == unrolled("residual", 4, 2.0, 0.1, 1.0, 0.0)
