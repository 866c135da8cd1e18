"""l2 attacks on the logistic loss of a batch of two-layer networks: the training attacks (PGD-k started at x,
FGM, a random point of the ball, none) and the strong evaluation attack (PGD with restarts), all inside the ball
of radius delta around each point.  Steps and projections are those of ``numerics.attacks`` (steepest ascent in
l2, radial projection)."""
from __future__ import annotations

from typing import Callable

import torch

from numerics.attacks import project, random_in_ball, steepest_direction
from numerics.papers.ntk_convergence.networks import TwoLayer, logistic, logistic_slope
from numerics.random import Draws

#: training attacks: "pgd" (k steps of 2.5 delta / k from x), "fgm" (one step of delta along the gradient),
#: "random" (a random point of the ball), "none" (clean training: the identity attack)
ATTACKS = ("pgd", "fgm", "random", "none")


def _functions(model: TwoLayer, linear: bool) -> tuple[Callable, Callable]:
    if linear:
        return model.linearised_output, model.linearised_input_grad
    return model.output, model.input_grad


def ascend(model: TwoLayer, W: torch.Tensor, x: torch.Tensor, y: torch.Tensor, delta: float, steps: int,
           size: float, start: torch.Tensor, linear: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised-gradient ascent of the loss over the l2 ball from ``start`` (a perturbation), keeping each
    point's best: (perturbed points, their losses)."""
    output, grad = _functions(model, linear)
    eta = start
    margin = y * output(W, x + eta)
    best_eta, best = eta, logistic(margin)
    for _ in range(steps):
        ascent = (logistic_slope(margin) * y)[..., None] * grad(W, x + eta)
        eta = project(eta + size * steepest_direction(ascent, 2), 2, delta)
        margin = y * output(W, x + eta)
        value = logistic(margin)
        better = value > best
        best, best_eta = torch.where(better, value, best), torch.where(better[..., None], eta, best_eta)
    return x + best_eta, best


def perturb(model: TwoLayer, W: torch.Tensor, x: torch.Tensor, y: torch.Tensor, delta: float, attack: str,
            steps: int, draws: Draws, linear: bool = False) -> torch.Tensor:
    """The training attack's points A(W, x_i, y_i), each within delta of x_i: (S, n, d)."""
    if attack == "none":
        return x
    if attack == "random":
        return x + random_in_ball(tuple(x.shape), 2, delta, draws, x.dtype)
    if attack not in ("pgd", "fgm"):
        raise ValueError(f"unknown attack {attack!r}; attacks: {', '.join(ATTACKS)}")
    k = steps if attack == "pgd" else 1
    size = 2.5 * delta / k if attack == "pgd" else delta
    points, _ = ascend(model, W, x, y, delta, k, size, torch.zeros_like(x), linear)
    return points


def strong_loss(model: TwoLayer, W: torch.Tensor, x: torch.Tensor, y: torch.Tensor, delta: float, steps: int,
                restarts: int, draws: Draws, linear: bool = False) -> torch.Tensor:
    """A lower estimate of the robust loss L*(W) = mean_i max over the ball: PGD of ``steps`` steps from x and
    from restarts - 1 random points (step 2.5 delta / steps, best kept): (S,)."""
    best = None
    for restart in range(restarts):
        start = torch.zeros_like(x) if restart == 0 else random_in_ball(tuple(x.shape), 2, delta,
                                                                        draws.child(f"restart{restart}"), x.dtype)
        _, value = ascend(model, W, x, y, delta, steps, 2.5 * delta / steps, start, linear)
        best = value if best is None else torch.maximum(best, value)
    return best.mean(-1)
