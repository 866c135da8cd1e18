"""verify.catalog: every registered claim joined with its experiment and estimator; a claim naming what nobody
registered, or a parameter nobody reads, is refused in one line naming the claim."""
from __future__ import annotations

import dataclasses

import pytest

from numerics.experiment import ESTIMATORS, RegistrationError
from tests.verify import toy
from theory.registry import load
from verify.catalog import catalog, check_quantities, entry


def test_every_registered_claim_has_an_entry_with_its_estimators_experiment():
    found = catalog()
    assert list(found) == [claim.id for claim in load()] and len(found) > 100
    for claim_id, item in found.items():
        assert item.claim.id == claim_id and item.estimator.experiment == item.experiment.name
        assert item.estimator is ESTIMATORS[item.claim.quantity]


def test_a_known_claim_is_joined_with_what_registered_it(monkeypatch):
    toy.register(monkeypatch)
    found = entry(toy.claim())
    assert found.experiment is toy.TOY and found.estimator is toy.MEAN


def _one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text
    return text


def test_an_unknown_estimator_is_refused_in_one_line_naming_the_claim():
    claim = dataclasses.replace(toy.claim(), quantity="no_such_estimator")
    with pytest.raises(RegistrationError) as err:
        entry(claim)
    assert _one_line(err) == "claim toy.mean: no estimator named 'no_such_estimator' is registered"


def test_an_estimator_of_an_unregistered_experiment_is_refused_in_one_line(monkeypatch):
    monkeypatch.setitem(ESTIMATORS, toy.MEAN.name, toy.MEAN)  # its experiment, toy.gaussian, stays unregistered
    with pytest.raises(RegistrationError) as err:
        entry(toy.claim())
    assert _one_line(err) == ("claim toy.mean: estimator 'toy_mean' reads experiment 'toy.gaussian', which is not "
                              "registered")


def test_a_parameter_nobody_reads_is_refused_naming_it(monkeypatch):
    toy.register(monkeypatch)
    claim = dataclasses.replace(toy.claim(), params=(("means", (10.0,)), ("exponent", 2)))
    with pytest.raises(RegistrationError) as err:
        entry(claim)
    assert _one_line(err) == ("claim toy.mean: parameter 'exponent' is read neither by estimator 'toy_mean' nor "
                              "by experiment 'toy.gaussian'")
    assert entry(dataclasses.replace(claim, params=(("means", (10.0,)),))).claim.params  # one the experiment reads


def test_declared_and_measured_quantities_agree():
    check_quantities()  # the namesake and unmeasured cases are refused in tests/theory/test_quantities.py
