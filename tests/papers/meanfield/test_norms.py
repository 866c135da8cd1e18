"""theory/norms.py: exact Gaussian-norm means against Monte Carlo and their elementary bounds; beta orders."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from numerics.backends import value
from theory.papers.meanfield.norms import (PAIRS, beta_chevet, beta_leading, dual, gaussian_norm_mean, gaussian_norm_mean_bound,
                          lipschitz, oo)
from theory.symbols import K, d

n = sp.Symbol("n", positive=True, integer=True)


@pytest.mark.parametrize("r, ord_", [(1, 1), (2, 2), (oo, np.inf)])
@pytest.mark.parametrize("size", [1, 3, 40])
def test_exact_gaussian_norm_means_match_monte_carlo_and_their_bounds(r, ord_, size):
    exact = value(gaussian_norm_mean(n, r), {n: size})
    rng = np.random.default_rng(size)
    draws = np.linalg.norm(rng.standard_normal((200_000, size)), ord=ord_, axis=1)
    # 6 standard errors: a false failure has probability below 1e-8
    assert abs(draws.mean() - exact) < 6 * draws.std() / np.sqrt(draws.size)
    assert exact <= value(gaussian_norm_mean_bound(n, r), {n: size}) * (1 + 1e-12)


def test_gaussian_norm_of_one_coordinate_is_the_same_for_every_r():
    values = [value(gaussian_norm_mean(n, r), {n: 1}) for r in (1, 2, oo)]
    assert values == pytest.approx([np.sqrt(2 / np.pi)] * 3, rel=1e-12)


@pytest.mark.parametrize("p, q", PAIRS)
def test_leading_order_beta_is_the_large_dimension_limit_of_chevets_beta(p, q):
    # E max_i |g_i| ~ sqrt(2 ln n) has a log-log correction, so the max terms converge slowly: check that the
    # relative error shrinks with the dimensions and is below 15% at K = 1e6, d = 1e7
    errors = [abs(value(beta_chevet(p, q), s) / value(beta_leading(p, q), s) - 1)
              for s in ({K: 10**2, d: 10**3}, {K: 10**6, d: 10**7})]
    assert errors[1] < 0.15 and errors[1] <= errors[0] + 1e-12


def test_dual_and_lipschitz_constants():
    assert [dual(r) for r in (1, 2, oo)] == [oo, 2, 1]
    assert sp.simplify(lipschitz(oo, 1) - sp.sqrt(d) * sp.sqrt(K)) == 0
    assert lipschitz(2, 2) == 1
