"""Estimators named by claims (``Claim.quantity``): a Monte Carlo sample in, per-network moments out.

Each returns an ``Estimate``: the (B, m) matrix of per-network moments and the function that turns their mean
into the statistic, so ``stats.cluster_interval`` can form an interval with networks as the independent
units.  Estimators measure; they never compare with a claim (that is ``verify``'s job).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from numerics import stats
from numerics.montecarlo import JacobianSample


@dataclass(frozen=True)
class Estimate:
    """A measured statistic: per-network moments, how to combine them, and auxiliary figures."""

    moments: np.ndarray  # (B, m)
    combine: Callable[[np.ndarray], np.ndarray]
    n_samples: int  # scalar entries behind the statistic
    p_value: float | None = None  # goodness-of-fit p-value, where the claim is about a law
    extras: dict[str, float] = field(default_factory=dict)
    sum_squares: float | None = None  # set for variance statistics of mean-zero entries

    def interval(self, delta: float) -> stats.Interval:
        """Interval with the B networks as independent units (valid whatever the within-network dependence)."""
        return stats.cluster_interval(self.moments, self.combine, delta)

    def iid_interval(self, delta: float) -> stats.Interval | None:
        """The chi-square interval that would hold if all n_samples entries were i.i.d. Gaussian."""
        if self.sum_squares is None:
            return None
        return stats.chi2_variance_interval(self.sum_squares, self.n_samples, delta)


def _first(m: np.ndarray) -> np.ndarray:
    return m[..., 0]


def _kurtosis(m: np.ndarray) -> np.ndarray:
    return m[..., 0] / m[..., 1] ** 2


def _ratio(m: np.ndarray) -> np.ndarray:
    return m[..., 0] / m[..., 1]


def _one_per_row(J: np.ndarray) -> np.ndarray:
    """J[b, i, i mod d]: distinct rows and (where K <= d) distinct columns, independent given the weights."""
    K, d = J.shape[-2:]
    return J[:, np.arange(K), np.arange(K) % d]


def _variance(values: np.ndarray) -> Estimate:
    """Mean square per network of mean-zero entries (their variance)."""
    flat = values.reshape(values.shape[0], -1)
    return Estimate((flat**2).mean(axis=1, keepdims=True), _first, flat.size, sum_squares=float((flat**2).sum()))


def _kurtosis_estimate(values: np.ndarray, one_per_row: np.ndarray) -> Estimate:
    """Pooled kurtosis E x^4 / (E x^2)^2 over all networks' entries, with a KS test of one entry per row."""
    flat = values.reshape(values.shape[0], -1)
    moments = np.stack([(flat**4).mean(axis=1), (flat**2).mean(axis=1)], axis=1)
    pooled_rms = np.sqrt((flat**2).mean())
    return Estimate(moments, _kurtosis, flat.size, p_value=stats.ks_normal_pvalue(one_per_row / pooled_rms))


def jacobian_entry_variance(sample: JacobianSample) -> Estimate:
    """Var J_ij at the reference input x_0 (entries have mean zero by the sign symmetry of P_out)."""
    return _variance(sample.J[:, 0])


def bias_entry_variance(sample: JacobianSample) -> Estimate:
    """Var a_i at the reference input x_0."""
    return _variance(sample.a[:, 0])


def jacobian_entry_kurtosis(sample: JacobianSample) -> Estimate:
    """Kurtosis of J_ij at x_0 (3 for a Gaussian law)."""
    return _kurtosis_estimate(sample.J[:, 0], _one_per_row(sample.J[:, 0]))


def bias_entry_kurtosis(sample: JacobianSample) -> Estimate:
    """Kurtosis of a_i at x_0 (3 for a Gaussian law)."""
    return _kurtosis_estimate(sample.a[:, 0], sample.a[:, 0])


def jacobian_bias_rank_correlation(sample: JacobianSample) -> Estimate:
    """Spearman correlation of |J_i.| (row norm) and |a_i| across the K rows of one network, averaged.

    Independence of J and a implies 0; unlike a plain correlation of J_ij with a_i (zero by sign symmetry
    whatever the dependence), magnitudes catch a shared scale.
    """
    rows = np.linalg.norm(sample.J[:, 0], axis=-1)
    rho = stats.rowwise_spearman(rows, np.abs(sample.a[:, 0]))
    return Estimate(rho[:, None], _first, rows.size + sample.a[:, 0].size)


def _input_ratio(at_x0: np.ndarray, at_x1: np.ndarray, first: np.ndarray, second: np.ndarray,
                 norms: tuple[float, ...]) -> Estimate:
    """Var(entries at x_1) / Var(entries at x_0), paired within networks.

    ``first``/``second`` are one-per-row entries at x_0 of the first half of the networks and at x_1 of the
    second half: independent samples, as the two-sample KS test behind the p-value requires.
    """
    B = at_x0.shape[0]
    moments = np.stack([(at_x1**2).reshape(B, -1).mean(axis=1), (at_x0**2).reshape(B, -1).mean(axis=1)], axis=1)
    extras = {"input_norm_0": norms[0], "input_norm_1": norms[1]}
    return Estimate(moments, _ratio, at_x0.size + at_x1.size,
                    p_value=stats.ks_two_sample_pvalue(first, second), extras=extras)


def _two_inputs(sample: JacobianSample) -> int:
    if sample.J.shape[1] < 2:
        raise ValueError("input-independence estimators need J and a at two or more inputs")
    return sample.B // 2


def jacobian_variance_input_ratio(sample: JacobianSample) -> Estimate:
    """Var J_ij(x_1) / Var J_ij(x_0) for inputs of different norms and directions."""
    half = _two_inputs(sample)
    J0, J1 = sample.J[:, 0], sample.J[:, 1]
    return _input_ratio(J0, J1, _one_per_row(J0[:half]), _one_per_row(J1[half:]), sample.input_norms)


def bias_variance_input_ratio(sample: JacobianSample) -> Estimate:
    """Var a_i(x_1) / Var a_i(x_0) for inputs of different norms and directions."""
    half = _two_inputs(sample)
    a0, a1 = sample.a[:, 0], sample.a[:, 1]
    return _input_ratio(a0, a1, a0[:half], a1[half:], sample.input_norms)


ESTIMATORS: dict[str, Callable[[JacobianSample], Estimate]] = {
    fn.__name__: fn for fn in (jacobian_entry_variance, bias_entry_variance, jacobian_entry_kurtosis,
                               bias_entry_kurtosis, jacobian_bias_rank_correlation, jacobian_variance_input_ratio,
                               bias_variance_input_ratio)
}
