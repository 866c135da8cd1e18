"""J(x) and a(x) with f(x) = J(x) x + a(x), for batches of networks and inputs.

``jacobian_and_bias`` is the fast path: the product chain multiplied from the output side, so every layer costs
a (K x N)(N x N) product instead of N x N x N.  ``jacobian_autograd`` (torch.func) and
``jacobian_finite_difference`` are independent second and third methods used to validate it.
"""
from __future__ import annotations

import torch

from numerics.papers.meanfield.networks import NetworkBatch


def jacobian_and_bias(net: NetworkBatch, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """J as (B, n, K, d) and a as (B, n, K) at inputs x ((d,), (n, d) or (B, n, d)).

    vanilla:  J = P_out D_L W_L ... D_1 W_1 P_in,   a = P_out sum_l D_L W_L ... D_{l+1} W_{l+1} D_l b_l
    residual: J = P_out prod_l (I + D_l W_l) P_in,  a = P_out sum_l prod_{k>l} (I + D_k W_k) D_l b_l
    """
    return jacobian_and_bias_from_slopes(net, net.forward_with_slopes(x)[1])


def jacobian_and_bias_from_slopes(net: NetworkBatch, slopes: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """J (B, n, K, d) and a (B, n, K) of the affine map that given slope patterns D_l ((B, n, N) each, layer 1
    first) fix: the map of one linear piece, whichever way its pattern was found (forward pass, segment walk)."""
    B, n = slopes[0].shape[:2]
    K, N = net.P_out.shape[1:]
    # G holds P_out times the layers above, one (K, N) block per input, stacked as (B, n*K, N) for bmm
    G = net.P_out.repeat(1, n, 1)
    a = torch.zeros(B, n * K, dtype=G.dtype, device=G.device)
    for layer in reversed(range(net.spec.L)):
        GD = (G.view(B, n, K, N) * slopes[layer][:, :, None, :]).view(B, n * K, N)
        a = a + torch.bmm(GD, net.b[:, layer, :, None])[..., 0]
        GW = torch.bmm(GD, net.W[:, layer])
        G = GW if net.spec.arch == "vanilla" else G + GW
    return torch.bmm(G, net.P_in).view(B, n, K, -1), a.view(B, n, K)


def jacobian_autograd(net: NetworkBatch, x: torch.Tensor) -> torch.Tensor:
    """J as (B, n, K, d) by reverse-mode autodiff of the forward pass (torch.func.jacrev)."""
    xs = net._inputs(x)

    def summed(inputs: torch.Tensor) -> torch.Tensor:
        # output (b, i) depends on input (b, i) only, so d(sum over b, i)/d input (b, i) is J_b(x_i)
        return net(inputs).sum(dim=(0, 1))

    return torch.func.jacrev(summed)(xs).permute(1, 2, 0, 3)


def jacobian_finite_difference(net: NetworkBatch, x: torch.Tensor, step: float = 1e-6) -> torch.Tensor:
    """J as (B, n, K, d) by central differences (exact for a piecewise-linear f unless a kink is crossed)."""
    xs = net._inputs(x)
    d = xs.shape[-1]
    eye = torch.eye(d, dtype=xs.dtype, device=xs.device) * step
    plus = net((xs[:, :, None, :] + eye).reshape(xs.shape[0], -1, d))
    minus = net((xs[:, :, None, :] - eye).reshape(xs.shape[0], -1, d))
    diff = (plus - minus).reshape(xs.shape[0], xs.shape[1], d, -1) / (2 * step)
    return diff.transpose(-1, -2)
