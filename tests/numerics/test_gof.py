"""Anderson-Darling tests with unfloored p-values (numerics.gof): the asymptotic law against an independent
computation, the level and power by simulation, planted departures caught, and the test verdict's rules."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate
from scipy import stats as sst

from numerics.estimate import Estimate
from numerics.gof import (anderson_darling_critical, anderson_darling_normal, anderson_darling_normal_statistic,
                          anderson_darling_sf, anderson_darling_two_sample, anderson_darling_two_sample_statistic)
from theory.comparisons import COMPARISONS, Status

TEST = COMPARISONS["test"]


def _imhof_sf(x: float, terms: int = 20000) -> float:
    """P(sum_j Z_j^2 / (j (j + 1)) > x) by Imhof's inversion of the characteristic function: the asymptotic law
    of A^2 computed from its definition, not from Marsaglia's fit (the tail beyond ``terms`` is its mean)."""
    weights = 1.0 / (np.arange(1, terms + 1) * np.arange(2, terms + 2))
    shifted = x - 1.0 / (terms + 1)

    def integrand(t: float) -> float:
        angle = 0.5 * np.arctan(weights * t).sum() - 0.5 * shifted * t
        return np.sin(angle) / (t * np.exp(0.25 * np.log1p((weights * t) ** 2).sum()))

    return 0.5 + integrate.quad(integrand, 0, np.inf, limit=2000)[0] / np.pi


@pytest.mark.parametrize("a2", [0.5, 1.0, 1.933, 2.492, 3.857, 5.0, 5.99, 6.0, 8.0, 10.0, 12.0])
def test_the_asymptotic_tail_matches_the_imhof_inversion(a2):
    assert float(anderson_darling_sf(a2)) == pytest.approx(_imhof_sf(a2), rel=6e-3)


def test_known_percentage_points_and_the_inverse():
    assert anderson_darling_critical(0.10) == pytest.approx(1.933, abs=2e-3)  # Anderson & Darling (1954)
    assert anderson_darling_critical(0.05) == pytest.approx(2.492, abs=2e-3)
    for level in (0.2, 1e-3, 1e-6, 1e-12):
        assert float(anderson_darling_sf(anderson_darling_critical(level))) == pytest.approx(level, rel=1e-6)
    tail = anderson_darling_sf(np.linspace(0.01, 60.0, 6000))  # no floor: p-values fall like e^(-A^2), monotonely
    assert np.all(np.diff(tail) <= 0) and np.all(np.diff(tail[100:]) < 0) and 0 < tail[-1] < 1e-25


def test_statistics_agree_with_scipy_and_with_the_empirical_cdfs():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(50), rng.standard_normal(70) + 0.3
    fitted = sst.anderson(x, "norm", method="interpolate")  # scipy fits mean and scale: compare on fitted values
    assert float(anderson_darling_normal_statistic((x - x.mean()) / x.std(ddof=1))) == pytest.approx(
        fitted.statistic, rel=1e-9)
    pooled = np.sort(np.concatenate([x, y]))[:-1]  # (mn/N^2) sum_i (F_m - G_n)^2 / (H (1 - H)) at the pooled points
    F, G = (np.searchsorted(np.sort(s), pooled, side="right") / s.size for s in (x, y))
    H = np.arange(1, pooled.size + 1) / (pooled.size + 1)
    direct = x.size * y.size / (pooled.size + 1) ** 2 * np.sum((F - G) ** 2 / (H * (1 - H)))
    assert float(anderson_darling_two_sample_statistic(x, y)) == pytest.approx(direct, rel=1e-12)


def test_levels_hold_under_the_null():
    rng = np.random.default_rng(2)
    one = anderson_darling_sf(anderson_darling_normal_statistic(rng.standard_normal((4000, 400))))
    two = anderson_darling_sf(anderson_darling_two_sample_statistic(rng.standard_normal((4000, 300)),
                                                                     rng.standard_normal((4000, 200))))
    for p_values in (one, two):
        for level in (0.1, 0.01):  # 4000 tests: the rejection count is Binomial(4000, level) at the right level
            low, high = sst.binom.ppf([1e-6, 1 - 1e-6], 4000, level)
            assert low <= np.sum(p_values < level) <= high


def test_planted_departures_are_rejected_far_below_any_floor():
    rng = np.random.default_rng(3)
    laplace = anderson_darling_normal(rng.laplace(size=20000))
    assert laplace.p_value < 1e-6 and laplace.statistic > anderson_darling_critical(1e-6)
    scaled = anderson_darling_two_sample(rng.standard_normal(10000), 1.3 * rng.standard_normal(10000))
    assert scaled.p_value < 1e-6
    gaussian = anderson_darling_normal(rng.standard_normal(20000))
    assert gaussian.p_value > 1e-3


def test_power_grows_with_n_and_is_simulated_once_per_size():
    rng = np.random.default_rng(4)
    small, large = (anderson_darling_normal(rng.standard_normal(n)) for n in (64, 8192))
    assert small.power_at(1e-3) < 0.2 < 0.9 < large.power_at(1e-3)
    assert large.power_at(0.5) >= large.power_at(1e-3)  # a larger level rejects more often
    two = anderson_darling_two_sample(rng.standard_normal(8000), rng.standard_normal(8000))
    assert two.power_at(1e-3) > 0.9  # against a 1.1x scale change
    assert "kurtosis 4" in large.alternative and "1.1" in two.alternative


def test_a_test_estimate_holds_its_statistic_exactly_when_p_clears_the_level():
    rng = np.random.default_rng(5)
    for values in (rng.standard_normal(3000), rng.laplace(size=3000)):
        estimate = Estimate.from_test(anderson_darling_normal(values))
        for level in (1e-6, 1e-3, 0.05, 0.5):
            region = estimate.interval(level)
            accepted = region.low <= region.estimate <= region.high
            assert accepted == (estimate.p_value >= level)
            judged = TEST.judge(region.low, region.high, 0.0, 0.0, p_value=estimate.p_value, delta=level)
            assert (judged is Status.HOLDS) == accepted


def test_a_test_has_no_band_and_needs_a_p_value():
    with pytest.raises(ValueError, match="no band"):
        TEST.band(0.0, 0.0)
    estimate = Estimate.from_test(anderson_darling_normal(np.random.default_rng(6).standard_normal(100)))
    with pytest.raises(ValueError, match="p-value"):
        region = estimate.interval(0.01)
        TEST.judge(region.low, region.high, 0.0, 0.0)
