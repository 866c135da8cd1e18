"""The torch networks follow THEORY.md section 1, and J, a are right by three independent methods."""
from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from numerics.papers.meanfield.jacobian import jacobian_and_bias, jacobian_autograd, jacobian_finite_difference
from numerics.papers.meanfield.samples import fixed_inputs, sample_jacobians
from numerics.papers.meanfield.networks import NetworkBatch, sample_networks, slope
from numerics.random import Draws
from theory.papers.meanfield.network import ARCHITECTURES, NetworkSpec


@st.composite
def small_specs(draw):
    return NetworkSpec(
        arch=draw(st.sampled_from(ARCHITECTURES)), d=draw(st.integers(1, 6)), K=draw(st.integers(1, 4)),
        N=draw(st.integers(2, 12)), L=draw(st.integers(1, 4)), sigma_w2=draw(st.floats(0.2, 3.0)),
        sigma_b2=draw(st.floats(0.0, 1.0)), u=draw(st.floats(0.1, 2.0)), v=draw(st.floats(-1.0, 1.0)),
    )


def _net_and_inputs(spec: NetworkSpec, seed: int, B: int = 3, n: int = 4):
    draws = Draws(seed)
    return sample_networks(spec, B, draws), draws.child("inputs").standard_normal((n, spec.d))


def _reference_forward(net, x):
    """Layer by layer with explicit per-network loops and the activation written out: an independent rung."""
    s = net.spec
    outs = []
    for b in range(net.B):
        h = net.P_in[b] @ x.T  # (N, n)
        for layer in range(s.L):
            pre = net.W[b, layer] @ h + net.b[b, layer][:, None]
            act = torch.where(pre >= 0, s.u * pre, s.v * pre)
            h = act if s.arch == "vanilla" else h + act
        outs.append((net.P_out[b] @ h).T)
    return torch.stack(outs)


@given(spec=small_specs(), seed=st.integers(0, 2**31))
def test_batched_forward_matches_per_network_loop(spec, seed):
    net, x = _net_and_inputs(spec, seed)
    torch.testing.assert_close(net(x), _reference_forward(net, x), rtol=1e-12, atol=1e-12)


@given(spec=small_specs(), dtype=st.sampled_from([torch.float32, torch.float64]))
def test_slope_is_the_piecewise_value_exactly_and_carries_no_gradient(spec, dtype):
    """The vectorised slope gives u and v bit for bit (zeros of either sign count as >= 0), as torch.where."""
    tiny = torch.finfo(dtype).tiny
    pre = torch.tensor([0.0, -0.0, tiny, -tiny, 1e-3, -1e-3, 7.5, -7.5, torch.inf, -torch.inf], dtype=dtype)
    pre = pre.requires_grad_(True)
    found = slope(pre, spec)
    expected = torch.where(pre.detach() >= 0, torch.tensor(spec.u, dtype=dtype), torch.tensor(spec.v, dtype=dtype))
    assert torch.equal(found, expected) and found.dtype == dtype
    assert not found.requires_grad  # D is piecewise constant: no gradient flows through it


def test_a_slope_of_three_pieces_gets_the_general_kernel_and_the_same_values():
    """The kernels' map also serves a Piecewise of more pieces (where nested in where), value for value."""
    import sympy as sp

    from numerics.papers.meanfield import networks
    from theory.symbols import u, v, z

    three = sp.Piecewise((u, z >= 1), (v, z >= 0), (0, True))
    fn = sp.lambdify((z, u, v), three, modules=[{"where": networks._select, "ge": networks._at_least}, "torch"])
    x = torch.tensor([-1.0, -0.0, 0.0, 0.5, 1.0, 2.0], dtype=torch.float64)
    assert torch.equal(fn(x, 2.0, 0.5), torch.where(x >= 1, 2.0, torch.where(x >= 0, 0.5, 0.0)).double())


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_layer_gradients_equal_those_of_each_layer_alone(arch):
    """The forward pass unbinds W's layers; the gradient with respect to the stacked W is, layer by layer, that of
    a network whose layers are separate leaves (a planted scale on one layer's gradient is caught)."""
    spec = NetworkSpec(arch, d=5, K=2, N=12, L=3, sigma_w2=1.5, sigma_b2=0.1, u=1.0, v=0.2)
    net, x = _net_and_inputs(spec, 3)
    W = net.W.clone().requires_grad_(True)
    (stacked,) = torch.autograd.grad(NetworkBatch(spec, net.P_in, W, net.b, net.P_out)(x).square().sum(), W)
    layers = [net.W[:, layer].clone().requires_grad_(True) for layer in range(spec.L)]
    alone = torch.autograd.grad(NetworkBatch(spec, net.P_in, torch.stack(layers, 1), net.b, net.P_out)(x)
                                .square().sum(), layers)
    assert torch.equal(stacked, torch.stack(alone, 1))
    planted = torch.stack([g * (0.8 if i == 1 else 1.0) for i, g in enumerate(alone)], 1)
    assert not torch.allclose(stacked, planted, rtol=0.1)


@given(spec=small_specs(), seed=st.integers(0, 2**31))
def test_chain_jacobian_matches_autograd_and_linear_representation(spec, seed):
    net, x = _net_and_inputs(spec, seed)
    J, a = jacobian_and_bias(net, x)
    torch.testing.assert_close(J, jacobian_autograd(net, x), rtol=1e-10, atol=1e-12)
    # f(x) = J(x) x + a(x) exactly (piecewise-linear network)
    torch.testing.assert_close(torch.einsum("bnkd,nd->bnk", J, x) + a, net(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_chain_jacobian_matches_finite_differences(arch):
    spec = NetworkSpec(arch, d=9, K=3, N=40, L=3, sigma_w2=1.7, sigma_b2=0.2, u=1.2, v=0.3)
    net, x = _net_and_inputs(spec, 7)
    J, _ = jacobian_and_bias(net, x)
    torch.testing.assert_close(jacobian_finite_difference(net, x), J, rtol=1e-6, atol=1e-7)


def test_planted_error_in_jacobian_is_caught_by_finite_differences():
    spec = NetworkSpec("residual", d=5, K=2, N=16, L=2, sigma_w2=1.0, sigma_b2=0.1)
    net, x = _net_and_inputs(spec, 3)
    J, _ = jacobian_and_bias(net, x)
    vanilla_chain = jacobian_and_bias(
        type(net)(NetworkSpec("vanilla", **{k: v for k, v in spec.as_dict().items() if k != "arch"}),
                  net.P_in, net.W, net.b, net.P_out), x)[0]  # drops the skip connections
    fd = jacobian_finite_difference(net, x)
    assert torch.allclose(fd, J, rtol=1e-6, atol=1e-7)
    assert not torch.allclose(fd, vanilla_chain, rtol=1e-3, atol=1e-3)


def test_weights_have_the_stated_variances():
    spec = NetworkSpec("vanilla", d=50, K=20, N=200, L=3, sigma_w2=2.5, sigma_b2=0.3)
    net = sample_networks(spec, 8, Draws(0))
    for tensor, variance in ((net.P_in, 1 / spec.d), (net.W, spec.sigma_w2 / spec.N), (net.b, spec.sigma_b2),
                             (net.P_out, 1 / spec.N)):
        n = tensor.numel()
        # a sample variance of n Gaussians has relative sd sqrt(2/n); 6 sd has probability < 1e-8
        assert tensor.var().item() == pytest.approx(variance, rel=6 * math.sqrt(2 / n))
        assert abs(tensor.mean().item()) < 6 * math.sqrt(variance / n)


def test_same_seed_same_sample_and_other_seed_differs():
    spec = NetworkSpec("residual", d=4, K=3, N=16, L=2, sigma_w2=1.0, sigma_b2=0.1)
    first = sample_jacobians(spec, 6, (1.0, 10.0), Draws(11), chunk=4)
    again = sample_jacobians(spec, 6, (1.0, 10.0), Draws(11), chunk=4)
    other = sample_jacobians(spec, 6, (1.0, 10.0), Draws(12), chunk=4)
    assert (first.J == again.J).all() and (first.a == again.a).all()
    assert not (first.J == other.J).all()
    assert first.input_norms == pytest.approx((2.0, 20.0))


def test_networks_do_not_depend_on_chunking_or_on_how_many_are_drawn():
    """Each network has its own stream: chunk sizes (e.g. from a memory budget) and run sizes change nothing."""
    spec = NetworkSpec("vanilla", d=5, K=2, N=16, L=2, sigma_w2=2.0, sigma_b2=0.1)
    whole = sample_jacobians(spec, 6, (1.0, 10.0), Draws(3), chunk=6)
    chunked = sample_jacobians(spec, 6, (1.0, 10.0), Draws(3), chunk=4)
    prefix = sample_jacobians(spec, 4, (1.0, 10.0), Draws(3), chunk=1)
    assert (whole.J == chunked.J).all() and (whole.a == chunked.a).all()
    assert (whole.J[:4] == prefix.J).all()


def test_inputs_have_the_requested_norms():
    x = fixed_inputs(25, (0.5, 3.0), Draws(0))
    torch.testing.assert_close(x.norm(dim=1), torch.tensor([2.5, 15.0], dtype=torch.float64))


def test_bad_input_shape_and_sizes_are_refused():
    spec = NetworkSpec("vanilla", d=4, K=2, N=8, L=1, sigma_w2=1.0, sigma_b2=0.1)
    net = sample_networks(spec, 2, Draws(0))
    with pytest.raises(ValueError, match="d=4"):
        net(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="B"):
        sample_networks(spec, 0, Draws(0))
    with pytest.raises(ValueError, match="networks"):
        sample_jacobians(spec, 1, (1.0, 2.0), Draws(0))




def test_network_norms_hold_one_chunk_at_a_time(monkeypatch):
    """A GPU bug seen on an H200 (paper profile): the previous chunk's weights (and their float32 copy for PGD)
    were still referenced while the next chunk was drawn, doubling the peak memory.  Every earlier chunk must be
    freed (by reference counting, no gc) before the next is drawn."""
    import weakref

    from numerics.papers.meanfield import samples

    alive, drawn = [], []

    def tracked(*args, **kwargs):
        assert not [ref for ref in alive if ref() is not None], "an earlier chunk is still referenced"
        net = sample_networks(*args, **kwargs)
        alive.append(weakref.ref(net.W))
        drawn.append(net.W.shape[0])
        return net

    monkeypatch.setattr(samples, "sample_networks", tracked)
    spec = NetworkSpec(arch="vanilla", d=4, K=2, N=8, L=2, sigma_w2=2.0, sigma_b2=0.01)
    sample = samples.sample_network_norms(spec, 6, 3, 4, 2, 2, 0.1, 20, Draws(0), chunk=2)
    assert drawn == [2, 2, 2] and sample.units == 6 and next(iter(sample.pgd.values())).size == 4


def test_norms_in_float32_change_the_norms_by_their_rounding_only():
    """``dtype`` float32 takes the norms on float32 Jacobians of the very same weights: within 1e-5 of float64's
    (four layers of rounding, ~1e-6), while PGD's values, the certificates and their pieces, computed in float64
    on those weights either way, are bit for bit the same.  A planted error of 1e-3 in one norm is caught."""
    import numpy as np

    from numerics.papers.meanfield.samples import sample_network_norms

    spec = NetworkSpec(arch="residual", d=4, K=3, N=16, L=3, sigma_w2=2.0, sigma_b2=0.01)
    wide, narrow = (sample_network_norms(spec, 6, 2, 4, 3, 2, 0.3, 20, Draws(3), chunk=4, certificate_networks=3,
                                         dtype=dtype) for dtype in (torch.float64, torch.float32))

    def close(a: dict, b: dict) -> bool:
        return all(np.allclose(a[pq], b[pq], rtol=1e-5, atol=0) for pq in a)

    assert close(wide.at_x0, narrow.at_x0) and close(wide.sup_over_inputs, narrow.sup_over_inputs)
    assert any(not np.array_equal(wide.at_x0[pq], narrow.at_x0[pq]) for pq in wide.at_x0)  # float32 was used
    for name in ("pgd", "certificate", "pieces"):
        assert all(np.array_equal(getattr(wide, name)[pq], getattr(narrow, name)[pq]) for pq in wide.pgd), name
    planted = {pq: values * (1 + 1e-3) for pq, values in narrow.at_x0.items()}
    assert not close(wide.at_x0, planted)


def test_an_attacked_network_is_budgeted_with_every_copy_it_holds():
    """float64: the weights and PGD's float32 copy (1 + 1/2); float32: the weights (PGD searches on them) and the
    float64 copy PGD's values and the certificates use (2) -- in units of the chunk's dtype."""
    from numerics.papers.meanfield.samples import attacked_copies

    assert attacked_copies(torch.float64) == 1.5 and attacked_copies(torch.float32) == 3.0
