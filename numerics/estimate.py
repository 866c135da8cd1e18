"""The ``Estimate``: what every estimator returns (a statistic that can give its interval at any level)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from numerics import stats

if TYPE_CHECKING:
    from numerics.gof import HypothesisTest


@dataclass(frozen=True)
class Estimate:
    """A measured statistic: how to get its interval at any level, and auxiliary figures.

    ``interval_at(delta)`` gives the (1 - delta) interval; for Monte Carlo over networks it is a jackknife with
    networks as the independent units.  ``exceedances`` = (k, n) for high-probability bounds.
    """

    interval_at: Callable[[float], stats.Interval]
    n_samples: int
    p_value: float | None = None  # goodness-of-fit p-value, where the claim is about a law
    extras: dict[str, float] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)  # descriptive numbers reported beside the verdict
    sum_squares: float | None = None  # set for variance statistics of mean-zero entries
    exceedances: tuple[int, int] | None = None
    #: the per-run values behind a range interval (claims that must hold on every run): the judge counts those
    #: outside the band
    runs: tuple[float, ...] | None = None
    #: why the sample lies outside the regime the claim states (measured, e.g. "eps >= gamma"): no verdict then
    out_of_regime: str = ""
    #: why the sample cannot decide the claim (e.g. a reference solution failed its checks): INCONCLUSIVE then
    unreliable: str = ""
    #: why the sample cannot support HOLDS (e.g. a twin too close to the reference to be told apart): a HOLDS
    #: becomes INCONCLUSIVE, a VIOLATED stays (a run far off the reference is off whatever its twins)
    weak: str = ""
    #: a hypothesis test's outcome, for claims judged by a test (its p-value, acceptance region and power)
    test: "HypothesisTest | None" = None
    #: the (B, m) per-network moments and their ``combine`` behind a ``from_moments`` statistic, so that a width
    #: ladder can resample the networks of each rung (``numerics.extrapolation``)
    moments: np.ndarray | None = None
    combine: Callable[[np.ndarray], np.ndarray] | None = None

    @classmethod
    def from_moments(cls, moments: np.ndarray, combine: Callable[[np.ndarray], np.ndarray], n_samples: int,
                     **kwargs) -> "Estimate":
        """statistic = combine(mean over networks of per-network moments (B, m))."""
        return cls(lambda delta: stats.cluster_interval(moments, combine, delta), n_samples, moments=moments,
                   combine=combine, **kwargs)

    @classmethod
    def from_test(cls, test: "HypothesisTest", **kwargs) -> "Estimate":
        """A test's outcome: the statistic, and as its "interval" at level delta the acceptance region [0, the
        critical value], which holds the statistic exactly when p >= delta."""
        return cls(lambda delta: stats.Interval(test.statistic, 0.0, test.critical_at(delta), np.nan, delta), test.n,
                   p_value=test.p_value, test=test, **kwargs)

    def interval(self, delta: float) -> stats.Interval:
        return self.interval_at(delta)

    def exceedance_p_value(self, rate: float) -> float:
        """P(Bin(n, rate) >= k) for the k exceedances in n: small when they are too many for a bound that fails
        with probability ``rate`` (exact binomial test)."""
        k, n = self.exceedances
        return stats.exceedance_pvalue(k, n, rate)

    def iid_interval(self, delta: float) -> stats.Interval | None:
        """The chi-square interval that would hold if all n_samples entries were i.i.d. Gaussian."""
        if self.sum_squares is None:
            return None
        return stats.chi2_variance_interval(self.sum_squares, self.n_samples, delta)


def every_run(values, **kwargs) -> Estimate:
    """An estimate for a claim that must hold on every run: the range of the per-run values, which the judge
    counts against the band."""
    values = np.asarray(values, dtype=np.float64)
    return Estimate(lambda delta: stats.range_interval(values), values.size, runs=tuple(values.tolist()), **kwargs)


def no_value(units: int, **why: str) -> Estimate:
    """An estimate with no usable value, and why (``out_of_regime=`` or ``unreliable=``, as ``Estimate`` has)."""
    return Estimate(lambda delta: stats.Interval(np.nan, -np.inf, np.inf, np.nan, delta), units, **why)


def _first(m: np.ndarray) -> np.ndarray:
    return m[..., 0]
