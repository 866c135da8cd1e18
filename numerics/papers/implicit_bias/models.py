"""Lyu & Zhu's two model families, batched over B independent runs (seeds x perturbation sizes), in float64.

- Deep linear networks f(x) = W_L ... W_1 x: only the end-to-end product matters for the margins, and the
  layer gradients follow from it (``DeepLinear``).
- Two-layer bias-free networks f(x) = sum_k a_k relu(w_k.x)^2, homogeneous of degree 3 in (a, W) and C^1, so
  the Clarke subdifferential of the KKT conditions is the gradient (``Relu2``).

Perturbations are Algorithm 1's: computed from the current parameters, then held fixed while the parameter
gradient is taken.  Gradients are written out by hand (no autograd): these models are tiny and latency-bound,
and the hand-written forms are what the Hypothesis properties check against the identities of
``theory.papers.implicit_bias.margins``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

#: the perturbations of the paper (scale invariant) and the raw-gradient PGD twin (not scale invariant)
ATTACKS = ("none", "fgm", "fgsm", "pgd2", "pgdinf", "pgd2_raw")
NORM_OF = {"none": 2, "fgm": 2, "pgd2": 2, "pgd2_raw": 2, "fgsm": float("inf"), "pgdinf": float("inf")}


def check_attack(attack: str) -> str:
    if attack not in ATTACKS:
        raise ValueError(f"unknown perturbation {attack!r}; allowed: {', '.join(ATTACKS)}")
    return attack


def _direction(grad: torch.Tensor, p: float) -> torch.Tensor:
    """The steepest-ascent direction of unit l_p norm (p in {2, oo}, the attacks' norms); 0 where the gradient
    vanishes (FGM is undefined there: the digest's pitfall 6).  For l2 the gradient is first divided by its
    largest |entry|, so its norm neither overflows (||w|| > 1e154 on a deep linear net's way to
    FROZEN_LOG_SCALE made it inf, and the direction 0) nor underflows (entries below 1e-162)."""
    if p != 2:
        return torch.sign(grad)  # sign(0) = 0
    # entries in [-1, 1] with one of them +-1 (so a norm >= 1), or all 0 (and 0 / 1 stays 0): no mask needed
    unit = grad / grad.abs().amax(dim=-1, keepdim=True).clamp(min=torch.finfo(grad.dtype).tiny)
    return unit / unit.norm(dim=-1, keepdim=True).clamp(min=1.0)


def _project(delta: torch.Tensor, p: float, radius: torch.Tensor) -> torch.Tensor:
    """Projection of each (B, n, d) row on its run's ball (radius (B, 1, 1), one size per run)."""
    if p == 2:
        return delta * (radius / delta.norm(dim=-1, keepdim=True).clamp(min=radius).clamp(min=1e-300))
    return torch.maximum(torch.minimum(delta, radius), -radius)


def perturb(input_grad, x: torch.Tensor, y: torch.Tensor, eps: torch.Tensor, attack: str, steps: int = 5,
            step_ratio: float = 2.5) -> torch.Tensor:
    """delta minimising y f(x + delta) over the eps-ball (x: (B, n, d), y: (B, n), eps: (B,)).

    ``input_grad(points) -> grad_x f`` at (B, n, d) points.  FGM/FGSM are one closed-form step from x; PGD takes
    ``steps`` steps of size step_ratio * eps / steps from zero (normalised for pgd2/pgdinf, raw gradient for the
    pgd2_raw twin), projected on the ball.
    """
    check_attack(attack)
    radius = eps[:, None, None]
    if attack == "none":
        return torch.zeros_like(x)
    p = NORM_OF[attack]
    descent = -y[..., None]
    if attack in ("fgm", "fgsm"):
        return radius * descent * _direction(input_grad(x), p)
    delta = torch.zeros_like(x)
    alpha = step_ratio * radius / steps
    for _ in range(steps):
        grad = descent * input_grad(x + delta)
        move = grad if attack == "pgd2_raw" else _direction(grad, p)
        delta = _project(delta + alpha * move, p, radius)
    return delta


@dataclass
class DeepLinear:
    """Layers W_k of shape (B, d_k, d_{k-1}), k = 1..L, with d_L = 1."""

    layers: list[torch.Tensor]

    @classmethod
    def init(cls, B: int, dims: list[int], scale: float, draws, dtype=torch.float64) -> "DeepLinear":
        """W_k with i.i.d. N(0, scale^2 / d_{k-1}) entries (dims = [d_0, d_1, ..., d_L = 1])."""
        return cls([draws.normal(scale / fan_in**0.5, (B, fan_out, fan_in), dtype)
                    for fan_in, fan_out in zip(dims[:-1], dims[1:])])

    @property
    def degree(self) -> int:
        return len(self.layers)

    def product(self) -> torch.Tensor:
        """The end-to-end predictor w_prod = (W_L ... W_1)^T, (B, d): a new tensor, never a view of a layer (a
        recorded checkpoint must not change with the training that follows)."""
        out = self.layers[0]
        for layer in self.layers[1:]:
            out = torch.bmm(layer, out)
        return out[:, 0, :].clone() if len(self.layers) == 1 else out[:, 0, :]

    def norm(self) -> torch.Tensor:
        """||theta||_2 over all layers, (B,)."""
        return torch.sqrt(sum((layer**2).sum(dim=(1, 2)) for layer in self.layers))

    def gradients(self, row: torch.Tensor) -> list[torch.Tensor]:
        """d(w_prod . row)/dW_k for a (B, d) row vector: A_k^T row B_k^T with A_k = W_L..W_{k+1},
        B_k = W_{k-1}..W_1."""
        L = self.degree
        right = [None] * L  # right[k] = W_{k-1} .. W_1 (identity for k = 0)
        acc = None
        for k in range(L):
            right[k] = acc
            acc = self.layers[k] if acc is None else torch.bmm(self.layers[k], acc)
        grads = [None] * L
        left = None  # W_L .. W_{k+1}, (B, 1, d_k)
        for k in reversed(range(L)):
            outer = row[:, None, :] if left is None else torch.bmm(left.transpose(1, 2), row[:, None, :])
            grads[k] = outer if right[k] is None else torch.bmm(outer, right[k].transpose(1, 2))
            left = self.layers[k] if left is None else torch.bmm(left, self.layers[k])
        return grads

    def step(self, grads: list[torch.Tensor], scale: torch.Tensor) -> None:
        for layer, grad in zip(self.layers, grads):
            layer.sub_(scale[:, None, None] * grad)


@dataclass
class Relu2:
    """f(x) = sum_k a_k relu(w_k.x)^2 with a: (B, m), W: (B, m, d); homogeneous of degree 3."""

    a: torch.Tensor
    W: torch.Tensor
    degree: int = 3

    @classmethod
    def init(cls, B: int, width: int, dim: int, scale: float, draws, dtype=torch.float64) -> "Relu2":
        return cls(draws.normal(scale / width**0.5, (B, width), dtype), draws.normal(scale / dim**0.5,
                                                                                     (B, width, dim), dtype))

    def scaled(self, factor: float) -> "Relu2":
        return Relu2(self.a * factor, self.W * factor)

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(torch.bmm(x, self.W.transpose(1, 2)))  # (B, n, m)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return (self.hidden(x) ** 2 * self.a[:, None, :]).sum(-1)

    def input_grad(self, x: torch.Tensor) -> torch.Tensor:
        """grad_x f = sum_k 2 a_k relu(w_k.x) w_k, (B, n, d)."""
        return torch.bmm(2 * self.hidden(x) * self.a[:, None, :], self.W)

    def param_grads(self, x: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """sum_i weights_i grad_theta f(x_i) for (B, n) weights: (d/da, d/dW)."""
        h = self.hidden(x)
        ga = (weights[..., None] * h**2).sum(1)
        gW = torch.bmm((2 * weights[..., None] * h * self.a[:, None, :]).transpose(1, 2), x)
        return ga, gW

    def per_point_grads(self, x: torch.Tensor) -> torch.Tensor:
        """grad_theta f(x_i) for every point, flattened to (B, n, m + m d) in the order (a, W)."""
        h = self.hidden(x)
        gW = (2 * h * self.a[:, None, :])[..., None] * x[:, :, None, :]
        return torch.cat([h**2, gW.flatten(2)], dim=-1)

    def flat(self) -> torch.Tensor:
        return torch.cat([self.a, self.W.flatten(1)], dim=-1)

    def norm(self) -> torch.Tensor:
        return self.flat().norm(dim=-1)

    def step(self, grads: tuple[torch.Tensor, torch.Tensor], scale: torch.Tensor) -> None:
        self.a.sub_(scale[:, None] * grads[0])
        self.W.sub_(scale[:, None, None] * grads[1])
