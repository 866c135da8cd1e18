"""The exact adversarial loss by MILP (``numerics.papers.meanfield.milp``) and the sandwich claims built on it.

References: in d = 1 the maximum of a convex-per-piece function over [-eps, eps] sits at a breakpoint, and the
breakpoints are walked exactly; in d = 2 with one layer every kink is a straight line, so the maximum sits at an
intersection of two kink or ball-edge lines, all enumerated; deeper 2-d networks are checked against a dense
grid within a certified Lipschitz slack.  The planted twins judge an inflated attack and a deflated local bound
on the same sample as the true claim.
"""
from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
import torch

from numerics.attacks import pgd
from numerics.device import one_thread
from numerics.experiment import ESTIMATORS, EXPERIMENTS
from numerics.opnorms import vector_norm
from numerics.papers.meanfield import milp
from numerics.papers.meanfield.exact import EXACT_PAIRS, sample_exact
from numerics.papers.meanfield.milp import exact_adv_loss, interval_bounds
from numerics.papers.meanfield.networks import NetworkBatch, sample_networks
from numerics.papers.meanfield.samples import fixed_inputs
from numerics.papers.meanfield.segments import segment_pieces
from numerics.papers.meanfield.settings import EXACT, ExactSettings
from numerics.random import Draws
from theory.papers.meanfield.network import NetworkSpec
from theory.registry import REGISTRY
from verify.judge import check_config, estimator_arguments
from verify.profiles import get_profile
from verify.verdict import Status

INF = math.inf
ORDERS = (1, INF)
ACTIVATIONS = {"relu": (1.0, 0.0), "leaky": (1.0, 0.3), "negative": (1.2, -0.4)}


def network(arch: str, activation: str, d: int, N: int, L: int, K: int, seed: int, sigma_b2: float = 0.1):
    u, v = ACTIVATIONS[activation]
    spec = NetworkSpec(arch=arch, d=d, K=K, N=N, L=L, sigma_w2=2.0, sigma_b2=sigma_b2, u=u, v=v)
    draws = Draws(seed)
    return sample_networks(spec, 1, draws), fixed_inputs(d, [1.0], draws.child("inputs"))[0]


def loss(net: NetworkBatch, x: torch.Tensor, etas: torch.Tensor, q: float) -> torch.Tensor:
    """||f(x + eta) - f(x)||_q for each row of etas (n, d)."""
    with torch.no_grad():
        return vector_norm(net(x + etas)[0] - net(x[None])[0], q)


def eps_of(x: torch.Tensor, p: float) -> float:
    return 0.3 * float(vector_norm(x, p))


@pytest.mark.parametrize("arch", ["vanilla", "residual"])
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("q", ORDERS)
def test_one_dimension_equals_the_best_breakpoint(arch, activation, q):
    net, x = network(arch, activation, d=1, N=8, L=2, K=2, seed=11)
    eps = eps_of(x, 1)
    start, span = (x - eps)[None], torch.full((1, 1), 2 * eps, dtype=x.dtype)
    pieces = segment_pieces(net, start, span)
    breaks = pieces.breaks[0, : int(pieces.counts[0]) + 1]
    best = float(loss(net, x, (2 * breaks - 1)[:, None] * eps, q).max())
    for p in ORDERS:  # in d = 1 every l_p ball is [-eps, eps]
        found = exact_adv_loss(net, x, eps, p, q)
        assert found.value == pytest.approx(best, rel=1e-7, abs=1e-12)  # solver tolerances: ~1e-9
        assert found.upper == pytest.approx(best, rel=1e-6, abs=1e-12)


def _edges(p: float, eps: float) -> list[tuple[np.ndarray, float]]:
    """The ball's edges as lines a . eta = c."""
    if p == INF:
        return [(np.array(a, dtype=float), eps) for a in ((1, 0), (-1, 0), (0, 1), (0, -1))]
    return [(np.array(a, dtype=float), eps) for a in itertools.product((1.0, -1.0), repeat=2)]


def _vertices(net: NetworkBatch, x: torch.Tensor, p: float, eps: float) -> torch.Tensor:
    """Every intersection of two lines among the first layer's kinks and the ball's edges, inside the ball."""
    A = (net.W[0, 0] @ net.P_in[0]).numpy()  # the first layer's pre-activation is A eta + c
    c = (net.W[0, 0] @ net.P_in[0] @ x + net.b[0, 0]).numpy()
    lines = [(A[i], -c[i]) for i in range(len(c))] + _edges(p, eps)
    points = [np.zeros(2)]
    for (a1, c1), (a2, c2) in itertools.combinations(lines, 2):
        M = np.stack([a1, a2])
        if abs(np.linalg.det(M)) > 1e-12:
            points.append(np.linalg.solve(M, [c1, c2]))
    points = np.array(points)
    inside = np.linalg.norm(points, ord=p, axis=1) <= eps * (1 + 1e-12)
    return torch.as_tensor(points[inside])


@pytest.mark.parametrize("arch", ["vanilla", "residual"])
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("p, q", list(itertools.product(ORDERS, ORDERS)))
def test_two_dimensions_one_layer_equals_the_best_vertex(arch, activation, p, q):
    net, x = network(arch, activation, d=2, N=6, L=1, K=3, seed=4)
    eps = eps_of(x, p)
    best = float(loss(net, x, _vertices(net, x, p, eps), q).max())
    found = exact_adv_loss(net, x, eps, p, q)
    assert found.value == pytest.approx(best, rel=1e-7, abs=1e-12)  # solver tolerances: ~1e-9
    assert found.gap <= 1e-6


def _lipschitz(net: NetworkBatch, p: float, q: float) -> float:
    """A certified Lipschitz constant of eta -> f(x + eta) in l_p -> l_q: the l_p -> l_oo norm of P_in, then
    l_oo -> l_oo layer norms (|phi(z) - phi(z')| <= max(|u|, |v|) |z - z'|), then l_oo -> l_q of P_out."""
    s, slope = net.spec, max(abs(net.spec.u), abs(net.spec.v))
    P_in, W, P_out = net.P_in[0].abs(), net.W[0].abs(), net.P_out[0].abs()
    bound = float(P_in.amax(dim=1).max() if p == 1 else P_in.sum(dim=1).max())
    for layer in range(s.L):
        step = slope * float(W[layer].sum(dim=1).max())
        bound *= step if s.arch == "vanilla" else 1 + step
    return bound * float(P_out.sum(dim=1).sum() if q == 1 else P_out.sum(dim=1).max())


@pytest.mark.parametrize("arch", ["vanilla", "residual"])
@pytest.mark.parametrize("activation", ["relu", "leaky"])
@pytest.mark.parametrize("p, q", list(itertools.product(ORDERS, ORDERS)))
def test_two_dimensions_deeper_matches_a_dense_grid(arch, activation, p, q):
    net, x = network(arch, activation, d=2, N=6, L=2, K=2, seed=8)
    eps = eps_of(x, p)
    n = 801  # eps is a grid point, so every point of either ball lies in a grid cell whose corners are inside
    axis = torch.linspace(-eps, eps, n, dtype=torch.float64)
    grid = torch.cartesian_prod(axis, axis)
    grid = grid[vector_norm(grid, p) <= eps * (1 + 1e-12)]
    best = float(loss(net, x, grid, q).max())
    slack = _lipschitz(net, p, q) * (2 * eps / (n - 1)) * (2 if p == 1 else 1)  # l_p distance to a cell corner
    found = exact_adv_loss(net, x, eps, p, q)
    assert best <= found.upper * (1 + 1e-9)
    assert found.value <= best + slack
    assert found.gap <= 1e-6


@pytest.mark.parametrize("arch", ["vanilla", "residual"])
@pytest.mark.parametrize("activation", ["relu", "leaky"])
def test_exact_loss_dominates_pgd_and_matches_its_dual_bound(arch, activation):
    u, v = ACTIVATIONS[activation]
    spec = NetworkSpec(arch=arch, d=5, K=3, N=10, L=2, sigma_w2=2.0, sigma_b2=0.05, u=u, v=v)
    draws = Draws(21)
    net = sample_networks(spec, 3, draws)
    x = fixed_inputs(spec.d, [1.0], draws.child("inputs"))[0]
    for p, q in itertools.product(ORDERS, ORDERS):
        eps = 0.1 * float(vector_norm(x, p))  # the experiment's radius
        with one_thread():
            attack = pgd(net, x.expand(3, -1), eps, p, q, steps=20, restarts=8, draws=draws.child(f"pgd/{p}/{q}"))
        for i in range(3):
            found = exact_adv_loss(net, x, eps, p, q, index=i)
            assert float(attack.value[i]) <= found.upper * (1 + 1e-9)
            assert found.gap <= 1e-6 and found.status == "optimal"
            assert float(vector_norm(torch.as_tensor(found.eta), p)) <= eps * (1 + 1e-12)
            one = NetworkBatch(spec, *(t[i:i + 1] for t in (net.P_in, net.W, net.b, net.P_out)))
            assert float(loss(one, x, torch.as_tensor(found.eta)[None], q)) == pytest.approx(found.value, rel=1e-12)


@pytest.mark.parametrize("arch", ["vanilla", "residual"])
@pytest.mark.parametrize("p", ORDERS)
def test_interval_bounds_contain_every_pre_activation_in_the_ball(arch, p):
    net, x = network(arch, "negative", d=4, N=10, L=3, K=2, seed=2)
    eps = eps_of(x, p)
    w = milp._weights(net)
    bounds = interval_bounds(w, x.numpy(), net(x[None])[0, 0].detach().numpy(), eps, p)
    draws = Draws(3)
    etas = draws.standard_normal((4000, 4))
    etas = etas / vector_norm(etas, p)[:, None] * eps * draws.uniform((4000, 1)) ** 0.25
    _, slopes = net.forward_with_slopes(x + etas)
    h = (x + etas) @ net.P_in[0].T
    for layer, (lo, hi) in enumerate(bounds.pre):
        pre = h @ net.W[0, layer].T + net.b[0, layer]
        assert bool((pre >= torch.as_tensor(lo)).all() and (pre <= torch.as_tensor(hi)).all())
        phi = slopes[layer][0] * pre
        h = phi if arch == "vanilla" else h + phi
    change = h @ net.P_out[0].T - net(x[None])[0, 0]
    assert bool((change >= torch.as_tensor(bounds.out[0])).all() and (change <= torch.as_tensor(bounds.out[1])).all())


def test_refuses_what_it_cannot_certify(monkeypatch):
    net, x = network("vanilla", "relu", d=3, N=6, L=2, K=2, seed=1)
    with pytest.raises(ValueError, match="p, q in"):
        exact_adv_loss(net, x, 0.1, 2, 1)
    with pytest.raises(ValueError, match="eps"):
        exact_adv_loss(net, x, 0.0, 1, 1)
    solve = milp._solve

    def stopped(*args):
        found = solve(*args)
        found.status, found.message = 1, "node limit reached"
        return found

    monkeypatch.setattr(milp, "_solve", stopped)
    with pytest.raises(RuntimeError, match="not solved to optimality"):
        exact_adv_loss(net, x, 0.5, INF, 1)
    with pytest.raises(RuntimeError, match="LP relaxation"):
        exact_adv_loss(net, x, 0.5, INF, INF)


# the sandwich claims: the true claim and its planted twins on one sample
SETTINGS = ExactSettings(networks=4, d=4, K=2, N=8, L=2, pgd_steps=10, pgd_restarts=4, matrices=200)
PROFILE = get_profile("quick")


def _spec(arch: str) -> NetworkSpec:
    return NetworkSpec(arch=arch, d=SETTINGS.d, K=SETTINGS.K, N=SETTINGS.N, L=SETTINGS.L, sigma_w2=2.0,
                       sigma_b2=0.01)


@pytest.fixture(scope="module")
def samples() -> dict:
    return {arch: sample_exact(_spec(arch), SETTINGS, Draws(5)) for arch in ("vanilla", "residual")}


def judged(claim, sample) -> Status:
    found = ESTIMATORS[claim.quantity]
    estimate = found(sample, **estimator_arguments(claim, found, EXPERIMENTS[EXACT].values(sample.spec)))
    return check_config(claim, EXPERIMENTS[EXACT], sample.spec, estimate, PROFILE.delta, sample.units).status


def _planted(sample, **changes):
    """The sample with every pair's ``changes`` (field -> function of the PairResult) applied."""
    pairs = {pq: dataclasses.replace(pair, **{k: f(pair, pq) for k, f in changes.items()})
             for pq, pair in sample.pairs.items()}
    return dataclasses.replace(sample, pairs=pairs)


def _claims(arch: str) -> list:
    return REGISTRY.select([f"meanfield.thm5_1.exact.*.{arch}"])


@pytest.mark.parametrize("arch", ["vanilla", "residual"])
def test_sandwich_holds_and_an_inflated_attack_is_caught(samples, arch):
    sample = samples[arch]
    inflated = _planted(sample, pgd=lambda pair, pq: 1.1 * pair.pgd)
    for claim in _claims(arch):
        assert judged(claim, sample) is Status.HOLDS
        assert judged(claim, inflated) is Status.VIOLATED


@pytest.mark.parametrize("arch", ["vanilla", "residual"])
def test_an_attack_on_a_larger_ball_is_caught(samples, arch):
    """PGD run on a ball 1.2x larger reports values the true ball cannot reach."""
    sample, draws = samples[arch], Draws(5)
    net = sample_networks(sample.spec, SETTINGS.networks, draws)
    x = fixed_inputs(SETTINGS.d, [1.0], draws.child("inputs"))[0].expand(SETTINGS.networks, -1)

    def larger(pair, pq):
        with one_thread():
            return pgd(net, x, 1.2 * pair.eps, *pq, steps=SETTINGS.pgd_steps, restarts=SETTINGS.pgd_restarts,
                       draws=draws.child("planted")).value.numpy()

    planted = _planted(sample, pgd=larger)
    for claim in _claims(arch):
        assert judged(claim, planted) is Status.VIOLATED


@pytest.mark.parametrize("arch", ["vanilla", "residual"])
def test_a_deflated_local_bound_is_caught(samples, arch):
    """The other side of the sandwich: a local bound 10% too small falls below the exact loss."""
    planted = _planted(samples[arch], local=lambda pair, pq: 0.9 * pair.local)
    for claim in _claims(arch):
        assert judged(claim, planted) is Status.VIOLATED


def test_the_sample_covers_the_milp_pairs_and_reports_pgd_quality(samples):
    sample = samples["vanilla"]
    assert set(sample.pairs) == set(EXACT_PAIRS)
    claim = REGISTRY["meanfield.thm5_1.exact.oo_oo.vanilla"]
    found = ESTIMATORS[claim.quantity]
    figures = found(sample, **estimator_arguments(claim, found, EXPERIMENTS[EXACT].values(sample.spec))).figures
    assert 0 < figures["pgd_over_exact_min"] <= figures["pgd_over_exact_mean"] <= 1 + 1e-6
    assert figures["exact_over_meanfield_mean"] > 0 and figures["pgd_steps"] == SETTINGS.pgd_steps
