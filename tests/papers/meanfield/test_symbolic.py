"""Symbolic identities: rsolve solutions equal the stated closed forms, omega and alpha derive from the layer map."""
from __future__ import annotations

import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from numerics.backends import evaluate
from theory.papers.meanfield.network import ALPHA, ARCHITECTURES, OMEGA, SpecError, NetworkSpec, omega_of
from theory.papers.meanfield.recursions import BIAS, JACOBIAN, RECURSIONS, layer_gain, q
from theory.symbols import L, alpha, d, l, omega, sigma_b2, sigma_w2, u, v

import pytest


def test_alpha_is_derived_from_the_activation_and_matches_seed_001():
    # seed 001 states alpha = (u^2 + v^2)/2; ours is computed as E[phi'(Z)^2] from the Piecewise activation
    assert sp.simplify(ALPHA - (u**2 + v**2) / 2) == 0


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_layer_gain_derived_from_the_layer_map_equals_stated_omega(arch):
    assert sp.simplify(layer_gain(arch) - OMEGA[arch]) == 0


def test_stated_omegas_are_the_seed_values():
    a = ALPHA
    assert sp.simplify(OMEGA["vanilla"] - a * sigma_w2) == 0
    assert sp.simplify(OMEGA["residual"] - (1 + a * sigma_w2)) == 0


@pytest.mark.parametrize("name", sorted(RECURSIONS))
@pytest.mark.parametrize("arch", [None, *ARCHITECTURES])
def test_rsolve_solution_equals_stated_closed_form(name, arch):
    rec = RECURSIONS[name]
    subs = {} if arch is None else {omega: OMEGA[arch], alpha: ALPHA}
    assert rec.agrees(subs)


def test_agrees_detects_a_wrong_closed_form():
    wrong = JACOBIAN.__class__(JACOBIAN.name, JACOBIAN.recurrence, JACOBIAN.initial, omega ** (L + 1) / d)
    assert not wrong.agrees()
    wrong_bias = BIAS.__class__(BIAS.name, BIAS.recurrence, BIAS.initial, alpha * sigma_b2 * omega**L)
    assert not wrong_bias.agrees()


def test_bias_closed_form_keeps_the_critical_branch():
    closed = BIAS.closed_form()
    assert isinstance(closed, sp.Piecewise)
    assert sp.simplify(closed.subs(omega, 1) - L * alpha * sigma_b2) == 0


def _iterate(rec, omega_value: float, alpha_value: float, sb2: float, depth: int, dim: int) -> float:
    """Second rung of the ladder: run the recurrence numerically, step by step, from its own SymPy form."""
    step = sp.lambdify((sp.Symbol("prev"),), rec.recurrence.rhs.subs(q(l - 1), sp.Symbol("prev")).subs(
        {omega: omega_value, alpha: alpha_value, sigma_b2: sb2}))
    value = float(rec.initial.subs(d, dim))
    for _ in range(depth):
        value = float(step(value))
    return value


@given(omega_value=st.floats(0.2, 3.0), alpha_value=st.floats(0.05, 2.0), sb2=st.floats(0.0, 2.0),
       depth=st.integers(1, 40), dim=st.integers(1, 500))
@example(omega_value=1.0, alpha_value=0.5, sb2=1.0, depth=7, dim=10)  # criticality: the 0/0 branch
@example(omega_value=1.0 + 1e-12, alpha_value=0.5, sb2=1.0, depth=7, dim=10)  # next to criticality
def test_closed_forms_match_the_iterated_recurrence(omega_value, alpha_value, sb2, depth, dim):
    for rec in RECURSIONS.values():
        expected = _iterate(rec, omega_value, alpha_value, sb2, depth, dim)
        closed = rec.closed_form()
        values = {omega: omega_value, alpha: alpha_value, sigma_b2: sb2, L: depth, d: dim}
        got = float(evaluate(closed, {s: values[s] for s in closed.free_symbols}, "mpmath"))
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_spec_refuses_values_out_of_range():
    base = dict(arch="vanilla", d=4, K=2, N=8, L=2, sigma_w2=1.0, sigma_b2=0.1)
    for bad, message in [({"sigma_b2": -1.0}, "sigma_b2"), ({"sigma_w2": 0.0}, "sigma_w2"), ({"N": 0}, "N"),
                         ({"L": 2.5}, "L"), ({"arch": "cnn"}, "architecture"), ({"u": 0.0, "v": 0.0}, "u and v"),
                         ({"u": float("nan")}, "u")]:
        with pytest.raises(SpecError, match=message):
            NetworkSpec(**{**base, **bad})
    with pytest.raises(SpecError):
        omega_of("transformer")
