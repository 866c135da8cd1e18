"""The width-ladder extrapolation: planted ladders whose limit is known.

Each ladder draws ``UNITS`` units per rung with mean r(N) and sd ``SD`` (numerator) over a denominator sample of
mean 1, so each rung's standard error is about SD / sqrt(UNITS) = 0.0045.  The intervals are judged at
delta = 1e-3 (z = 3.29), against the +-2% margin of a limit claim, with fixed seeds: each assertion below fails
by chance with probability under 1e-3 (stated per test), and the seeds make the suite derandomised.
"""
from __future__ import annotations

import numpy as np
import pytest

from numerics.extrapolation import FIT_LEVEL, extrapolate, limit_estimate, ratio_rung
from theory.comparisons import COMPARISONS, Status

LADDER = (64, 128, 256, 512, 1024)
UNITS, SD, DELTA, MARGIN = 500, 0.1, 1e-3, 0.02


def ladder(mean, seed: int, widths=LADDER):
    """Rungs whose numerator has mean ``mean(N)``: the planted r(N)."""
    rng = np.random.default_rng(seed)
    return [ratio_rung(n, mean(n) + SD * rng.standard_normal(UNITS), 1 + 0.01 * rng.standard_normal(UNITS))
            for n in widths]


def judged(low: float, high: float) -> Status:
    return COMPARISONS["ratio"].judge(low, high, MARGIN, 1.0)


def test_an_excess_that_vanishes_like_one_over_n_is_violated_at_the_smallest_rung_and_holds_in_the_limit():
    rungs = ladder(lambda n: 1 + 20 / n, seed=1)  # +31% at N = 64, 0 in the limit
    fit = extrapolate(rungs, gamma=1.0)
    smallest = rungs[0].statistic(), fit.ses[0]
    assert judged(smallest[0] - 3.29 * smallest[1], smallest[0] + 3.29 * smallest[1]) is Status.VIOLATED
    interval = fit.interval(DELTA)
    assert fit.misfit() == ""
    assert judged(interval.low, interval.high) is Status.HOLDS, interval
    assert fit.c == pytest.approx(20, rel=0.2) and fit.gamma == 1.0 and fit.gamma_se is None


def test_a_constant_excess_of_five_percent_is_violated_in_the_limit():
    fit = extrapolate(ladder(lambda n: 1.05 + 20 / n, seed=2), gamma=1.0)
    interval = fit.interval(DELTA)
    assert fit.misfit() == ""
    assert judged(interval.low, interval.high) is Status.VIOLATED, interval


@pytest.mark.parametrize("stated", [0.25, 3.0])
def test_a_wrong_rate_fails_the_fit_check(stated):
    """A 1/N excess read with gamma = 0.25 or 3: the model cannot pass through the rungs (chi2 in the thousands
    against 3 dof); the check rejects at FIT_LEVEL whatever the interval says."""
    fit = extrapolate(ladder(lambda n: 1 + 20 / n, seed=3), gamma=stated)
    assert "does not describe the rungs" in fit.misfit()
    assert fit.fit_p_value < FIT_LEVEL


def test_the_right_rate_passes_the_fit_check():
    """The twin of the one above: the same ladder read with its own gamma passes (p < 1e-3 under the model would
    be a failure of probability 1e-3; seeded)."""
    assert extrapolate(ladder(lambda n: 1 + 20 / n, seed=3), gamma=1.0).misfit() == ""


def test_a_fitted_rate_finds_the_planted_one_with_its_error():
    fit = extrapolate(ladder(lambda n: 1 + 4 / np.sqrt(n), seed=4), gamma=None)
    assert fit.gamma_se is not None and fit.dof == 2
    assert abs(fit.gamma - 0.5) < 4 * fit.gamma_se + 0.02
    assert abs(fit.limit - 1.0) < 3.29 * fit.limit_se


def test_the_limit_interval_covers_the_planted_limit_at_its_level():
    """Coverage of the 90% interval over 200 seeded ladders: a binomial(200, 0.9) count below 165 has
    probability about 2e-4, so a coverage under 82.5% means the resampling errors are too small."""
    covered = 0
    for seed in range(200):
        fit = extrapolate(ladder(lambda n: 1 + 20 / n, seed=100 + seed), gamma=1.0, seed=seed, replicates=200)
        interval = fit.interval(0.1)
        covered += interval.low <= 1.0 <= interval.high
    assert covered >= 165, covered


def test_too_few_rungs_leave_nothing_to_check_and_say_so():
    fit = extrapolate(ladder(lambda n: 1 + 20 / n, seed=5, widths=(64, 128)), gamma=1.0)
    assert fit.dof == 0 and "no degree of freedom" in fit.misfit()


@pytest.mark.parametrize("widths, gamma, message", [((64,), 1.0, "two or more distinct widths"),
                                                    ((64, 64, 128), 1.0, "two or more distinct widths"),
                                                    ((64, 128, 256), 0.0, "must be positive")])
def test_a_bad_ladder_or_rate_is_refused(widths, gamma, message):
    with pytest.raises(ValueError, match=message):
        extrapolate(ladder(lambda n: 1.0, seed=6, widths=widths), gamma=gamma)


def test_the_same_seed_gives_the_same_fit():
    rungs = ladder(lambda n: 1 + 20 / n, seed=7)
    assert extrapolate(rungs, gamma=None, seed=3) == extrapolate(rungs, gamma=None, seed=3)


def test_a_rung_whose_resamples_never_vary_gives_no_value_and_says_why():
    flat = [ratio_rung(n, np.full(UNITS, 1.0), np.full(UNITS, 1.0)) for n in LADDER]
    estimate = limit_estimate(flat, 1.0, 10)
    assert "does not vary over the resamples" in estimate.unreliable and np.isnan(estimate.interval(DELTA).estimate)
