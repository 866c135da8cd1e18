"""Estimators that complete Theorem 4.1's checks on the (J, a) samples of ``meanfield.jacobian``.

- entries independent: the correlation of squared entries sharing a row (J_ij^2, J_ij'^2) or a column
  (J_ij^2, J_i'j^2), pooled over networks, and its change with width;
- entries Gaussian beyond the kurtosis: an Anderson-Darling test with its power;
- one law at two inputs: a two-sample Anderson-Darling test on independent halves of the networks;
- J independent of a at K = 1: the correlation of J_1j^2 and a_1^2 across networks.

Correlations of squares, not of entries: J_ij and a_i (or two entries) are uncorrelated by the sign symmetry of
P_out whatever their dependence, so only even moments see a shared scale.  Pooled moments are per-network means
fed to ``Estimate.from_moments`` (a jackknife over networks, the independent units).
"""
from __future__ import annotations

import numpy as np

from numerics import stats
from numerics.estimate import Estimate, no_value
from numerics.experiment import estimator
from numerics.gof import anderson_darling_normal, anderson_darling_two_sample
from numerics.papers.meanfield.estimators import JACOBIAN, _one_per_row, _two_inputs
from numerics.papers.meanfield.samples import JacobianSample


def _shared_line_moments(J: np.ndarray, axis: int) -> np.ndarray:
    """Per network (B, 3): the mean of X^2 Y^2 over ordered pairs of distinct entries on one line (a row for
    axis=-1, a column for axis=-2), the mean of X^2 and the mean of X^4 over all entries."""
    squares = J**2
    line = squares.shape[axis]
    sums, fourths = squares.sum(axis=axis), (squares**2).sum(axis=axis)
    pairs = ((sums**2 - fourths) / (line * (line - 1))).reshape(J.shape[0], -1).mean(axis=1)
    flat = squares.reshape(J.shape[0], -1)
    return np.stack([pairs, flat.mean(axis=1), (flat**2).mean(axis=1)], axis=1)


def _square_correlation(m: np.ndarray) -> np.ndarray:
    """(E X^2 Y^2 - (E X^2)^2) / (E X^4 - (E X^2)^2): X, Y exchangeable entries of one line."""
    return (m[..., 0] - m[..., 1] ** 2) / (m[..., 2] - m[..., 1] ** 2)


def _square_correlation_estimate(J: np.ndarray, axis: int) -> Estimate:
    line = J.shape[axis]
    if line < 2:
        name = "row" if axis == -1 else "column"
        return no_value(J.shape[0], unreliable=f"no two entries share a {name} ({name}s of length {line})")
    return Estimate.from_moments(_shared_line_moments(J, axis), _square_correlation, J.size)


@estimator(JACOBIAN)
def jacobian_row_square_correlation(sample: JacobianSample) -> Estimate:
    """corr(J_ij^2, J_ij'^2), j != j', at x_0: 0 for independent entries (one row shares P_out[i])."""
    return _square_correlation_estimate(sample.J[:, 0], -1)


@estimator(JACOBIAN)
def jacobian_column_square_correlation(sample: JacobianSample) -> Estimate:
    """corr(J_ij^2, J_i'j^2), i != i', at x_0: 0 for independent entries (one column shares the hidden layers)."""
    return _square_correlation_estimate(sample.J[:, 0], -2)


def _mean_square_correlation(sample: JacobianSample) -> tuple[float, float]:
    """The mean of the row and the column square correlations (the row one alone at K = 1) and its standard
    error (jackknife over networks, both from one set of per-network moments)."""
    J = sample.J[:, 0]
    moments = [_shared_line_moments(J, axis) for axis in (-1, -2) if J.shape[axis] >= 2]
    if not moments:
        raise ValueError("a square correlation needs a row or a column with two or more entries")
    joined = np.concatenate(moments, axis=1)
    count = len(moments)

    def combine(m: np.ndarray) -> np.ndarray:
        return sum(_square_correlation(m[..., 3 * i:3 * i + 3]) for i in range(count)) / count

    interval = stats.cluster_interval(joined, combine, 0.5)  # any level: only its estimate and se are used
    return interval.estimate, interval.se


@estimator(JACOBIAN, sweep=True)
def jacobian_square_correlation_width_change(samples: tuple[JacobianSample, JacobianSample]) -> Estimate:
    """rho(N) - rho(N_low), rho the mean of the row and column square correlations: negative when the entries'
    dependence shrinks with width (the two widths' samples are independent, so their variances add)."""
    low, high = samples
    if low.spec.N >= high.spec.N:
        raise ValueError(f"the two widths must increase, got N = {low.spec.N} then {high.spec.N}")
    (rho_low, se_low), (rho_high, se_high) = (_mean_square_correlation(s) for s in samples)
    change, se = rho_high - rho_low, float(np.hypot(se_low, se_high))
    figures = {f"rho_at_N={low.spec.N}": rho_low, f"rho_at_N={high.spec.N}": rho_high}
    return Estimate(lambda delta: stats.normal_interval(change, se, delta), low.units + high.units, figures=figures)


@estimator(JACOBIAN)
def jacobian_anderson_darling(sample: JacobianSample) -> Estimate:
    """Anderson-Darling test of J_ij at x_0 against a centred Gaussian, one entry per row (``_one_per_row``:
    distinct rows and columns), pooled over networks: n = K B entries, i.i.d. under the theorem."""
    return Estimate.from_test(anderson_darling_normal(_one_per_row(sample.J[:, 0])))


@estimator(JACOBIAN)
def bias_anderson_darling(sample: JacobianSample) -> Estimate:
    """Anderson-Darling test of a_i at x_0 against a centred Gaussian, every entry (one per row), pooled over
    networks: n = K B entries, i.i.d. under the theorem."""
    return Estimate.from_test(anderson_darling_normal(sample.a[:, 0]))


@estimator(JACOBIAN)
def jacobian_law_two_inputs(sample: JacobianSample) -> Estimate:
    """Two-sample Anderson-Darling test of J_ij (raw, one per row) at x_0 on the first half of the networks
    against J_ij at x_1 on the second half: independent samples, one law under the theorem."""
    half = _two_inputs(sample)
    return Estimate.from_test(anderson_darling_two_sample(_one_per_row(sample.J[:half, 0]),
                                                          _one_per_row(sample.J[half:, 1])))


@estimator(JACOBIAN)
def bias_law_two_inputs(sample: JacobianSample) -> Estimate:
    """Two-sample Anderson-Darling test of a_i (raw) at x_0 on the first half of the networks against a_i at x_1
    on the second half."""
    half = _two_inputs(sample)
    return Estimate.from_test(anderson_darling_two_sample(sample.a[:half, 0], sample.a[half:, 1]))


def _joint_square_correlation(m: np.ndarray) -> np.ndarray:
    """(E J^2 a^2 - E J^2 E a^2) / sqrt(Var J^2 Var a^2) from the means of J^2 a^2, J^2, a^2, J^4, a^4."""
    cross, j2, a2, j4, a4 = (m[..., i] for i in range(5))
    return (cross - j2 * a2) / np.sqrt((j4 - j2**2) * (a4 - a2**2))


@estimator(JACOBIAN)
def jacobian_bias_square_correlation(sample: JacobianSample) -> Estimate:
    """corr(J_ij^2, a_i^2) at x_0, pooled over the row's entries and across networks: 0 when J and a are
    independent.  At K = 1 it is the dependence across networks the paper's setting allows; averaging the d
    entries of the row makes it ~sqrt(d) times as precise as a correlation of one number per network.  The
    Spearman correlation of ||J_i.|| and |a_i| across networks is reported beside it."""
    J, a = sample.J[:, 0], sample.a[:, 0]
    squares, bias = J**2, a**2
    B = J.shape[0]
    moments = np.stack([(squares * bias[..., None]).reshape(B, -1).mean(axis=1),
                        squares.reshape(B, -1).mean(axis=1), bias.mean(axis=1),
                        (squares**2).reshape(B, -1).mean(axis=1), (bias**2).mean(axis=1)], axis=1)
    rank_moments, rank_combine = stats.rank_correlation_moments(np.linalg.norm(J, axis=-1), np.abs(a))
    figures = {"spearman_row_norm_abs_bias": float(rank_combine(rank_moments.mean(axis=0)))}
    return Estimate.from_moments(moments, _joint_square_correlation, J.size + a.size, figures=figures)
