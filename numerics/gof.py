"""Goodness-of-fit tests with p-values that have no floor, and their power against a stated alternative.

Anderson-Darling, one sample against N(0, 1) (Stephens' case 0, a fully specified law) and two samples (Pettitt
1976, continuous data): both statistics have the same limiting null law, A^2 -> sum_j chi2_1 / (j (j + 1))
(Anderson & Darling 1954; Pettitt 1976 for two samples).  Its upper tail is Marsaglia & Marsaglia's fit,
"Evaluating the Anderson-Darling distribution", J. Stat. Software 9(2), 2004 (``adinf``), where it is accurate,
and beyond A^2 = 6 the asymptotic expansion of the law at its first singularity (``anderson_darling_sf``), so a
p-value of 1e-20 is still a p-value; scipy's ``anderson`` interpolates tables and ``anderson_ksamp`` floors its
p-value at 0.001, too coarse at a Bonferroni level of 1e-4.  The asymptotic law is used at every n (Marsaglia's
finite-n correction is below 1e-5 from n = 1000 on).

The power of a test at level delta is the fraction of ``POWER_REPLICATES`` simulated samples of the same size,
drawn from the alternative and tested the same way, that the test rejects; it is what lets a verdict say how
large a departure it could have missed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
from scipy import optimize, special
from scipy import stats as sst

from numerics.random import Draws

#: simulated samples behind each power (the power's standard error is at most 0.5/sqrt(200) = 0.035)
POWER_REPLICATES = 200


@dataclass(frozen=True)
class HypothesisTest:
    """A hypothesis test's outcome: accept when ``statistic <= critical_at(level)``, i.e. when p >= level."""

    name: str
    statistic: float
    p_value: float
    n: int  # values tested (both samples of a two-sample test)
    critical_at: Callable[[float], float]
    power_at: Callable[[float], float]  # P(reject at the level) under ``alternative``, simulated
    alternative: str
    replicates: int = POWER_REPLICATES


#: where the upper tail switches from Marsaglia's fit (good to 0.3% below it) to the asymptotic expansion (0.5% at
#: 6, better above; Marsaglia's fit is off by 2% at 8 and 50% at 10, where its absolute error bound is all it has)
TAIL_FROM = 6.0


def anderson_darling_sf(a2) -> np.ndarray:
    """P(A^2 > a2) under the null, from the asymptotic law: Marsaglia & Marsaglia's ``adinf`` below ``TAIL_FROM``,
    above it the expansion at the law's first singularity.  The moment generating function is
    prod_j (1 - 2s/(j(j+1)))^(-1/2) = (-2 pi s / cos(pi sqrt(1/4 + 2s)))^(1/2) = sqrt(3) (1 - s)^(-1/2) (1 + (11/18)
    (s - 1) + ...) near s = 1, so P(A^2 > x) = sqrt(3) [erfc(sqrt x) + (11/18) (exp(-x)/sqrt(pi x) - erfc(sqrt x))]
    + O(x^(-5/2) e^(-x)): relative errors, so p-values far below any level keep their size."""
    a2 = np.asarray(a2, dtype=np.float64)
    z = np.maximum(a2, 1e-3)  # below 1e-3 the CDF is 0 to double precision; avoids 1/0
    low = np.exp(-1.2337141 / z) / np.sqrt(z) * (2.00012 + (.247105 - (.0649821 - (.0347962 - (.011672 - .00168691 * z)
                                                                                            * z) * z) * z) * z)
    high = 1.0776 - (2.30695 - (.43424 - (.082433 - (.008056 - .0003146 * z) * z) * z) * z) * z
    erfc = special.erfc(np.sqrt(z))
    tail = np.sqrt(3.0) * (erfc + 11.0 / 18.0 * (np.exp(-z) / np.sqrt(np.pi * z) - erfc))
    with np.errstate(over="ignore"):
        return np.where(z < 2, 1.0 - low, np.where(z < TAIL_FROM, -np.expm1(-np.exp(high)), tail))


@lru_cache(maxsize=256)
def anderson_darling_critical(level: float) -> float:
    """The A^2 above which the test rejects at ``level`` (the inverse of ``anderson_darling_sf``)."""
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    return float(optimize.brentq(lambda a2: float(anderson_darling_sf(a2)) - level, 1e-3, 200.0, xtol=1e-12))


def anderson_darling_normal_statistic(x: np.ndarray) -> np.ndarray:
    """A^2 of each row of x (..., n) against N(0, 1): -n - sum_i (2i - 1)/n [log F(x_(i)) + log(1 - F(x_(n+1-i)))]."""
    x = np.sort(np.asarray(x, dtype=np.float64), axis=-1)
    n = x.shape[-1]
    weights = 2.0 * np.arange(1, n + 1) - 1.0
    return -n - (weights * (sst.norm.logcdf(x) + sst.norm.logsf(x)[..., ::-1])).sum(axis=-1) / n


def anderson_darling_two_sample_statistic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pettitt's A^2_{mn} of rows x (..., m) against rows y (..., n), continuous data:
    (1/(m n)) sum_{i=1}^{N-1} (N M_i - m i)^2 / (i (N - i)), M_i the x's among the i smallest of the pooled sample."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    m, n = x.shape[-1], y.shape[-1]
    total = m + n
    order = np.argsort(np.concatenate([x, y], axis=-1), axis=-1, kind="stable")
    M = np.cumsum(order < m, axis=-1)[..., :-1].astype(np.float64)
    i = np.arange(1, total, dtype=np.float64)
    return ((total * M - m * i) ** 2 / (i * (total - i))).sum(axis=-1) / (m * n)


def _standardised(x: np.ndarray) -> np.ndarray:
    """Each row divided by its root mean square (the law's mean is known to be 0, its scale is not)."""
    return x / np.sqrt((x**2).mean(axis=-1, keepdims=True))


def _rejections(statistics: np.ndarray) -> Callable[[float], float]:
    return lambda level: float(np.mean(statistics > anderson_darling_critical(level)))


#: the stated alternative of the one-sample test: a Gaussian scale mixture with variances 1 - e and 1 + e (equally
#: likely), whose kurtosis is 3 (1 + e^2)
MIXTURE_KURTOSIS = 4.0


@lru_cache(maxsize=32)
def _normal_power_statistics(n: int, kurtosis: float) -> np.ndarray:
    """A^2 of ``POWER_REPLICATES`` standardised samples of size n from the scale mixture of that kurtosis."""
    draws = Draws(0).child(f"gof/normal/{n}/{kurtosis!r}")  # a fixed stream: power belongs to the test, not the run
    spread = math.sqrt(kurtosis / 3.0 - 1.0)
    shape = (POWER_REPLICATES, n)
    scale = np.sqrt(1.0 + spread * draws.signs(shape, portable=True).numpy())
    return anderson_darling_normal_statistic(_standardised(draws.standard_normal(shape, portable=True).numpy()
                                                           * scale))


def anderson_darling_normal(x: np.ndarray, kurtosis: float = MIXTURE_KURTOSIS) -> HypothesisTest:
    """Is x a sample of N(0, s^2)?  x is divided by its root mean square, then tested against N(0, 1) with the
    case-0 law (conservative: with a fitted scale A^2 is smaller in law than with a known one, as Stephens' tables
    for estimated parameters have it); the power is simulated the same way, scale fitted."""
    x = np.ravel(np.asarray(x, dtype=np.float64))
    if x.size < 2:
        raise ValueError(f"an Anderson-Darling test needs two or more values, got {x.size}")
    a2 = float(anderson_darling_normal_statistic(_standardised(x)))
    spread = math.sqrt(kurtosis / 3.0 - 1.0)
    return HypothesisTest("Anderson-Darling (against N(0, 1), scale fitted)", a2, float(anderson_darling_sf(a2)),
                          x.size, anderson_darling_critical, _rejections(_normal_power_statistics(x.size, kurtosis)),
                          f"a Gaussian scale mixture, variances 1 +- {spread:.3g} (kurtosis {kurtosis:g})")


#: the stated alternative of the two-sample test: the second law is the first one scaled by this factor
SCALE_CHANGE = 1.1


@lru_cache(maxsize=32)
def _two_sample_power_statistics(m: int, n: int, scale: float) -> np.ndarray:
    draws = Draws(0).child(f"gof/two_sample/{m}/{n}/{scale!r}")
    first = draws.standard_normal((POWER_REPLICATES, m), portable=True).numpy()
    second = scale * draws.standard_normal((POWER_REPLICATES, n), portable=True).numpy()
    return anderson_darling_two_sample_statistic(first, second)


def anderson_darling_two_sample(x: np.ndarray, y: np.ndarray, scale: float = SCALE_CHANGE) -> HypothesisTest:
    """Do x and y come from one law?  Pettitt's two-sample A^2 with the asymptotic law; the power is against y's
    law being x's scaled by ``scale``, simulated with Gaussian samples (the law the theorem states)."""
    x, y = np.ravel(np.asarray(x, dtype=np.float64)), np.ravel(np.asarray(y, dtype=np.float64))
    if min(x.size, y.size) < 2:
        raise ValueError(f"a two-sample test needs two or more values per sample, got {x.size} and {y.size}")
    a2 = float(anderson_darling_two_sample_statistic(x, y))
    return HypothesisTest("two-sample Anderson-Darling", a2, float(anderson_darling_sf(a2)), x.size + y.size,
                          anderson_darling_critical, _rejections(_two_sample_power_statistics(x.size, y.size, scale)),
                          f"the law at the second input scaled by {scale:g} (variance ratio {scale**2:.3g})")
