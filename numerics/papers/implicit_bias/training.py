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
from typing import Callable

import numpy as np
import torch

from numerics.backends import lambdify
from numerics.papers.implicit_bias.models import DeepLinear, Perturbation, Relu2
from numerics.papers.implicit_bias.settings import SCHEDULES
from theory.papers.implicit_bias.margins import STEP_SCALE, degree, theta_norm
#: a run stops once L log||theta|| (the log of its margins' scale) passes this
FROZEN_LOG_SCALE = 500.0


def step_scale_function(L: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """norm -> ||theta||^{2-L} for one degree: ``STEP_SCALE`` lambdified once (``backends.lambdify``, the torch
    function ``evaluate`` calls) and called directly, since ``evaluate``'s per-call argument handling cost more than
    the expression itself in a training step."""
    symbols, fn = lambdify(STEP_SCALE, "torch")
    if set(symbols) != {degree, theta_norm}:
        raise ValueError(f"STEP_SCALE should depend on {degree} and {theta_norm} only, not on {symbols}")
    value = float(L)  # a Python float: 2 - L is exact either way, so this is evaluate's float64-tensor value
    if symbols[0] == degree:
        return lambda norm: fn(value, norm)
    return lambda norm: fn(norm, value)


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


def _margins(q: torch.Tensor, with_loss: bool = True) -> tuple[torch.Tensor | None, torch.Tensor]:
    """(log mean exp(-q), softmax(-q)) per run, stably; the loss is None unless ``with_loss`` (a normalised step
    does not use it, and logsumexp is one of a step's dearest ops)."""
    minus = -q
    lse = torch.logsumexp(minus, dim=-1) - math.log(q.shape[-1]) if with_loss else None
    return lse, torch.softmax(minus, dim=-1)


def annealed(eta: float, t: int, steps: int, anneal: float) -> float:
    """eta for the first half of the run, then linearly down to anneal * eta at the last step."""
    late = max(0.0, (t - steps / 2) / (steps / 2))
    return eta * (1 - (1 - anneal) * late)


class _Schedule:
    """The step multiplying the softmax-weighted gradient: eta ||theta||^{2-L} (normalized), or eta L(theta)
    (constant steps on the mean loss: its gradient is L(theta) times the softmax-weighted one).  Runs whose
    L log||theta|| passes FROZEN_LOG_SCALE are marked in ``frozen`` (in place) and get 0.  Built once per run, so
    the step scale's lambdified expression is looked up once."""

    def __init__(self, schedule: str, L: int) -> None:
        if schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {schedule!r}; allowed: {', '.join(SCHEDULES)}")
        self.L = L
        self.needs_loss = schedule == "constant"
        self.scale = None if self.needs_loss else step_scale_function(L)

    def __call__(self, eta: float, log_loss: torch.Tensor | None, norm: torch.Tensor,
                 frozen: torch.Tensor) -> torch.Tensor:
        frozen |= self.L * torch.log(norm) > FROZEN_LOG_SCALE
        factor = eta * (torch.exp(log_loss) if self.needs_loss else self.scale(norm))
        return factor.masked_fill_(frozen, 0.0)  # in place: factor is this step's own tensor


def _run(steps: int, checkpoints: list[int], step, record, progress, every: int = 100) -> None:
    """Call ``step(t)`` for t = 1..steps and ``record()`` after each checkpoint step, advancing the progress bar
    every ``every`` steps and at the end (a progress bar update costs as much as a few tensor ops)."""
    marks = set(checkpoints)
    shown = 0
    with torch.inference_mode():  # gradients are written out by hand: autograd's bookkeeping is pure cost here
        for t in range(1, steps + 1):
            step(t)
            if t in marks:
                record()
            if progress is not None and (t % every == 0 or t == steps):
                progress(t - shown)
                shown = t


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
    attack_of, factor_of, labels = Perturbation(X, y, eps, attack), _Schedule(schedule, model.degree), y[..., None]

    def step(t: int) -> None:
        nonlocal signed
        prefixes = model.prefixes()  # the product and the right factors of the layer gradients, multiplied once
        w = prefixes[-1]  # w_prod as a (B, 1, d) row
        # grad_x f = w at every point, broadcast by perturb, so the direction is computed once per run
        delta = attack_of(lambda points: w)
        signed = labels * (X + delta)  # y_i x'_i, held fixed for the parameter gradient
        log_loss, weights = _margins((signed * w).sum(-1), factor_of.needs_loss)
        factor = factor_of(annealed(eta, t, steps, anneal), log_loss, model.norm(), frozen)
        row = -(weights[..., None] * signed).sum(1)  # grad of log L with respect to w_prod
        model.step(model.gradients(row, prefixes), factor)

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
    attack_of, factor_of = Perturbation(X, y, eps, attack, steps=pgd_steps), _Schedule(schedule, model.degree)

    def margins() -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
        """The adversarial points, the hidden units there and their squares (param_grads reuses them), q."""
        points = X + attack_of(model.input_grad)
        h = model.hidden(points)
        hidden = (h, h * h)  # pow(h, 2)'s own kernel is h * h: the same squares, without wrapping the exponent
        return points, hidden, y * model.output(hidden[1])

    def step(t: int) -> None:
        points, hidden, q = margins()
        log_loss, weights = _margins(q, factor_of.needs_loss)
        factor = factor_of(annealed(eta, t, steps, anneal), log_loss, model.norm(), frozen)
        model.step(model.param_grads(points, -weights * y, hidden), factor)

    def record() -> None:
        _record(rows, model.flat(), margins()[2], model.norm())

    _run(steps, checkpoints, step, record, progress)
    return _trace(checkpoints, rows, frozen)


def _trace(checkpoints: list[int], rows: dict[str, list], frozen: torch.Tensor) -> Trace:
    arrays = {key: torch.stack(value).cpu().numpy() for key, value in rows.items()}
    return Trace(steps=np.asarray(checkpoints), w=arrays.pop("w", None), frozen=frozen.cpu().numpy(), **arrays)
