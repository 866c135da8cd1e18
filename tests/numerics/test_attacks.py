"""PGD: exact projections, and on linear maps it reaches the operator norm where that has a closed form."""
from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from numerics.attacks import pgd, project, project_l1
from numerics.random import Draws
from numerics.opnorms import INF, opnorm, vector_norm


def project_l1_bisection(v: torch.Tensor, radius: float) -> torch.Tensor:
    """Reference l1 projection by bisection on the soft threshold (a different algorithm from the sort-based one)."""
    if v.abs().sum() <= radius:
        return v.clone()
    lo, hi = 0.0, v.abs().max().item()
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if (v.abs() - mid).clamp(min=0).sum() > radius else (lo, mid)
    return torch.sign(v) * (v.abs() - hi).clamp(min=0)


@given(d=st.integers(1, 12), radius=st.floats(0.01, 5.0), seed=st.integers(0, 2**31))
def test_l1_projection_matches_bisection(d, radius, seed):
    v = 3 * torch.randn(d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    ours = project_l1(v[None], radius)[0]
    torch.testing.assert_close(ours, project_l1_bisection(v, radius), rtol=1e-9, atol=1e-9)
    assert ours.abs().sum() <= radius * (1 + 1e-12)


def test_projections_land_in_their_balls():
    v = torch.randn(50, 7, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 4
    for p in (1, 2, INF):
        assert (vector_norm(project(v, p, 0.3), p) <= 0.3 * (1 + 1e-12)).all()


CLOSED_FORM = [(1, 1), (1, 2), (1, INF), (2, INF), (INF, INF), (2, 2)]


@pytest.mark.parametrize("p, q", CLOSED_FORM)
@pytest.mark.parametrize("K, d", [(3, 10), (1, 16), (8, 8), (12, 6)])
def test_pgd_reaches_99_percent_of_the_closed_form_norm_on_linear_maps(p, q, K, d):
    g = torch.Generator().manual_seed(K * 100 + d)
    A = torch.randn(100, K, d, generator=g, dtype=torch.float64)
    x = torch.randn(100, d, generator=g, dtype=torch.float64)
    eps = 0.5
    restarts = max(16, d, 2 * K)  # p = 1 starts on every vertex +-e_j; q = oo targets every output
    found = pgd(lambda z: z @ A.transpose(-1, -2), x, eps, p, q, steps=40, restarts=restarts,
                draws=Draws(K * 100 + d))
    exact = eps * opnorm(A, p, q).value
    ratio = found.value / exact
    assert ratio.min() >= 0.99
    assert ratio.max() <= 1 + 1e-9  # PGD is a lower estimate: it can never beat the true maximum
    assert (vector_norm(found.eta, p) <= eps * (1 + 1e-9)).all()


def test_pgd_history_is_monotone_and_bad_arguments_are_refused():
    A = Draws(0).standard_normal((4, 2, 5))
    result = pgd(lambda z: z @ A.transpose(-1, -2), torch.zeros(4, 5, dtype=torch.float64), 1.0, 2, 2, steps=5,
                 draws=Draws(1))
    assert (result.history[1:] >= result.history[:-1]).all()
    with pytest.raises(ValueError, match="eps"):
        pgd(lambda z: z, torch.zeros(1, 2), 0.0, 2, 2, draws=Draws(1))
