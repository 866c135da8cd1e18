"""Adversarial and clean training of the papers' networks, batched over B independent networks.

Only the layer weights W_l are trained; P_in, P_out (and the biases) stay fixed, as in the paper's dynamics
(THEORY.md section 4).  One step of adversarial training: PGD finds delta_i in the l_p ball of radius eps around
each input (weights frozen), then plain gradient descent on
    L_adv = mean_i ||f(x_i + delta_i) - f(x_i)||_q
with delta_i held fixed (Danskin), W <- W - eta grad.  Two regimes: ``population`` draws fresh inputs every step;
``dataset`` trains on a fixed set of inputs per network (full batch).

Every step records, per network and layer, sigma_l^2 = ||W_l||_F^2 / N, the loss, <W_l, grad_l> and
the measured first-order change of ||W_l||_F^2 (the change minus eta^2 ||grad_l||^2, over -2 eta): the numbers
the Euler identity and the variance ODE are judged on.  All arithmetic is float64 but two parts whose
precision decides no verdict: PGD's search (``attack``) and the clean task's training (``train_clean``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from numerics.attacks import pgd, project
from numerics.papers.meanfield.jacobian import jacobian_and_bias
from numerics.papers.meanfield.networks import NetworkBatch, sample_networks
from numerics.opnorms import opnorm, vector_norm
from numerics.papers.meanfield.designs import TrainingSetup
from numerics.random import Draws
from theory.papers.meanfield.network import NetworkSpec

@dataclass(frozen=True)
class TrainingRun:
    """What adversarial training of B networks recorded (networks are the independent units).

    Step t's entries are measured on the weights before update t; ``sigma2`` has one more row, the final weights.
    """

    setup: TrainingSetup
    sigma2: np.ndarray  # (B, T + 1, L) ||W_l||_F^2 / N
    loss: np.ndarray  # (B, T) L_adv at the PGD perturbations
    inner: np.ndarray  # (B, T, L) <W_l, grad_l L_adv>
    first_order: np.ndarray  # (B, T, L) (||W_l'||^2 - ||W_l||^2 - eta^2 ||grad_l||^2) / (-2 eta)
    jacobian_norm: np.ndarray  # (B, T + 1) ||J(x_probe)||_{p->q} (a certified lower end where not exact)
    clean_grad: dict  # "before" / "after" -> (B, L) ||grad_l of the clean-task loss||_F
    clean_loss: dict  # "before" / "after" -> (B, S + 1) clean-task loss while training clean from those weights
    seconds: float

    @property
    def B(self) -> int:
        return self.sigma2.shape[0]

    @property
    def units(self) -> int:
        return self.B


def join_runs(parts: list[TrainingRun]) -> TrainingRun:
    """Consecutive parts of one job's networks as one run (the seconds add up)."""
    def joined(name: str) -> np.ndarray:
        return np.concatenate([getattr(part, name) for part in parts])

    def joined_dict(name: str) -> dict:
        return {key: np.concatenate([getattr(part, name)[key] for part in parts]) for key in getattr(parts[0], name)}

    return TrainingRun(parts[0].setup, joined("sigma2"), joined("loss"), joined("inner"), joined("first_order"),
                       joined("jacobian_norm"), joined_dict("clean_grad"), joined_dict("clean_loss"),
                       sum(part.seconds for part in parts))


def _flat_attack(net: NetworkBatch) -> Callable[[torch.Tensor], torch.Tensor]:
    """PGD's f for B*m problems: problem (b, i) is input i of network b, reshaped into the batched forward."""
    B = net.B

    def f(z: torch.Tensor) -> torch.Tensor:  # (B*m, R, d) -> (B*m, R, K)
        m, R = z.shape[0] // B, z.shape[1]
        return net(z.reshape(B, m * R, -1)).reshape(B * m, R, -1)

    return f


def adversarial_loss(net: NetworkBatch, x: torch.Tensor, delta: torch.Tensor, q: float) -> torch.Tensor:
    """L_adv per network: mean over inputs of ||f(x + delta) - f(x)||_q, (B,), differentiable in the weights."""
    n = x.shape[1]
    out = net(torch.cat([x + delta, x], dim=1))
    return vector_norm(out[:, :n] - out[:, n:], q).mean(dim=1)


def attack(net: NetworkBatch, x: torch.Tensor, setup: TrainingSetup, draws: Draws | list[Draws]) -> torch.Tensor:
    """PGD perturbations (B, m, d) for every input of every network, weights frozen (random starts from draws:
    one stream, or one per network for its m inputs).

    The search runs on a float32 copy (half the cost of float64 matrix products on a CPU) and its perturbation
    is projected back onto the ball in x's dtype: training then holds it fixed and measures everything in
    float64, so the search's precision only decides which admissible perturbation is used, never a number's
    accuracy (as ``samples._norm_chunk`` does for the norms' PGD).
    """
    B, m, d = x.shape
    found = pgd(_flat_attack(net.float()), x.reshape(B * m, d).float(), setup.eps, setup.p, setup.q,
                steps=setup.pgd_steps, restarts=setup.pgd_restarts, draws=draws)
    return project(found.eta.to(x.dtype), setup.p, setup.eps).reshape(B, m, d)


@dataclass(frozen=True)
class CleanTask:
    """A random-teacher regression task: targets y = T(x) / rms, T a random two-layer ReLU network.

    The teacher does not depend on the student's depth or architecture, so clean gradients can be compared
    across depths; its outputs are scaled to unit mean square per coordinate.
    """

    A: torch.Tensor  # (B, H, d)
    C: torch.Tensor  # (B, K, H)
    x_train: torch.Tensor  # (B, n, d)
    x_test: torch.Tensor  # (B, n, d)

    def targets(self, x: torch.Tensor) -> torch.Tensor:
        hidden = torch.relu(x @ self.A.transpose(-1, -2))
        return hidden @ self.C.transpose(-1, -2)

    @classmethod
    def draw(cls, spec: NetworkSpec, B: int, n: int, draws: Draws, width: int = 64) -> "CleanTask":
        """B tasks drawn portably (teachers and inputs are data: the same on every device)."""
        A = draws.normal(spec.d**-0.5, (B, width, spec.d), portable=True)
        C = draws.normal((2.0 / width) ** 0.5, (B, spec.K, width), portable=True)
        x = draws.standard_normal((B, 2 * n, spec.d), portable=True)
        task = cls(A, C, x[:, :n], x[:, n:])
        scale = task.targets(task.x_train).square().mean(dim=(1, 2), keepdim=True).sqrt()
        return cls(A, C / scale, x[:, :n], x[:, n:])

    def rows(self, rows: slice) -> "CleanTask":
        """The tasks of some networks (a task depends on its own network's draws only)."""
        return CleanTask(self.A[rows], self.C[rows], self.x_train[rows], self.x_test[rows])

    def loss(self, net: NetworkBatch, x: torch.Tensor) -> torch.Tensor:
        """Half the mean squared error per network, (B,)."""
        return 0.5 * (net(x) - self.targets(x)).square().sum(-1).mean(dim=1)


def _with_weights(net: NetworkBatch, W: torch.Tensor) -> NetworkBatch:
    return NetworkBatch(net.spec, net.P_in, W, net.b, net.P_out)


def clean_gradient_norms(net: NetworkBatch, task: CleanTask) -> torch.Tensor:
    """||grad_{W_l} clean loss||_F on the task's training inputs, (B, L)."""
    W = net.W.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(task.loss(_with_weights(net, W), task.x_train).sum(), W)
    return grad.flatten(2).norm(dim=-1)


def train_clean(net: NetworkBatch, task: CleanTask, steps: int, lr: float) -> torch.Tensor:
    """Full-batch gradient descent on the clean task from the net's weights; test loss before each step and
    after the last, (B, S + 1).

    The step is ``lr`` times each network's initial Polyak step loss / ||grad||^2, so one dimensionless ``lr``
    trains architectures and depths whose gradient scales differ by orders of magnitude, without divergence.

    It trains a float32 copy (half the time of float64 on a CPU): the capacity claims judge the best test loss
    across networks, whose log spreads by about 0.35 between networks, and float32 moves a network's best loss
    by at most 1e-4 of itself (measured at the default capacity setup, both architectures, 64 networks).
    """
    net = net.float()
    task = CleanTask(*(t.float() for t in (task.A, task.C, task.x_train, task.x_test)))
    W = net.W.clone()
    losses, step = [], None
    for _ in range(steps):
        W.requires_grad_(True)
        current = _with_weights(net, W)
        with torch.no_grad():
            losses.append(task.loss(current, task.x_test))
        train_loss = task.loss(current, task.x_train)
        (grad,) = torch.autograd.grad(train_loss.sum(), W)
        if step is None:
            tiny = torch.finfo(grad.dtype).tiny
            step = lr * train_loss.detach() / grad.square().sum(dim=(1, 2, 3)).clamp(min=tiny)
        W = (W - step[:, None, None, None] * grad).detach()
    with torch.no_grad():
        losses.append(task.loss(_with_weights(net, W), task.x_test))
    return torch.stack(losses, dim=1).double()


def train_adversarial(setup: TrainingSetup, networks: int, draws: Draws,
                      progress: Callable[[int], None] | None = None, first: int = 0,
                      total: int | None = None) -> TrainingRun:
    """Adversarially train networks ``first`` .. ``first + networks - 1`` of ``total`` (default: all of them are
    these) of ``setup.spec`` for ``setup.steps`` steps on draws' device.

    Weights come from the network streams of ``draws``; the clean task, probe input, dataset and fresh
    population inputs are drawn portably from named child streams for all ``total`` networks, and these
    networks' rows are kept; PGD starts from ``attack/<step>/<network>``.  So network i's run does not depend on
    the networks trained beside it: parts trained apart and joined (``join_runs``) are the run of all at once.

    With ``setup.clean_steps`` > 0 the clean task is also trained from the initial and from the final weights
    (the capacity comparison); clean gradient norms are recorded before and after in any case.
    ``progress`` is called with 1 after every training step.
    """
    start = time.perf_counter()
    spec, dtype = setup.spec, torch.float64
    total, rows = total or networks, slice(first, first + networks)
    net = sample_networks(spec, networks, draws, dtype=dtype, first=first)
    task = CleanTask.draw(spec, total, setup.clean_inputs, draws.child("clean task")).rows(rows)
    probe = draws.child("probe").standard_normal((total, 1, spec.d), dtype, portable=True)[rows]
    dataset = draws.child("dataset").standard_normal((total, setup.inputs, spec.d), dtype, portable=True)[rows]
    population = draws.child("population")
    p, q = setup.p, setup.q

    def jacobian_norm(current: NetworkBatch) -> torch.Tensor:
        with torch.no_grad():
            J, _ = jacobian_and_bias(current, probe)
        # exact where tractable, else the sign search's certified lower end (the same starts at every step)
        return opnorm(J[:, 0], p, q, draws=draws.child("norm search")).low

    clean_grad = {"before": clean_gradient_norms(net, task)}
    clean_loss = {"before": train_clean(net, task, setup.clean_steps, setup.clean_lr)} if setup.clean_steps else {}
    W = net.W.detach().clone()
    sigma2, loss, inner, first_order, jnorm = [], [], [], [], []
    squares = W.square().sum(dim=(-1, -2))  # ||W_l||_F^2 of the current weights, carried from step to step
    for step in range(setup.steps):
        current = _with_weights(net, W)
        x = dataset if setup.regime == "dataset" else population.standard_normal(
            (total, setup.inputs, spec.d), dtype, portable=True)[rows]
        delta = attack(current, x, setup, [draws.child(f"attack/{step}/{first + i}") for i in range(networks)])
        W.requires_grad_(True)
        value = adversarial_loss(_with_weights(net, W), x, delta, q)
        (grad,) = torch.autograd.grad(value.sum(), W)
        W = W.detach()
        old_sq, g_sq = squares, grad.square().sum(dim=(-1, -2))
        sigma2.append(old_sq / spec.N)
        loss.append(value.detach())
        inner.append((W * grad).sum(dim=(-1, -2)))
        jnorm.append(jacobian_norm(current))
        W = W - setup.eta * grad
        squares = W.square().sum(dim=(-1, -2))
        first_order.append((squares - old_sq - setup.eta**2 * g_sq) / (-2 * setup.eta))
        if progress is not None:
            progress(1)
    trained = _with_weights(net, W)
    sigma2.append(squares / spec.N)
    jnorm.append(jacobian_norm(trained))
    clean_grad["after"] = clean_gradient_norms(trained, task)
    if setup.clean_steps:
        clean_loss["after"] = train_clean(trained, task, setup.clean_steps, setup.clean_lr)

    def stacked(values: list[torch.Tensor]) -> np.ndarray:
        return torch.stack(values, dim=1).cpu().numpy()

    return TrainingRun(setup, stacked(sigma2), stacked(loss), stacked(inner), stacked(first_order),
                       stacked(jnorm), {k: v.cpu().numpy() for k, v in clean_grad.items()},
                       {k: v.cpu().numpy() for k, v in clean_loss.items()}, time.perf_counter() - start)
