"""The statistics on laws whose answers are known: coverage, power, agreement with scipy."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sst

from numerics import stats


def _binomial_band(n: int, p: float, tail: float = 1e-9) -> tuple[int, int]:
    """Counts outside this band have probability < 2 * tail under Binomial(n, p): a test that cannot flake."""
    return int(sst.binom.ppf(tail, n, p)), int(sst.binom.isf(tail, n, p))


def test_cluster_interval_covers_at_its_level():
    rng = np.random.default_rng(0)
    reps, delta = 2000, 0.1
    moments = rng.normal(2.0, 0.5, size=(reps, 40, 1))
    hits = sum(
        (iv := stats.cluster_interval(m, lambda x: x[..., 0], delta)).low <= 2.0 <= iv.high for m in moments
    )
    low, high = _binomial_band(reps, 1 - delta)
    assert low <= hits <= high


def test_cluster_interval_for_a_ratio_covers_and_matches_the_delta_method():
    rng = np.random.default_rng(1)
    reps, delta = 1000, 0.1
    hits = 0
    for _ in range(reps):
        num = rng.normal(3.0, 0.4, size=60)
        den = rng.normal(2.0, 0.3, size=60)
        iv = stats.cluster_interval(np.stack([num, den], 1), lambda m: m[..., 0] / m[..., 1], delta)
        hits += iv.low <= 1.5 <= iv.high
    low, high = _binomial_band(reps, 1 - delta)
    assert low <= hits <= high
    # jackknife se of a ratio of means equals the delta-method se to first order
    num, den = rng.normal(3.0, 0.4, 400), rng.normal(2.0, 0.3, 400)
    se = stats.cluster_interval(np.stack([num, den], 1), lambda m: m[..., 0] / m[..., 1], 0.05).se
    r = num.mean() / den.mean()
    delta_se = np.sqrt(np.var(num - r * den, ddof=1) / 400) / den.mean()
    assert se == pytest.approx(delta_se, rel=0.02)


def test_chi2_interval_covers_at_its_level_and_is_exact_for_one_sample():
    rng = np.random.default_rng(2)
    reps, delta, n, var = 3000, 0.1, 25, 1.7
    samples = rng.normal(0, np.sqrt(var), size=(reps, n))
    hits = 0
    for s in samples:
        iv = stats.chi2_variance_interval(float((s**2).sum()), n, delta)
        hits += iv.low <= var <= iv.high
    low, high = _binomial_band(reps, 1 - delta)
    assert low <= hits <= high


def test_ks_normal_separates_gaussian_from_laplace():
    rng = np.random.default_rng(3)
    assert stats.ks_normal_pvalue(rng.standard_normal(5000)) > 1e-3
    laplace = rng.laplace(0, 1 / np.sqrt(2), 5000)  # unit variance, kurtosis 6
    assert stats.ks_normal_pvalue(laplace) < 1e-6


def test_two_sample_test_detects_a_changed_variance():
    rng = np.random.default_rng(4)
    x = rng.standard_normal(4000)
    assert stats.ks_two_sample_pvalue(x, rng.standard_normal(4000)) > 1e-3
    assert stats.ks_two_sample_pvalue(x, 1.3 * rng.standard_normal(4000)) < 1e-6


def test_rank_correlation_is_the_mean_spearman_across_units_with_a_jackknife_interval():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((300, 4)), rng.standard_normal((300, 4))
    y[:, 3] = x[:, 3] ** 3  # a monotone dependence: rho = 1 in that column
    moments, combine = stats.rank_correlation_moments(x, y)
    expected = np.mean([sst.spearmanr(x[:, k], y[:, k]).statistic for k in range(4)])
    assert float(combine(moments.mean(axis=0))) == pytest.approx(expected, rel=1e-12)
    # the three independent columns: the jackknife interval covers 0; with the dependent one it excludes 0
    iv = stats.cluster_interval(*stats.rank_correlation_moments(x[:, :3], y[:, :3]), 1e-3)
    assert iv.low < 0 < iv.high and iv.high - iv.low < 0.3
    assert stats.cluster_interval(moments, combine, 1e-3).low > 0.1


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="delta"):
        stats.cluster_interval(np.ones((5, 1)), lambda m: m[..., 0], 1.5)
    with pytest.raises(ValueError, match="B >= 2"):
        stats.cluster_interval(np.ones((1, 1)), lambda m: m[..., 0], 0.1)
    with pytest.raises(ValueError, match="equal"):
        stats.rank_correlation_moments(np.ones((4, 3)), np.ones((4, 2)))
    assert stats.bonferroni(0.01, 4) == pytest.approx(0.0025)
