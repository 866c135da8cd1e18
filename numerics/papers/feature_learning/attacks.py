"""l_inf attacks on the patch CNN, batched over seeds and examples; a perturbation moves each distinct patch, and
with it its copies (exact: see ``data``).

- ``sign_step``: the one-step sign ascent AT trains with (no evidence on its own: it can be masked);
- ``feature_attack``: the closed form delta_p = eps sign(v_{y'} - v_y) on every patch (section 1.4(b));
- ``planting_attack``: delta_p = eps (u_{y'} - u_y) on every patch (section 1.4(f));
- ``neuron_attack``: delta_p = eps sign(w) on every patch for the competitor's weights w (its strongest neuron, its
  neurons' sum, and that sum less the true class's): an l_inf step raises a neuron's pre-activation by eps ||w||_1;
- ``pgd``: sign-gradient PGD with uniform random starts, recording per example whether any iterate of any restart
  is misclassified, and the first perturbation that was.
The closed forms try every target class y' != y.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from numerics.papers.feature_learning.data import Patches
from numerics.papers.feature_learning.network import PatchCNN
from numerics.random import Draws


def correct(model: PatchCNN, W: torch.Tensor, data: Patches) -> torch.Tensor:
    """(S, n) bool: argmax_j F_j(X) = y."""
    return model.logits(W, data.X, data.counts).argmax(-1) == data.y


def moved(data: Patches, delta: torch.Tensor) -> Patches:
    """The data with every patch moved by delta (broadcast against X)."""
    return replace(data, X=data.X + delta)


def sign_step(model: PatchCNN, W: torch.Tensor, data: Patches, eps: float) -> Patches:
    """X + eps sign(grad_X loss): the training attack."""
    _, _, dX = model.loss_grads(W, data.X, data.counts, data.y, weights=False, inputs=True)
    return moved(data, eps * torch.sign(dX))


def _targeted(model: PatchCNN, W: torch.Tensor, data: Patches, direction) -> torch.Tensor:
    """(S, n) bool: correct under the perturbation direction(y, y') (S, n, d) on every patch, for every y' != y."""
    ok = correct(model, W, data)
    for offset in range(1, model.k):
        target = (data.y + offset) % model.k
        ok &= correct(model, W, moved(data, direction(data.y, target)[:, :, None, :]))
    return ok


def feature_attack(model: PatchCNN, W: torch.Tensor, data: Patches, eps: float, V: torch.Tensor) -> torch.Tensor:
    return _targeted(model, W, data, lambda y, target: eps * torch.sign(V[target] - V[y]))


def planting_attack(model: PatchCNN, W: torch.Tensor, data: Patches, eps: float, U: torch.Tensor) -> torch.Tensor:
    return _targeted(model, W, data, lambda y, target: eps * (U[target] - U[y]))


def neuron_attack(model: PatchCNN, W: torch.Tensor, data: Patches, eps: float) -> torch.Tensor:
    S = W.shape[0]
    neurons = W.reshape(S, model.k, model.m, -1)  # (S, k, m, d)
    strongest = neurons.gather(2, neurons.abs().sum(-1).argmax(-1)[..., None, None].expand(
        -1, -1, 1, neurons.shape[-1]))[:, :, 0]  # (S, k, d)
    total = neurons.sum(2)

    def pick(per_class: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:  # (S, k, d), (S, n) -> (S, n, d)
        return per_class.gather(1, labels[..., None].expand(-1, -1, per_class.shape[-1]))

    ok = correct(model, W, data)
    for direction in (lambda y, t: pick(strongest, t), lambda y, t: pick(total, t),
                      lambda y, t: pick(total, t) - pick(total, y)):
        ok &= _targeted(model, W, data, lambda y, target: eps * torch.sign(direction(y, target)))
    return ok


@dataclass
class PGDResult:
    """Per example (S, n): never misclassified along any restart's path; the first perturbation that was (zeros
    where none, (S, n, Q, d)) and the class it was sent to."""

    robust: torch.Tensor
    delta: torch.Tensor
    target: torch.Tensor


def pgd(model: PatchCNN, W: torch.Tensor, data: Patches, eps: float, steps: int, restarts: int,
        draws: Draws) -> PGDResult:
    """l_inf PGD on the cross-entropy: uniform random start in the ball, step 2.5 eps / steps, ``restarts`` times."""
    robust = correct(model, W, data)
    found = torch.zeros_like(data.X)
    target = data.y.clone()
    step = 2.5 * eps / steps
    for restart in range(restarts):
        delta = (2 * draws.child(f"start{restart}").uniform(data.X.shape, dtype=data.X.dtype) - 1) * eps
        for iterate in range(steps + 1):  # every iterate is checked; the last is not moved on from
            point = moved(data, delta)
            at_point = model.forward(W, point.X, point.counts)
            predicted = at_point[1].argmax(-1)
            wrong = (predicted != data.y) & robust
            found[wrong] = delta[wrong]
            target[wrong] = predicted[wrong]
            robust &= ~wrong
            if iterate < steps:
                _, _, dX = model.loss_grads(W, point.X, point.counts, point.y, weights=False, inputs=True,
                                            forward=at_point)
                delta = (delta + step * torch.sign(dX)).clamp(-eps, eps)
    return PGDResult(robust, found, target)
