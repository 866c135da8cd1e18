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
from typing import Callable

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
    # linalg.vector_norm is the kernel Tensor.norm dispatches to, without torch.functional's Python wrapper
    return unit / torch.linalg.vector_norm(unit, dim=-1, keepdim=True).clamp(min=1.0)


def _project(delta: torch.Tensor, p: float, radius: torch.Tensor) -> torch.Tensor:
    """Projection of each (B, n, d) row on its run's ball (radius (B, 1, 1), one size per run)."""
    if p == 2:
        length = torch.linalg.vector_norm(delta, dim=-1, keepdim=True)
        return delta * (radius / length.clamp(min=radius).clamp(min=1e-300))
    return torch.maximum(torch.minimum(delta, radius), -radius)


class Perturbation:
    """``perturb`` for a run's fixed points, labels, sizes and attack: what does not change between training steps
    (the radius times the descent sign -y, the attack's norm, the PGD step) is computed once, so a step pays only
    for the direction (the training loops are latency-bound: each small op costs microseconds)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, eps: torch.Tensor, attack: str, steps: int = 5,
                 step_ratio: float = 2.5) -> None:
        self.x, self.attack, self.steps = x, check_attack(attack), steps
        self.radius = eps[:, None, None]
        self.p = NORM_OF[attack]
        self.descent = -y[..., None]
        self.scale = self.radius * self.descent  # FGM/FGSM: delta = radius * descent * direction
        self.alpha = step_ratio * self.radius / steps

    def __call__(self, input_grad: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """delta for the current parameters, ``input_grad(points) -> grad_x f`` at (B, n, d) points."""
        if self.attack == "none":
            return torch.zeros_like(self.x)
        if self.attack in ("fgm", "fgsm"):
            return self.scale * _direction(input_grad(self.x), self.p)
        delta = torch.zeros_like(self.x)
        for _ in range(self.steps):
            grad = self.descent * input_grad(self.x + delta)
            move = grad if self.attack == "pgd2_raw" else _direction(grad, self.p)
            delta = _project(delta + self.alpha * move, self.p, self.radius)
        return delta


def perturb(input_grad: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, y: torch.Tensor,
            eps: torch.Tensor, attack: str, steps: int = 5, step_ratio: float = 2.5) -> torch.Tensor:
    """delta minimising y f(x + delta) over the eps-ball (x: (B, n, d), y: (B, n), eps: (B,)).

    ``input_grad(points) -> grad_x f`` at (B, n, d) points.  FGM/FGSM are one closed-form step from x; PGD takes
    ``steps`` steps of size step_ratio * eps / steps from zero (normalised for pgd2/pgdinf, raw gradient for the
    pgd2_raw twin), projected on the ball.  A training loop builds the ``Perturbation`` once instead.
    """
    return Perturbation(x, y, eps, attack, steps, step_ratio)(input_grad)


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

    def prefixes(self) -> list[torch.Tensor]:
        """[W_1, W_2 W_1, ..., W_L .. W_1]: the right factors B_k of ``gradients`` and, last, the product, so a
        training step multiplies the layers once for both."""
        out = [self.layers[0]]
        for layer in self.layers[1:]:
            out.append(torch.bmm(layer, out[-1]))
        return out

    def product(self) -> torch.Tensor:
        """The end-to-end predictor w_prod = (W_L ... W_1)^T, (B, d): a new tensor, never a view of a layer (a
        recorded checkpoint must not change with the training that follows)."""
        out = self.prefixes()[-1]
        return out[:, 0, :].clone() if len(self.layers) == 1 else out[:, 0, :]

    def norm(self) -> torch.Tensor:
        """||theta||_2 over all layers, (B,)."""
        squares = None
        for layer in self.layers:  # layer * layer is pow(layer, 2)'s kernel, without wrapping the exponent
            total = (layer * layer).sum(dim=(1, 2))
            squares = total if squares is None else squares + total
        return torch.sqrt(squares)

    def gradients(self, row: torch.Tensor, prefixes: list[torch.Tensor] | None = None) -> list[torch.Tensor]:
        """d(w_prod . row)/dW_k for a (B, d) row vector: A_k^T row B_k^T with A_k = W_L..W_{k+1},
        B_k = W_{k-1}..W_1 (``prefixes``, from ``prefixes()`` at the current layers, saves recomputing them).
        A_k^T row is an outer product: a broadcast product (the same roundings as a bmm over a length-1 axis)."""
        L = self.degree
        if prefixes is None:
            prefixes = self.prefixes()
        grads = [None] * L
        row = row[:, None, :]
        left = None  # W_L .. W_{k+1}, (B, 1, d_k)
        for k in reversed(range(L)):
            outer = row if left is None else left.transpose(1, 2) * row
            grads[k] = outer if k == 0 else torch.bmm(outer, prefixes[k - 1].transpose(1, 2))
            if k > 0:
                left = self.layers[k] if left is None else torch.bmm(left, self.layers[k])
        return grads

    def step(self, grads: list[torch.Tensor], scale: torch.Tensor) -> None:
        scale = scale.view(-1, 1, 1)
        for layer, grad in zip(self.layers, grads):
            layer.sub_(scale * grad)


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
        return self.output(self.hidden(x) ** 2)

    def output(self, squares: torch.Tensor) -> torch.Tensor:
        """f from the squared hidden units relu(w_k.x)^2, (B, n, m) -> (B, n): a training step keeps the squares
        for ``param_grads`` at the same points."""
        return (squares * self.a.unsqueeze(1)).sum(-1)  # unsqueeze: a[:, None, :] without the indexing machinery

    def input_grad(self, x: torch.Tensor) -> torch.Tensor:
        """grad_x f = sum_k 2 a_k relu(w_k.x) w_k, (B, n, d)."""
        return torch.bmm(2 * self.hidden(x) * self.a.unsqueeze(1), self.W)

    def param_grads(self, x: torch.Tensor, weights: torch.Tensor,
                    hidden: tuple[torch.Tensor, torch.Tensor] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """sum_i weights_i grad_theta f(x_i) for (B, n) weights: (d/da, d/dW).  ``hidden``: (relu(Wx), its square)
        at these x, if the forward pass already has them."""
        if hidden is None:
            h = self.hidden(x)
            hidden = (h, h**2)
        h, squares = hidden
        weights = weights.unsqueeze(-1)
        ga = (weights * squares).sum(1)
        gW = torch.bmm((2 * weights * h * self.a.unsqueeze(1)).transpose(1, 2), x)
        return ga, gW

    def per_point_grads(self, x: torch.Tensor) -> torch.Tensor:
        """grad_theta f(x_i) for every point, flattened to (B, n, m + m d) in the order (a, W)."""
        h = self.hidden(x)
        gW = (2 * h * self.a[:, None, :])[..., None] * x[:, :, None, :]
        return torch.cat([h**2, gW.flatten(2)], dim=-1)

    def flat(self) -> torch.Tensor:
        return torch.cat([self.a, self.W.flatten(1)], dim=-1)

    def norm(self) -> torch.Tensor:
        return torch.linalg.vector_norm(self.flat(), dim=-1)  # Tensor.norm's kernel, without its Python wrapper

    def step(self, grads: tuple[torch.Tensor, torch.Tensor], scale: torch.Tensor) -> None:
        scale = scale.unsqueeze(-1)
        self.a.sub_(scale * grads[0])
        self.W.sub_(scale.unsqueeze(-1) * grads[1])
