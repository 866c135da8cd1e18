"""Full-batch gradient descent on the patch CNN, standard (ST) or with the one-step sign attack (AT), logging every
neuron's correlation with its class's robust and non-robust feature at every step."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from numerics.papers.feature_learning.attacks import sign_step
from numerics.papers.feature_learning.data import Patches
from numerics.papers.feature_learning.network import PatchCNN


@dataclass
class Trace:
    """<w_{j,r}, u_j> and <w_{j,r}, v_j> (T + 1, S, k, m) and the training loss (T, S) at the attacked points."""

    A: torch.Tensor
    B: torch.Tensor
    loss: torch.Tensor


def correlations(model: PatchCNN, W: torch.Tensor, F: torch.Tensor) -> torch.Tensor:
    """<w_{j,r}, f_j> (S, k, m) for feature rows F (k, d)."""
    S = W.shape[0]
    return (W.reshape(S, model.k, model.m, -1) * F[None, :, None, :]).sum(-1)


def train(model: PatchCNN, W0: torch.Tensor, data: Patches, U: torch.Tensor, V: torch.Tensor, eta: float, steps: int,
          eps: float | None, progress=None) -> tuple[torch.Tensor, Trace]:
    """GD for ``steps`` steps from W0; ``eps`` None is ST, else AT at that radius (the attack is held fixed when
    differentiating in W).  Returns the final weights and the trace."""
    W = W0.clone()
    A, B, losses = [correlations(model, W, U)], [correlations(model, W, V)], []
    for _ in range(steps):
        points = data if eps is None else sign_step(model, W, data, eps)
        loss, dW, _ = model.loss_grads(W, points.X, points.counts, points.y)
        W -= eta * dW
        A.append(correlations(model, W, U))
        B.append(correlations(model, W, V))
        losses.append(loss)
        if progress is not None:
            progress(1)
    return W, Trace(torch.stack(A), torch.stack(B), torch.stack(losses))
