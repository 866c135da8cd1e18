"""Algorithm 1 of Lyu & Zhu: perturb with the current parameters, then step on the adversarial points.

Two schedules:
- ``normalized``: theta <- theta - eta ||theta||^{2-L} grad log L(theta) (``margins.STEP_SCALE``).  The vector
  field is gradient flow's times a positive scalar, so it follows the same trajectory in a new time, the one
  the theorems are about, and reaches its limit direction in tens of thousands of steps instead of
  exponentially many (the digest's section 2).  Everything is in log space: the exp loss underflows otherwise.
- ``constant``: plain gradient descent on the mean exp loss with a constant step, the faithful algorithm, for
  the claims about what happens at equal step counts.
With ``anneal`` < 1 the normalised step decays linearly over the second half of the run to anneal * eta: any
positive step schedule follows the same flow, and the smaller late steps shrink the discretisation floor (about
eta^2) and the chattering of discontinuous perturbations (FGSM's signs) near the limit.
Runs whose ||theta||^L nears the float64 range stop moving (``FROZEN_LOG_SCALE``) instead of overflowing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from numerics.backends import evaluate
from numerics.papers.implicit_bias.models import DeepLinear, Relu2, perturb
from numerics.papers.implicit_bias.settings import SCHEDULES
from theory.papers.implicit_bias.margins import STEP_SCALE, degree, theta_norm
#: a run stops once L log||theta|| (the log of its margins' scale) passes this
FROZEN_LOG_SCALE = 500.0


def step_scale(norm: torch.Tensor, L: int) -> torch.Tensor:
    """||theta||^{2-L}, from the theory expression."""
    return evaluate(STEP_SCALE, {degree: float(L), theta_norm: norm}, "torch")


@dataclass
class Trace:
    """What a run records at each checkpoint, as numpy arrays with the checkpoints first."""

    steps: np.ndarray  # (C,)
    theta: np.ndarray  # (C, B, P): the parameters (for deep linear nets, the layers flattened and concatenated)
    w: np.ndarray | None  # (C, B, d): end-to-end predictor of a deep linear net
    log_loss: np.ndarray  # (C, B): log of the mean exp loss on the adversarial points
    q_min: np.ndarray  # (C, B): smallest adversarial margin
    norm: np.ndarray  # (C, B): ||theta||_2
    frozen: np.ndarray  # (B,): the run hit FROZEN_LOG_SCALE


def _margins(q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(log mean exp(-q), softmax(-q)) per run, stably."""
    lse = torch.logsumexp(-q, dim=-1)
    return lse - math.log(q.shape[-1]), torch.softmax(-q, dim=-1)


def annealed(eta: float, t: int, steps: int, anneal: float) -> float:
    """eta for the first half of the run, then linearly down to anneal * eta at the last step."""
    late = max(0.0, (t - steps / 2) / (steps / 2))
    return eta * (1 - (1 - anneal) * late)


def _schedule_factor(schedule: str, eta: float, log_loss: torch.Tensor, norm: torch.Tensor, L: int,
                     frozen: torch.Tensor) -> torch.Tensor:
    """The step multiplying the softmax-weighted gradient: eta ||theta||^{2-L} (normalized), or eta L(theta)
    (constant steps on the mean loss: its gradient is L(theta) times the softmax-weighted one).  Runs whose
    L log||theta|| passes FROZEN_LOG_SCALE are marked in ``frozen`` (in place) and get 0."""
    frozen |= L * torch.log(norm) > FROZEN_LOG_SCALE
    if schedule == "normalized":
        factor = eta * step_scale(norm, L)
    elif schedule == "constant":
        factor = eta * torch.exp(log_loss)
    else:
        raise ValueError(f"unknown schedule {schedule!r}; allowed: {', '.join(SCHEDULES)}")
    return factor.masked_fill(frozen, 0.0)


def _run(steps: int, checkpoints: list[int], step, record, progress) -> None:
    """Call ``step(t)`` for t = 1..steps and ``record()`` after each checkpoint step, advancing the progress bar."""
    marks = set(checkpoints)
    with torch.inference_mode():  # gradients are written out by hand: autograd's bookkeeping is pure cost here
        for t in range(1, steps + 1):
            step(t)
            if t in marks:
                record()
            if progress is not None:
                progress(1)


def _record(rows: dict[str, list], theta: torch.Tensor, q: torch.Tensor, norm: torch.Tensor) -> None:
    """One checkpoint's row: the parameters, and the loss, smallest margin and norm they give."""
    rows["theta"].append(theta)
    rows["log_loss"].append(_margins(q)[0])
    rows["q_min"].append(q.min(-1).values)
    rows["norm"].append(norm)


def checkpoint_steps(steps: int, checkpoints: int) -> list[int]:
    """Checkpoints spread evenly in log steps from steps/10^3 (at least 1) to ``steps``, no repeats."""
    if steps < 1 or checkpoints < 2:
        raise ValueError("a run needs steps >= 1 and checkpoints >= 2")
    grid = np.geomspace(max(1, steps / 1000), steps, checkpoints)
    return sorted({int(round(s)) for s in grid})


def train_deep_linear(model: DeepLinear, X: torch.Tensor, y: torch.Tensor, eps: torch.Tensor, attack: str,
                      steps: int, eta: float, schedule: str, checkpoints: list[int], progress=None,
                      anneal: float = 1.0) -> Trace:
    """Adversarial training of a deep linear net on (B, n, d) data; the attack sees grad_x f = w_prod."""
    frozen = torch.zeros(X.shape[0], dtype=torch.bool, device=X.device)
    rows: dict[str, list] = {k: [] for k in ("theta", "w", "log_loss", "q_min", "norm")}
    signed = X  # the last step's y_i x'_i, where a checkpoint measures the new weights

    def step(t: int) -> None:
        nonlocal signed
        w = model.product()
        # grad_x f = w at every point: (B, 1, d), broadcast by perturb, so the direction is computed once per run
        delta = perturb(lambda points: w[:, None, :], X, y, eps, attack)
        signed = y[..., None] * (X + delta)  # y_i x'_i, held fixed for the parameter gradient
        log_loss, weights = _margins((signed * w[:, None, :]).sum(-1))
        factor = _schedule_factor(schedule, annealed(eta, t, steps, anneal), log_loss, model.norm(), model.degree,
                                  frozen)
        row = -(weights[..., None] * signed).sum(1)  # grad of log L with respect to w_prod
        model.step(model.gradients(row), factor)

    def record() -> None:
        w_now = model.product()
        rows["w"].append(w_now)
        _record(rows, torch.cat([layer.flatten(1) for layer in model.layers], dim=1),
                (signed * w_now[:, None, :]).sum(-1), model.norm())

    _run(steps, checkpoints, step, record, progress)
    return _trace(checkpoints, rows, frozen)


def train_relu2(model: Relu2, X: torch.Tensor, y: torch.Tensor, eps: torch.Tensor, attack: str, steps: int,
                eta: float, schedule: str, checkpoints: list[int], pgd_steps: int = 5, progress=None,
                anneal: float = 1.0) -> Trace:
    """Adversarial training of the two-layer relu^2 net (Theorem B's homogeneous setting)."""
    frozen = torch.zeros(X.shape[0], dtype=torch.bool, device=X.device)
    rows: dict[str, list] = {k: [] for k in ("theta", "log_loss", "q_min", "norm")}

    def margins() -> tuple[torch.Tensor, torch.Tensor]:
        points = X + perturb(model.input_grad, X, y, eps, attack, steps=pgd_steps)
        return points, y * model(points)

    def step(t: int) -> None:
        points, q = margins()
        log_loss, weights = _margins(q)
        factor = _schedule_factor(schedule, annealed(eta, t, steps, anneal), log_loss, model.norm(), model.degree,
                                  frozen)
        model.step(model.param_grads(points, -weights * y), factor)

    def record() -> None:
        _record(rows, model.flat(), margins()[1], model.norm())

    _run(steps, checkpoints, step, record, progress)
    return _trace(checkpoints, rows, frozen)


def _trace(checkpoints: list[int], rows: dict[str, list], frozen: torch.Tensor) -> Trace:
    arrays = {key: torch.stack(value).cpu().numpy() for key, value in rows.items()}
    return Trace(steps=np.asarray(checkpoints), w=arrays.pop("w", None), frozen=frozen.cpu().numpy(), **arrays)
