"""Robust against clean memorisation on the hard family D5 (shared/papers/seed004.md): two-layer ReLU networks
with biases, batched over (sign pattern, width) with the narrower networks masked, trained by Adam with l2 PGD
adversarial training, and judged by a stronger PGD and by the probes the family forces.

The family (scaled so that half the class separation is 1): k = d - 1, centres c_l = L l e_d (L = 4 sqrt(k) + 1,
in units of sqrt(k)), points u_l = c_l + (s_l, 0) / sqrt(k) (label +1) and v_l = c_l - (s_l, 0) / sqrt(k) (label
-1), probes q_{l,j} = c_l + e_j / sqrt(k).  A network that classifies every point right at every l2 perturbation
of size rho > sqrt(1 - 1/k) must label probe q_{l,j} by s_{l,j}.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from numerics.attacks import project, random_in_ball, steepest_direction
from numerics.random import Draws


def family(d: int, signs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(points (P, 2K, d), labels (P, 2K), probes (P, K k, d)) for sign patterns (P, K, k)."""
    P, K, k = signs.shape
    if k != d - 1:
        raise ValueError(f"sign patterns of the family in d = {d} have k = d - 1 = {d - 1} entries, got {k}")
    spacing = 4 + 1 / math.sqrt(k)
    centres = torch.zeros(K, d, dtype=signs.dtype, device=signs.device)
    centres[:, -1] = spacing * torch.arange(K, dtype=signs.dtype, device=signs.device)
    offsets = torch.cat([signs, torch.zeros(P, K, 1, dtype=signs.dtype, device=signs.device)], -1) / math.sqrt(k)
    points = torch.cat([centres + offsets, centres - offsets], 1)
    labels = torch.cat([torch.ones(P, K), -torch.ones(P, K)], 1).to(signs)
    axes = torch.eye(d, dtype=signs.dtype, device=signs.device)[:k] / math.sqrt(k)
    probes = (centres[:, None, :] + axes[None]).reshape(K * k, d).expand(P, -1, -1)
    return points, labels, probes


@dataclass
class ReluNets:
    """B two-layer ReLU networks f(x) = sum_r mask_r a_r relu(w_r . x + b_r) + c of padded width m."""

    W: torch.Tensor  # (B, m, d)
    b: torch.Tensor  # (B, m)
    a: torch.Tensor  # (B, m)
    c: torch.Tensor  # (B,)
    mask: torch.Tensor  # (B, m): 1 for the neurons a network has

    @classmethod
    def init(cls, widths: torch.Tensor, d: int, draws: Draws) -> "ReluNets":
        B, m = widths.shape[0], int(widths.max())
        mask = (torch.arange(m, device=widths.device)[None] < widths[:, None]).to(torch.float64)
        W = draws.child("W").standard_normal((B, m, d)) / math.sqrt(d)
        a = draws.child("a").standard_normal((B, m)) / widths[:, None].sqrt()
        return cls(W, torch.zeros(B, m, dtype=torch.float64, device=W.device), a,
                   torch.zeros(B, dtype=torch.float64, device=W.device), mask)

    def parameters(self) -> list[torch.Tensor]:
        return [self.W, self.b, self.a, self.c]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """f at x (B, n, d): (B, n)."""
        hidden = torch.relu(torch.bmm(x, self.W.transpose(1, 2)) + self.b[:, None, :])
        return torch.bmm(hidden, (self.a * self.mask)[..., None])[..., 0] + self.c[:, None]

    def margins_and_descent(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The margins y f(x) (B, n) and the gradient of -sum y f in x (B, n, d), written out: an attack's steps
        on these tiny networks cost autograd's bookkeeping several times the arithmetic.  The factors meet in
        the order autograd's backward pass multiplies them (relu' = 1 where the pre-activation is > 0)."""
        pre = torch.bmm(x, self.W.transpose(1, 2)) + self.b[:, None, :]
        out = self.a * self.mask
        margins = y * (torch.bmm(torch.relu(pre), out[..., None])[..., 0] + self.c[:, None])
        upstream = (-y)[..., None] * out[:, None, :]  # d(-sum y f) / d hidden
        return margins, torch.bmm(torch.where(pre > 0, upstream, 0.0), self.W)


def worst_margins(net: ReluNets, x: torch.Tensor, y: torch.Tensor, radius: float, steps: int, restarts: int,
                  draws: Draws) -> tuple[torch.Tensor, torch.Tensor]:
    """PGD (l2, normalised steps of 2.5 radius / steps, restart 0 from x) minimising y f(x + eta): the smallest
    margin found per point (B, n) and its perturbation (B, n, d)."""
    best, best_eta = None, None
    for restart in range(restarts):
        eta = torch.zeros_like(x) if restart == 0 else random_in_ball(tuple(x.shape), 2, radius,
                                                                     draws.child(f"r{restart}"), x.dtype)
        for _ in range(steps + 1):
            margin, grad = net.margins_and_descent(x + eta, y)
            if best is None:
                best, best_eta = margin, eta
            better = margin < best
            best = torch.where(better, margin, best)
            best_eta = torch.where(better[..., None], eta, best_eta)
            eta = project(eta + 2.5 * radius / steps * steepest_direction(grad, 2), 2, radius)
    return best, best_eta


def memorise(net: ReluNets, x: torch.Tensor, y: torch.Tensor, radius: float, steps: int, lr: float,
             attack_steps: int, attack_restarts: int, draws: Draws) -> ReluNets:
    """Adam (beta = 0.9, 0.999; written out, so every device path runs the same arithmetic) on the logistic loss
    at the training attack's points (the clean points when radius is 0)."""
    params = net.parameters()
    first = [torch.zeros_like(p) for p in params]
    second = [torch.zeros_like(p) for p in params]
    for step in range(1, steps + 1):
        points = x
        if radius > 0:
            _, eta = worst_margins(net, x, y, radius, attack_steps, attack_restarts, draws.child(f"s{step}"))
            points = x + eta
        for p in params:
            p.requires_grad_(True)
        loss = torch.nn.functional.softplus(-y * net(points)).mean(-1).sum()
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g, m1, m2 in zip(params, grads, first, second):
                m1.mul_(0.9).add_(g, alpha=0.1)
                m2.mul_(0.999).addcmul_(g, g, value=0.001)
                p.sub_(lr * (m1 / (1 - 0.9 ** step)) / ((m2 / (1 - 0.999 ** step)).sqrt() + 1e-8))
        for p in params:
            p.requires_grad_(False)
    return net
