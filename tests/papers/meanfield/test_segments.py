"""The segment walk finds the exact linear pieces of f along x + t eta: the pieces integrate to f(x + eta) - f(x),
each piece's J is the autograd Jacobian inside it, and the local bound dominates the change of f."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from numerics.opnorms import PAIRS, vector_norm
from numerics.papers.meanfield.jacobian import jacobian_autograd
from numerics.papers.meanfield.networks import sample_networks
from numerics.papers.meanfield import samples
from numerics.papers.meanfield.samples import sample_network_norms
from numerics.papers.meanfield.segments import local_bound, segment_pieces
from numerics.random import Draws
from theory.papers.meanfield.network import ARCHITECTURES, NetworkSpec

CASES = {
    "vanilla": NetworkSpec("vanilla", d=5, K=3, N=24, L=3, sigma_w2=2.0, sigma_b2=0.1),
    "residual": NetworkSpec("residual", d=5, K=3, N=24, L=3, sigma_w2=0.5, sigma_b2=0.1),
    "leaky": NetworkSpec("vanilla", d=5, K=3, N=24, L=3, sigma_w2=1.5, sigma_b2=0.1, u=1.0, v=0.2),
}


def _walk(spec: NetworkSpec, seed: int, B: int = 6, length: float = 3.0):
    draws = Draws(seed)
    net = sample_networks(spec, B, draws)
    x = draws.child("x").standard_normal((B, spec.d))
    eta = length * draws.child("eta").standard_normal((B, spec.d))
    return net, x, eta, segment_pieces(net, x, eta)


def _integral(pieces, eta):
    widths = pieces.breaks.diff(dim=1)  # (B, P), 0 on padding
    return torch.einsum("bp,bpkd,bd->bk", widths, pieces.jacobians, eta)


@pytest.mark.parametrize("case", CASES)
def test_pieces_integrate_to_the_change_of_f(case):
    net, x, eta, pieces = _walk(CASES[case], seed=7)
    change = net((x + eta)[:, None])[:, 0] - net(x[:, None])[:, 0]
    assert int(pieces.counts.min()) > 3  # the segment crosses kinks: the test is not of one linear piece
    torch.testing.assert_close(_integral(pieces, eta), change, rtol=0, atol=1e-10)
    assert torch.all(pieces.breaks.diff(dim=1) >= 0) and torch.all(pieces.breaks[:, -1] == 1)


@given(spec=st.builds(NetworkSpec, arch=st.sampled_from(ARCHITECTURES), d=st.integers(1, 4), K=st.integers(1, 3),
                      N=st.integers(2, 10), L=st.integers(1, 3), sigma_w2=st.floats(0.3, 3.0),
                      sigma_b2=st.floats(0.0, 1.0), u=st.floats(0.1, 2.0), v=st.floats(-1.0, 1.0)),
       seed=st.integers(0, 2**31))
def test_pieces_integrate_for_any_small_network(spec, seed):
    net, x, eta, pieces = _walk(spec, seed, B=3)
    change = net((x + eta)[:, None])[:, 0] - net(x[:, None])[:, 0]
    scale = 1 + change.abs().max()
    torch.testing.assert_close(_integral(pieces, eta), change, rtol=0, atol=1e-10 * float(scale))


@pytest.mark.parametrize("case", CASES)
def test_piece_jacobians_match_autograd_at_midpoints(case):
    net, x, eta, pieces = _walk(CASES[case], seed=11)
    middle = 0.5 * (pieces.breaks[:, :-1] + pieces.breaks[:, 1:])  # (B, P)
    points = x[:, None, :] + middle[..., None] * eta[:, None, :]  # (B, P, d)
    autograd = jacobian_autograd(net, points)  # (B, P, K, d)
    valid = pieces.valid
    torch.testing.assert_close(pieces.jacobians[valid], autograd[valid], rtol=1e-10, atol=1e-12)
    assert torch.all(pieces.jacobians[~valid] == 0)


@pytest.mark.parametrize("case", CASES)
def test_local_bound_dominates_the_change_of_f(case):
    net, x, eta, pieces = _walk(CASES[case], seed=13)
    change = net((x + eta)[:, None])[:, 0] - net(x[:, None])[:, 0]
    for p, q in PAIRS:
        bound = local_bound(pieces, p, q, vector_norm(eta, p))
        assert torch.all(vector_norm(change, q) <= bound * (1 + 1e-12))


def test_zero_direction_is_one_piece():
    spec = CASES["vanilla"]
    net = sample_networks(spec, 2, Draws(3))
    x = Draws(4).standard_normal((2, spec.d))
    pieces = segment_pieces(net, x, torch.zeros_like(x))
    assert pieces.counts.tolist() == [1, 1] and pieces.breaks.tolist() == [[0.0, 1.0], [0.0, 1.0]]


def test_certificates_do_not_depend_on_the_chunk_or_walk_group_size_and_hold(monkeypatch):
    spec = NetworkSpec("residual", d=4, K=2, N=16, L=2, sigma_w2=1.0, sigma_b2=0.1)
    runs = [sample_network_norms(spec, 12, 2, 11, 3, 2, 0.3, 20, Draws(0), chunk=12, certificate_networks=10)]
    monkeypatch.setattr(samples, "SEGMENT_GROUP", 3)  # walks of 3, 3, 3, 1 networks inside chunks of 5, 5
    runs.append(sample_network_norms(spec, 12, 2, 11, 3, 2, 0.3, 20, Draws(0), chunk=5, certificate_networks=10))
    for pq in PAIRS:
        assert runs[0].certificate[pq].shape == (10,) and (runs[0].pieces[pq] >= 1).all()
        assert (runs[0].certificate[pq] == runs[1].certificate[pq]).all()
        assert (runs[0].certificate[pq] <= 1 + 1e-6).all()
