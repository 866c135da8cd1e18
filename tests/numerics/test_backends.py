"""Backends agree (numpy, mpmath, torch) and log-space evaluation survives deep networks."""
from __future__ import annotations

import math

import mpmath
import pytest
import sympy as sp
from sympy.codegen.cfunctions import expm1
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from numerics.backends import BACKENDS, evaluate, lambdify, log_space, log_value, value
from theory.registry import REGISTRY
from theory.papers.meanfield.recursions import BIAS
from theory.symbols import K, L, N, alpha, d, omega, sigma_b2, sigma_w2, u, v

#: every claim expression that all three backends can evaluate (integral forms are for mpmath alone)
#: (a test's right-hand side is its null law, never evaluated)
EXPRESSIONS = {c.id: c.rhs for c in REGISTRY.select(["meanfield.thm*", "meanfield.beta.*", "seed001.*"])
               if c.rhs.free_symbols and not c.rhs.has(sp.Integral) and c.comparison.has_tolerance}


def _point(sw2, sb2, uu, vv, depth, dim):
    return {sigma_w2: sw2, sigma_b2: sb2, u: uu, v: vv, L: depth, d: dim, N: 512, K: max(2, dim // 3)}


@given(sw2=st.floats(0.1, 4.0), sb2=st.floats(0.0, 2.0), uu=st.floats(0.1, 2.0), vv=st.floats(-1.0, 1.0),
       depth=st.integers(1, 60), dim=st.integers(1, 2000))
@example(sw2=2.0, sb2=0.5, uu=1.0, vv=0.0, depth=10, dim=1000)  # vanilla ReLU exactly at criticality
def test_backends_agree_at_random_points(sw2, sb2, uu, vv, depth, dim):
    point = _point(sw2, sb2, uu, vv, depth, dim)
    for claim_id, expr in EXPRESSIONS.items():
        values = {s: point[s] for s in expr.free_symbols}
        reference = value(expr, values)
        for backend in BACKENDS:
            got = float(evaluate(expr, values, backend))
            assert got == pytest.approx(reference, rel=1e-9), (claim_id, backend)


def test_torch_backend_broadcasts_over_tensors():
    expr = next(iter(EXPRESSIONS.values()))
    values = {s: torch.linspace(1.0, 2.0, 5, dtype=torch.float64) for s in expr.free_symbols}
    assert evaluate(expr, values, "torch").shape == (5,)


def test_log_space_removes_symbolic_powers():
    rewritten = log_space(BIAS.closed_form())
    assert not any(isinstance(p, sp.Pow) and not p.exp.is_number for p in rewritten.atoms(sp.Pow))
    assert rewritten.has(expm1)


def test_log_value_is_finite_where_the_value_overflows():
    expr = omega**L / d
    values = {omega: 2.0, L: 5000, d: 1000}
    with pytest.raises(OverflowError):
        2.0**5000 / 1000
    assert log_value(expr, values) == pytest.approx(5000 * math.log(2.0) - math.log(1000), rel=1e-14)


def test_expm1_keeps_digits_next_to_criticality():
    closed = BIAS.closed_form()
    eps = 1e-13
    values = {omega: 1 + eps, alpha: 1.0, sigma_b2: 1.0, L: 10}
    with mpmath.workdps(60):
        exact = float(sum((1 + mpmath.mpf(eps)) ** k for k in range(10)))
    assert float(evaluate(closed, values, "numpy")) == pytest.approx(exact, rel=1e-12)


def test_missing_value_and_unknown_backend_are_refused():
    with pytest.raises(KeyError, match="d"):
        evaluate(omega**L / d, {omega: 1.0, L: 2})
    with pytest.raises(ValueError, match="backend"):
        lambdify(omega, "jax")
