"""The linear pieces of a network along a segment x + t eta, t in [0, 1], found exactly.

f is piecewise linear: on a piece every gate phi(z) = u z (z >= 0), v z (z < 0) is fixed, so J is constant.
Walking the pieces turns "max of ||J|| over the segment" into a finite maximum, which makes the first step of
Theorem 5.1 checkable per draw: f(x + eta) - f(x) = sum_k (t_{k+1} - t_k) J_k eta, hence
||f(x + eta) - f(x)||_q <= ||eta||_p max_k ||J_k||_{p->q}.

The walk goes layer by layer rather than break by break, so that every step is one batched product: once the
gates of layers < l are fixed on a piece, h_{l-1}(t) = A + t V is affine there, and so is the pre-activation
of layer l, pre(t) = (W A + b) + t W V; its zero crossings inside the piece (all units at once) split the piece,
the gates on each new piece are the signs at its midpoint (a unit at 0 at a piece's end takes the side its
derivative moves it to), and h_l is again affine on each.  After layer L the pieces are the linear pieces of f;
their Jacobians come from the gate patterns in one chain product (``jacobian_and_bias_from_slopes``).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from numerics.opnorms import opnorm
from numerics.papers.meanfield.jacobian import jacobian_and_bias_from_slopes
from numerics.papers.meanfield.networks import NetworkBatch, slope
from numerics.random import Draws


@dataclass(frozen=True)
class SegmentPieces:
    """Pieces k = 0 .. counts[...] - 1 of each segment: J = jacobians[..., k, :, :] on [breaks[..., k],
    breaks[..., k + 1]].  The leading shape is (B,) for one segment per network, (B, n) for n of them."""

    breaks: torch.Tensor  # (..., P + 1): 0 first, padded with 1.0
    jacobians: torch.Tensor  # (..., P, K, d), zeros on padding
    counts: torch.Tensor  # (...,) pieces per segment

    @property
    def valid(self) -> torch.Tensor:
        """(..., P) mask of real (not padding) pieces."""
        return torch.arange(self.jacobians.shape[-3], device=self.counts.device) < self.counts[..., None]

    def segment(self, i: int) -> "SegmentPieces":
        """The pieces of segment ``i`` of every network (leading shape (B, n) -> (B,))."""
        return SegmentPieces(self.breaks[:, i], self.jacobians[:, i], self.counts[:, i])


def _take(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """values[b, index[b, i]] for values (B, P, ...) and index (B, P')."""
    return values.gather(1, index.view(*index.shape, *[1] * (values.dim() - 2)).expand(
        *index.shape, *values.shape[2:]))


def _split(net: NetworkBatch, layer: int, start, end, valid, A, V):
    """Split every piece (B, P) at the zero crossings of layer ``layer``'s pre-activations; the new pieces,
    their parents' indices, their gate signs and the affine form of h_layer on each."""
    W, b = net.W[:, layer], net.b[:, layer, None, :]
    pre0 = A @ W.transpose(-1, -2) + b  # pre(t) = pre0 + t dpre on the piece
    dpre = V @ W.transpose(-1, -2)
    moving = dpre != 0
    times = torch.where(moving, -pre0 / torch.where(moving, dpre, torch.ones_like(dpre)), torch.inf)
    inside = (times > start[..., None]) & (times < end[..., None]) & valid[..., None]
    crossings = inside.sum(-1)  # (B, P)
    C = int(crossings.max())
    cuts = torch.where(inside, times, torch.inf).sort(dim=-1).values[..., :C]  # (B, P, C), inf past the last
    j = torch.arange(C + 1, device=start.device)
    low = torch.cat([start[..., None], cuts], dim=-1)
    high = torch.where(j == crossings[..., None], end[..., None], torch.cat([cuts, end[..., None]], dim=-1))
    keep = ((j <= crossings[..., None]) & valid[..., None]).flatten(1)  # (B, P (C + 1))
    # kept sub-pieces first, in order (segment, then t): a stable sort of the keep mask
    order = torch.sort((~keep).to(torch.int8), dim=1, stable=True).indices[:, :int(keep.sum(1).max())]
    new_valid = keep.gather(1, order)
    new_start = torch.where(new_valid, low.flatten(1).gather(1, order), 1.0)
    new_end = torch.where(new_valid, high.flatten(1).gather(1, order), 1.0)
    parent = order // (C + 1)
    pre0, dpre = _take(pre0, parent), _take(dpre, parent)
    positive = pre0 + (0.5 * (new_start + new_end))[..., None] * dpre >= 0  # the gate on the open piece
    D = slope(torch.where(positive, 1.0, -1.0).to(pre0.dtype), net.spec)
    if net.spec.arch == "vanilla":
        A, V = D * pre0, D * dpre
    else:
        A, V = _take(A, parent) + D * pre0, _take(V, parent) + D * dpre
    return new_start, new_end, new_valid, parent, positive, A, V


def segment_pieces(net: NetworkBatch, x: torch.Tensor, eta: torch.Tensor) -> SegmentPieces:
    """The linear pieces of the B networks of ``net`` along x + t eta, t in [0, 1].

    x and eta are (B, d) (one segment per network) or (B, n, d) (n segments per network, walked together: their
    pieces share each network's products).
    """
    single = x.dim() == 2
    x = x.to(dtype=net.W.dtype, device=net.W.device)
    eta = eta.to(dtype=net.W.dtype, device=net.W.device)
    if single:
        x, eta = x[:, None], eta[:, None]
    B, n, _ = x.shape
    start = torch.zeros(B, n, dtype=x.dtype, device=x.device)
    end, valid = torch.ones_like(start), torch.ones_like(start, dtype=torch.bool)
    segment = torch.arange(n, device=x.device).expand(B, n)
    A, V = x @ net.P_in.transpose(-1, -2), eta @ net.P_in.transpose(-1, -2)
    history = []
    for layer in range(net.spec.L):
        start, end, valid, parent, positive, A, V = _split(net, layer, start, end, valid, A, V)
        segment = segment.gather(1, parent)
        history.append((parent, positive))
    # the gate patterns of every final piece, traced back through its ancestors
    index, slopes = torch.arange(start.shape[1], device=x.device).expand_as(start), []
    for parent, positive in reversed(history):
        slopes.append(slope(torch.where(_take(positive, index), 1.0, -1.0).to(x.dtype), net.spec))
        index = parent.gather(1, index)
    J, _ = jacobian_and_bias_from_slopes(net, slopes[::-1])  # (B, P, K, d)
    return _by_segment(start, end, valid, segment, J, n, single)


def _by_segment(start, end, valid, segment, J, n: int, single: bool) -> SegmentPieces:
    """Lay the pieces (B, P), ordered by segment then t, out as (B, n, P_max) (or (B, P_max) for one segment)."""
    B = start.shape[0]
    counts = torch.zeros(B, n, dtype=torch.long, device=start.device).scatter_add_(1, segment, valid.long())
    first = counts.cumsum(1) - counts  # index of each segment's first piece
    position = torch.arange(start.shape[1], device=start.device) - first.gather(1, segment)
    P = int(counts.max())
    slot = torch.where(valid, segment * P + position, n * P)  # padding goes to a spare slot, dropped below
    breaks = torch.ones(B, n * P + 1, dtype=start.dtype, device=start.device).scatter_(1, slot, end)[:, :-1]
    breaks = torch.cat([torch.zeros(B, n, 1, dtype=start.dtype, device=start.device), breaks.view(B, n, P)], dim=-1)
    K, d = J.shape[-2:]
    jacobians = torch.zeros(B, n * P + 1, K, d, dtype=J.dtype, device=J.device)
    jacobians.scatter_(1, slot[..., None, None].expand_as(J), torch.where(valid[..., None, None], J, 0.0))
    jacobians = jacobians[:, :-1].view(B, n, P, K, d)
    if single:
        return SegmentPieces(breaks[:, 0], jacobians[:, 0], counts[:, 0])
    return SegmentPieces(breaks, jacobians, counts)


def local_bound(pieces: SegmentPieces, p, q, eps: float | torch.Tensor, draws: Draws | None = None) -> torch.Tensor:
    """eps * max_k ||J_k||_{p->q} over each segment's pieces, shape (B,) (or (B, n)).

    Where ||.||_{p->q} is not exact (large d, K) its certified lower end is used, so the bound is never
    overstated: a per-draw check ||f(x + eta) - f(x)||_q <= local_bound stays a valid certificate.
    """
    norms = opnorm(pieces.jacobians, p, q, draws=draws).low  # (..., P)
    norms = torch.where(pieces.valid, norms, -torch.inf)
    eps = torch.as_tensor(eps, dtype=norms.dtype, device=norms.device)
    return eps * norms.amax(dim=-1)
