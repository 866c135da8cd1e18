"""verify.suite: a claim is judged as soon as its samples exist, verdicts come back in claim order, kept samples
are reused for planted twins, and a true claim HOLDS where its twin is VIOLATED on the same sample."""
from __future__ import annotations

import pytest

from tests.verify import toy
from verify.suite import Suite
from verify.verdict import Status


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    toy.register(monkeypatch)


def _suite(events: list, **kwargs) -> tuple[Suite, toy.Recording]:
    executor = toy.Recording(events, **kwargs)
    suite = Suite(toy.Profile(), seed=0, executor=executor,
                  on_verdict=lambda verdict: events.append(("verdict", verdict.claim_id)))
    return suite, executor


def test_a_claim_is_judged_as_soon_as_its_samples_exist():
    events: list = []
    suite, _ = _suite(events)
    verdicts, figures = suite.run([toy.entry("a", means=(10.0,)), toy.entry("b", means=(10.0, 20.0)),
                                   toy.entry("c", means=(30.0,))])
    assert events == [("sample", 10.0), ("verdict", "toy.a"), ("sample", 20.0), ("verdict", "toy.b"),
                      ("sample", 30.0), ("verdict", "toy.c")]
    assert [v.claim_id for v in verdicts] == ["toy.a", "toy.b", "toy.c"] and figures == {}


def test_verdicts_come_back_in_claim_order_whatever_order_the_samples_arrive_in():
    events: list = []
    suite, _ = _suite(events, reverse=True)
    verdicts, _ = suite.run([toy.entry("a", means=(10.0,)), toy.entry("b", means=(20.0,))])
    assert events == [("sample", 20.0), ("verdict", "toy.b"), ("sample", 10.0), ("verdict", "toy.a")]
    assert [v.claim_id for v in verdicts] == ["toy.a", "toy.b"]


def test_a_true_claim_holds_and_its_planted_twin_is_violated_on_the_kept_sample():
    events: list = []
    suite, executor = _suite(events)
    suite.keep_samples = True
    true = suite.check(toy.claim())
    assert true.status is Status.HOLDS and true.n_samples == 8000 and abs(true.statistic - 1) < 0.01
    drawn = list(executor.drawn)
    twin = suite.check(toy.claim(factor=1.1))  # a mean 10% too large, on the very same sample
    assert twin.status is Status.VIOLATED and twin.statistic < 0.95
    assert executor.drawn == drawn  # nothing drawn again


def test_the_same_seed_gives_the_same_verdict_and_another_seed_another_sample():
    first = Suite(toy.Profile(), seed=3, executor=toy.Recording([])).check(toy.claim())
    again = Suite(toy.Profile(), seed=3, executor=toy.Recording([])).check(toy.claim())
    other = Suite(toy.Profile(), seed=4, executor=toy.Recording([])).check(toy.claim())
    assert (first.statistic, first.ci_low, first.ci_high) == (again.statistic, again.ci_low, again.ci_high)
    assert other.statistic != first.statistic and first.seed == 3
