"""numerics.estimate: what every estimator returns, and the invariants the judge relies on."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats as sst

from numerics import stats
from numerics.estimate import Estimate, _first, every_run, no_value


def test_an_estimate_is_frozen_and_its_optional_fields_default_to_nothing():
    estimate = Estimate(lambda delta: stats.Interval(1.0, 0.9, 1.1, 0.05, delta), 10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        estimate.n_samples = 11
    assert (estimate.p_value, estimate.sum_squares, estimate.exceedances, estimate.runs, estimate.test) == (None,) * 5
    assert (estimate.out_of_regime, estimate.unreliable, estimate.weak) == ("", "", "")
    assert estimate.extras == {} and estimate.figures == {}
    assert Estimate(lambda d: None, 1).extras is not Estimate(lambda d: None, 1).extras  # no shared mutable default
    assert estimate.iid_interval(1e-3) is None  # only a variance of mean-zero entries has one


def test_from_moments_interval_covers_the_mean_and_narrows_as_delta_grows():
    rng = np.random.default_rng(0)
    moments = rng.normal(2.0, 1.0, size=(400, 1))
    estimate = Estimate.from_moments(moments, _first, 400)
    strict, loose = estimate.interval(1e-6), estimate.interval(0.1)
    assert strict.estimate == pytest.approx(moments.mean()) == loose.estimate
    assert strict.low < loose.low <= loose.estimate <= loose.high < strict.high
    assert strict.low < 2.0 < strict.high
    assert estimate.interval(1e-3) == estimate.interval_at(1e-3)


def test_every_run_spans_the_runs_and_keeps_them():
    estimate = every_run([0.9, 1.3, 1.1], figures={"spread": 0.4})
    interval = estimate.interval(1e-3)
    assert (interval.low, interval.high) == (0.9, 1.3) and interval.low <= interval.estimate <= interval.high
    assert estimate.runs == (0.9, 1.3, 1.1) and estimate.n_samples == 3 and estimate.figures == {"spread": 0.4}


@pytest.mark.parametrize("why", ["out_of_regime", "unreliable"])
def test_no_value_has_no_statistic_an_unbounded_interval_and_says_why(why):
    estimate = no_value(5, **{why: "eps >= gamma"})
    interval = estimate.interval(1e-3)
    assert math.isnan(interval.estimate) and interval.low == -math.inf and interval.high == math.inf
    assert getattr(estimate, why) == "eps >= gamma" and estimate.n_samples == 5


def test_the_exceedance_p_value_is_the_exact_binomial_tail():
    estimate = dataclasses.replace(no_value(1), exceedances=(3, 100))
    assert estimate.exceedance_p_value(0.01) == pytest.approx(sst.binom.sf(2, 100, 0.01), rel=1e-9)
    assert dataclasses.replace(estimate, exceedances=(0, 100)).exceedance_p_value(0.01) == pytest.approx(1.0)


def test_the_iid_interval_is_the_chi_square_interval_of_the_sum_of_squares():
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 2.0, size=5000)
    estimate = dataclasses.replace(no_value(5000), sum_squares=float((x**2).sum()))
    interval = estimate.iid_interval(1e-3)
    assert interval.low < 4.0 < interval.high and interval.estimate == pytest.approx((x**2).mean())
