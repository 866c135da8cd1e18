"""PGD: exact projections, and on linear maps it reaches the operator norm where that has a closed form; several
searches run at once find what each finds alone."""
from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from numerics.attacks import Search, pgd, pgd_many, project, project_l1, steepest_direction
from numerics.random import Draws
from numerics.opnorms import INF, PAIRS, opnorm, vector_norm
from numerics.papers.meanfield.networks import NetworkBatch, sample_networks
from theory.papers.meanfield.network import NetworkSpec


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


TINY = NetworkSpec(arch="vanilla", d=4, K=3, N=16, L=2, sigma_w2=2.0, sigma_b2=0.1)
EPS = {1: 0.9, 2: 0.5, INF: 0.3}


def tiny_problem(B: int = 6) -> tuple[NetworkBatch, torch.Tensor]:
    """B float64 networks and one input per network."""
    return sample_networks(TINY, B, Draws(3)), Draws(4).standard_normal((B, TINY.d))


def all_pairs() -> list[Search]:
    """The nine pairs, each with its own eps and restarts (2K targets every output for q = oo; one restart, never
    targeted, for p = 2 and finite q, beside targeted searches)."""
    return [Search(p, q, EPS[p], 2 * TINY.K if q == INF else 1 if p == 2 else 3) for p, q in PAIRS]


def streams(networks: range) -> list[Draws]:
    """Fresh per-network streams, as ``samples._norm_chunk`` gives every pair."""
    return [Draws(5).child(f"pgd/{i}") for i in networks]


def agrees(found, alone) -> bool:
    return all(torch.allclose(a, b, rtol=1e-12, atol=1e-12) for a, b in
               ((found.value, alone.value), (found.eta, alone.eta), (found.history, alone.history)))


def test_searches_run_at_once_find_what_each_finds_alone():
    net, x = tiny_problem()
    searches = all_pairs()
    together = pgd_many(net, x, searches, steps=8, draws=[streams(range(6)) for _ in searches])
    for search, found in zip(searches, together):
        alone = pgd(net, x, search.eps, search.p, search.q, steps=8, restarts=search.restarts, draws=streams(range(6)))
        assert agrees(found, alone), (search.p, search.q)
        assert found.restarts == search.restarts
        assert (vector_norm(found.eta, search.p) <= search.eps * (1 + 1e-12)).all()


def test_a_search_with_a_swapped_q_is_caught():
    """The planted twin of the test above: one pair run with another q no longer agrees with that pair alone."""
    net, x = tiny_problem()
    searches = all_pairs()
    planted = 1  # (1, 2) searched as (1, oo)
    assert (searches[planted].p, searches[planted].q) == (1, 2)
    twin = [*searches[:planted], Search(1, INF, EPS[1], searches[planted].restarts), *searches[planted + 1:]]
    together = pgd_many(net, x, twin, steps=8, draws=[streams(range(6)) for _ in twin])
    for k, (search, found) in enumerate(zip(searches, together)):
        alone = pgd(net, x, search.eps, search.p, search.q, steps=8, restarts=search.restarts, draws=streams(range(6)))
        assert agrees(found, alone) == (k != planted), (search.p, search.q)


def test_a_networks_searches_do_not_depend_on_the_batch():
    net, x = tiny_problem()
    searches = all_pairs()

    def run(part: slice) -> list:
        group = NetworkBatch(TINY, *(t[part] for t in (net.P_in, net.W, net.b, net.P_out)))
        return pgd_many(group, x[part], searches, steps=8,
                        draws=[streams(range(6)[part]) for _ in searches])

    whole, head, tail = run(slice(0, 6)), run(slice(0, 3)), run(slice(3, 6))
    for found, first, second in zip(whole, head, tail):
        torch.testing.assert_close(found.value, torch.cat([first.value, second.value]), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(found.eta, torch.cat([first.eta, second.eta]), rtol=1e-12, atol=1e-12)


def test_bad_searches_are_refused():
    with pytest.raises(ValueError, match="eps"):
        Search(2, 2, 0.0)
    with pytest.raises(ValueError, match="restarts"):
        Search(2, 2, 1.0, restarts=0)
    with pytest.raises(ValueError, match="orders"):
        Search(3, 2, 1.0)
    with pytest.raises(ValueError, match="one entry per search"):
        pgd_many(lambda z: z, torch.zeros(1, 2), [Search(2, 2, 1.0)] * 2, draws=[Draws(1)])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_a_zero_gradients_l2_direction_is_zero_in_either_precision(dtype):
    """A float32 search (the norms' PGD, the NTK training) whose gradient vanishes takes no step; the clamp it had,
    1e-300, is 0 in float32 and made the direction 0 / 0 = nan, which then spread through the perturbation."""
    grad = torch.zeros(3, 4, dtype=dtype)
    grad[0, 1] = 2.0
    direction = steepest_direction(grad, 2)
    assert torch.equal(direction, torch.tensor([[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], dtype=dtype))
