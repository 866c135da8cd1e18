"""Seed 004 (Gao et al.): the declared quantities. Their paper bounds are the theory module's expressions, their
measurements are deterministic and give every symbol a value, and each bound's planted twin (the bound x 0.8, a
wrong width exponent, a dropped term) is caught by the search with a counterexample that replays with ``at``."""
from __future__ import annotations

import math

import pytest
import sympy as sp

from numerics.experiment import MEASURES
from numerics.papers import load_all
from theory.papers import quantities
from theory.papers.ntk_convergence.bounds import (LINEARISATION_BOUND, LINEARISATION_FORMS, REGRET_BOUND,
                                                  REGRET_FORMS, R, derivative_bounds, distance)
from theory.papers.ntk_convergence.quantities import LINEARISATION_ERROR, OGD_REGRET, QUANTITIES
from verify.checker import check_bound
from verify.expr import parse

load_all()

#: a narrow, cheap corner of each domain for the twins (each search well under 20 s on two busy cores)
SMALL_LINEARISATION = {"m": (2, 256), "d": (2, 4)}
SMALL_REGRET = {"m": (2, 16), "T": (2, 32), "n": (1, 4), "d": (2, 4), "R": (0.1, 2)}


def measured(quantity, **config):
    options = quantity.resolve_options()
    return MEASURES[quantity.id]({**config, "seed": config.get("seed", 0)}, options)


@pytest.mark.parametrize("quantity, theory", [(LINEARISATION_ERROR, LINEARISATION_BOUND.subs(distance, R)),
                                              (OGD_REGRET, REGRET_BOUND)], ids=["D1", "D3"])
def test_paper_bound_text_is_the_theory_expression(quantity, theory):
    assert sp.simplify(parse(quantity.bound.text, quantity.symbols) - theory) == 0
    assert quantity.bound.provenance == "derived" and not quantity.bound.lower


def test_paper_declares_and_numerics_measures_both_quantities():
    assert tuple(quantities()[q.id] for q in QUANTITIES) == QUANTITIES
    assert all(MEASURES[quantity.id].quantity is quantity for quantity in QUANTITIES)
    assert all(quantity.domain["m"].log for quantity in QUANTITIES)


@pytest.mark.parametrize("quantity, config", [
    (LINEARISATION_ERROR, {"m": 64, "R": 1.0, "r": 1.0, "d": 5}),
    (OGD_REGRET, {"m": 8, "T": 8, "R": 1.0, "delta": 0.1, "n": 4, "d": 3})], ids=["linearisation", "regret"])
def test_measurement_is_deterministic_and_values_every_symbol(quantity, config):
    first, again = measured(quantity, **config), measured(quantity, **config)
    assert first.value == again.value and first.interval is None
    assert set(first.values) == set(quantity.symbols.values())
    assert all(math.isfinite(v) for v in first.values.values())
    assert measured(quantity, **config, seed=1).value != first.value


def test_odd_width_breaks_the_antisymmetric_pairing_constraint():
    with pytest.raises(ValueError, match="constraints"):
        LINEARISATION_ERROR.check_config({"m": 63, "R": 1.0, "r": 1.0, "d": 5})


@pytest.mark.parametrize("activation", ["softplus", "tanh"])
def test_linearisation_error_stays_below_d1_and_near_it(activation):
    """The searched error is within D1 (a theorem) and, at small inputs where sigma'' ~ L_2 on the moved
    segments, close to it: the search is not weak, and float cancellation at the domain's small corner (r = R =
    0.1, wide) is far below the bound's gap."""
    found = MEASURES[LINEARISATION_ERROR.id]({"m": 4096, "R": 0.1, "r": 0.1, "d": 4, "seed": 3},
                                             {"activation": activation})
    bound = float(LINEARISATION_BOUND.subs(distance, R).subs(found.values))
    assert found.values[LINEARISATION_ERROR.symbols["L_2"]] == pytest.approx(float(derivative_bounds(activation)[1]))
    assert 0.5 < found.value / bound < 1


def caught(bound, quantity, domain, examples):
    """The twin's search finds a counterexample, and ``at`` replays it."""
    result = check_bound(bound, quantity.id, domain=domain, examples=examples, seed=0)
    assert result.found, result
    assert result.observed > result.bound and result.ratio > 1
    replay = check_bound(bound, quantity.id, at=result.config)
    assert replay.found and replay.observed == result.observed
    return result


def test_linearisation_twin_at_eighty_percent_is_caught():
    caught("0.8*L_2*r**2*R**2/(2*sqrt(m))", LINEARISATION_ERROR, SMALL_LINEARISATION, 60)


def test_linearisation_twin_with_width_exponent_minus_one_is_caught():
    caught(LINEARISATION_FORMS["width_over_m"].subs(distance, R), LINEARISATION_ERROR, SMALL_LINEARISATION, 60)


def test_linearisation_paper_bound_holds_on_the_small_corner():
    result = check_bound(LINEARISATION_ERROR.bound.text, LINEARISATION_ERROR.id, domain=SMALL_LINEARISATION,
                         examples=60, seed=0)
    assert not result.found, result


def test_regret_twin_at_eighty_percent_is_caught():
    caught("0.8*(D**2/(2*alpha) + alpha*S/2)", OGD_REGRET, SMALL_REGRET, 30)


def test_regret_twin_without_the_distance_term_is_caught():
    caught(REGRET_FORMS["no_distance_term"], OGD_REGRET, SMALL_REGRET, 20)


def test_regret_paper_bound_holds_on_the_small_corner():
    result = check_bound(OGD_REGRET.bound.text, OGD_REGRET.id, domain=SMALL_REGRET, examples=30, seed=0)
    assert not result.found, result
