"""The paper's algorithm: adversarial training by projected gradient descent on W in the Frobenius ball
||W - W_0||_F <= R (or unconstrained), full batch, every step attacking the current weights; on the network itself
or on its linearisation at W_0 (online gradient descent on convex losses, D3)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from numerics.papers.ntk_convergence.adversary import perturb
from numerics.papers.ntk_convergence.networks import TwoLayer, logistic, logistic_slope
from numerics.random import Draws


@dataclass
class Trace:
    """Per step t < T and seed: the training loss at the attack's points L_A(W_t), ||g_t||_F^2, ||W_t - W_0||_F;
    the final weights, and (when kept) every step's attack points, for the hindsight comparator."""

    loss: np.ndarray  # (T, S)
    grad_sq: np.ndarray  # (T, S)
    distance: np.ndarray  # (T, S)
    boundary: np.ndarray  # (T, S): the step was projected back onto the sphere
    W: torch.Tensor  # (S, m, d) after T steps
    points: torch.Tensor | None = None  # (S, T n, d)


def project_ball(W: torch.Tensor, W0: torch.Tensor, radius: float | None) -> tuple[torch.Tensor, torch.Tensor]:
    """W_0 + the Frobenius projection of W - W_0 onto the ball of ``radius`` per seed (None: no constraint), and
    which seeds were projected."""
    if radius is None:
        return W, torch.zeros(W.shape[0], dtype=torch.bool, device=W.device)
    Delta = W - W0
    norm = Delta.flatten(1).norm(dim=1)
    outside = norm > radius
    scale = torch.where(outside, radius / norm.clamp(min=1e-300), torch.ones_like(norm))
    return W0 + Delta * scale[:, None, None], outside


def train(model: TwoLayer, x: torch.Tensor, y: torch.Tensor, delta: float, attack: str, steps: int, alpha: float,
          radius: float | None, attack_steps: int, draws: Draws, linear: bool = False, keep_points: bool = False,
          progress=None) -> Trace:
    """T steps of W_{t+1} = Pi(W_t - alpha grad (1/n) sum_i l(y_i f(W_t, A(W_t, x_i))))."""
    W = model.W0.clone()
    n = x.shape[1]
    record = {name: [] for name in ("loss", "grad_sq", "distance", "boundary")}
    points = []
    for t in range(steps):
        adversarial = perturb(model, W, x, y, delta, attack, attack_steps, draws.child(f"attack{t}"), linear)
        output = (model.linearised_output if linear else model.output)(W, adversarial)
        coeff = logistic_slope(y * output) * y / n
        g = (model.linearised_weight_grad(adversarial, coeff) if linear else
             model.weight_grad(W, adversarial, coeff))
        record["loss"].append(logistic(y * output).mean(-1))
        record["grad_sq"].append(g.flatten(1).pow(2).sum(1))
        record["distance"].append((W - model.W0).flatten(1).norm(dim=1))
        W, projected = project_ball(W - alpha * g, model.W0, radius)
        record["boundary"].append(projected)
        if keep_points:
            points.append(adversarial)
        if progress is not None:
            progress(1)
    arrays = {name: torch.stack(values).cpu().numpy() for name, values in record.items()}
    return Trace(**arrays, W=W, points=torch.cat(points, 1) if keep_points else None)
