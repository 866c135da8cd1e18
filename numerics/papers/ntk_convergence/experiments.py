"""Gao et al.'s experiments: each turns one run (a settings section's configuration) into one sample.

- ``linearisation``: the error of the first-order model over the ball (D1), aligned and searched, per seed, width,
  radius and input;
- ``regret``: online gradient descent on the linearised model per horizon, against the hindsight comparator (D3);
- ``training``: projected adversarial training per width and attack, with every run's final iterate and W_0 as
  comparators, their robust losses lower-estimated by a strong attack (D2, D4);
- ``capacity``: robust and clean memorisation of the hard family per dimension, sign pattern and width (D5).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from numerics.backends import value
from numerics.device import one_thread
from numerics.experiment import RunExperiment, register_experiment
from numerics.papers.ntk_convergence import capacity as cap
from numerics.papers.ntk_convergence.adversary import perturb, strong_loss
from numerics.papers.ntk_convergence.networks import ACTIVATIONS, TwoLayer, logistic, logistic_slope
from numerics.papers.ntk_convergence.settings import (CAPACITY, LINEARISATION, REGRET, TRAINING, CapacityRun,
                                                      CapacitySettings, LinearisationRun, LinearisationSettings,
                                                      RegretRun, RegretSettings, TrainingRun, TrainingSettings,
                                                      ball_radius)
from numerics.papers.ntk_convergence.training import project_ball, train
from numerics.random import Draws
from theory.papers.ntk_convergence.bounds import THEOREM_STEP, G, R, T, X, constants


def sphere(seeds: int, n: int, d: int, draws: Draws) -> tuple[torch.Tensor, torch.Tensor]:
    """n points uniform on the unit sphere of R^d and random +-1 labels per seed, drawn portably: (S, n, d), (S, n)."""
    x = draws.child("x").standard_normal((seeds, n, d), portable=True).to(draws.device)
    return x / x.norm(dim=-1, keepdim=True), draws.child("y").signs((seeds, n), portable=True).to(draws.device)


def theorem_step(radius: float, steps: int, delta: float, activation: str = "softplus") -> float:
    """The theorem's step R / (G sqrt T), G = L_ell L_1 (1 + delta) (``bounds.THEOREM_STEP``)."""
    return value(THEOREM_STEP.subs(constants(activation)), {R: radius, T: steps, X: 1 + delta})


@dataclass
class LinearisationSample:
    """Errors |f(W_0 + D) - f(W_0) - <grad f(W_0), D>| (S, widths, radii, inputs): ``aligned`` puts all the
    movement on the a_r = +1 neurons along x; ``searched`` is the largest found by projected ascent from it."""

    config: LinearisationRun
    norms: np.ndarray  # (inputs,) ||x||
    aligned: np.ndarray
    searched: np.ndarray

    @property
    def units(self) -> int:
        return self.config.seeds


def linearisation_errors(model: TwoLayer, x: torch.Tensor, radius: float, steps: int) -> tuple[torch.Tensor, ...]:
    """(aligned, searched) linearisation errors at W_0 for inputs x (S, I, d), both (S, I)."""
    act = ACTIVATIONS[model.activation]
    m = model.width
    z = torch.bmm(x, model.W0.transpose(1, 2))  # (S, I, m)
    a = model.a[:, None, :]

    def error(moved: torch.Tensor) -> torch.Tensor:  # moved: (S, I, m) = D_r . x
        return (a * (act(z + moved, 0) - act(z, 0) - act(z, 1) * moved)).sum(-1) / math.sqrt(m)

    positive = (model.a > 0).to(x.dtype)[:, None, :, None]  # (S, 1, m, 1)
    unit = x / x.norm(dim=-1, keepdim=True)
    Delta = positive * unit[:, :, None, :] * radius * math.sqrt(2 / m)  # (S, I, m, d), ||D||_F = R
    aligned = error(torch.einsum("simd,sid->sim", Delta, x))
    best = aligned.abs()
    for _ in range(steps):
        moved = torch.einsum("simd,sid->sim", Delta, x)
        sign = torch.sign(error(moved))[..., None, None]
        grad = sign * (a * (act(z + moved, 1) - act(z, 1)))[..., None] * x[:, :, None, :] / math.sqrt(m)
        norm = grad.flatten(2).norm(dim=-1).clamp(min=1e-300)[..., None, None]
        Delta = Delta + radius / 4 * grad / norm
        Delta = Delta * (radius / Delta.flatten(2).norm(dim=-1).clamp(min=radius))[..., None, None]
        best = torch.maximum(best, error(torch.einsum("simd,sid->sim", Delta, x)).abs())
    return aligned.abs(), best


class LinearisationExperiment(RunExperiment):
    name = LINEARISATION
    Settings = LinearisationSettings

    def label(self, config, settings) -> str:
        return f"linearisation error, widths {list(config.widths)}, R={list(config.radii)}, {config.seeds} seeds"

    def size(self, config, settings) -> int:
        return len(config.widths)

    def draw(self, config: LinearisationRun, settings, draws, progress=None) -> LinearisationSample:
        widest = TwoLayer.init(config.seeds, max(config.widths), config.d, draws.child("init"), config.activation)
        directions = draws.child("inputs").standard_normal((config.seeds, config.inputs, config.d),
                                                           portable=True).to(draws.device)
        directions = directions / directions.norm(dim=-1, keepdim=True)
        norms = torch.tensor(config.norms, dtype=torch.float64, device=draws.device).repeat_interleave(config.inputs)
        x = directions.repeat(1, len(config.norms), 1) * norms[None, :, None]
        aligned, searched = [], []
        with one_thread():
            for width in config.widths:
                model = widest.prefix(width)
                pairs = [linearisation_errors(model, x, radius, config.ascent_steps) for radius in config.radii]
                aligned.append(torch.stack([p[0] for p in pairs], 1))
                searched.append(torch.stack([p[1] for p in pairs], 1))
                if progress is not None:
                    progress(1)
        return LinearisationSample(config, norms.cpu().numpy(), torch.stack(aligned, 1).cpu().numpy(),
                                   torch.stack(searched, 1).cpu().numpy())


@dataclass
class RegretSample:
    """Per horizon and seed (H, S): sum_t l_t(W_t), sum_t l_t(W^dagger) at the hindsight comparator, its distance
    from W_0, sum_t ||g_t||^2, the step, and the comparator's Frank-Wolfe gap (its suboptimality bound)."""

    config: RegretRun
    played: np.ndarray
    hindsight: np.ndarray
    distance: np.ndarray
    grad_sq: np.ndarray
    alpha: np.ndarray  # (H,)
    gap: np.ndarray

    @property
    def units(self) -> int:
        return self.config.seeds


def hindsight(model: TwoLayer, points: torch.Tensor, y: torch.Tensor, radius: float, steps: int,
              smoothness: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The minimiser of sum_t l_t(W) over the ball for the linearised model (convex and smooth), by accelerated
    projected gradient descent (FISTA) at step 1/smoothness: (sum_t l_t at it (S,), its distance from W_0 (S,),
    its Frank-Wolfe gap (S,): an upper bound on how far its sum is above the minimum), with l_t the mean loss at
    step t's points (``points``: (S, T n, d), every step's n points in order)."""
    n = y.shape[1]
    horizon = points.shape[1] // n
    labels = y.repeat(1, horizon)
    base = model.output(model.W0, points)
    # the features of the linearised model, computed once: f_lin = base + sum_r features_r (D_r . x)
    features = model.a[:, None, :] * ACTIVATIONS[model.activation](torch.bmm(points, model.W0.transpose(1, 2)), 1)
    features = features / math.sqrt(model.width)

    def objective(Delta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        margin = labels * (base + (torch.bmm(points, Delta.transpose(1, 2)) * features).sum(-1))
        coeff = logistic_slope(margin) * labels / points.shape[1]
        return logistic(margin).mean(-1), torch.bmm((features * coeff[..., None]).transpose(1, 2), points)

    def project(Delta: torch.Tensor) -> torch.Tensor:
        return project_ball(Delta, torch.zeros_like(Delta), radius)[0]

    Delta = previous = torch.zeros_like(model.W0)
    for step in range(steps):
        look = Delta + step / (step + 3) * (Delta - previous)
        previous, Delta = Delta, project(look - objective(look)[1] / smoothness)
    total, grad = objective(Delta)
    gap = (grad * Delta).flatten(1).sum(1) + radius * grad.flatten(1).norm(dim=1)
    return total * horizon, Delta.flatten(1).norm(dim=1), gap * horizon


class RegretExperiment(RunExperiment):
    name = REGRET
    Settings = RegretSettings

    def label(self, config, settings) -> str:
        return f"linearised OGD m={config.width}, T={list(config.horizons)}, {config.seeds} seeds"

    def size(self, config, settings) -> int:
        return sum(config.horizons)

    def draw(self, config: RegretRun, settings, draws, progress=None) -> RegretSample:
        x, y = sphere(config.seeds, config.n, config.d, draws.child("data"))
        model = TwoLayer.init(config.seeds, config.width, config.d, draws.child("init"))
        rows = {name: [] for name in ("played", "hindsight", "distance", "grad_sq", "gap")}
        alphas = []
        # the loss's curvature times the squared feature norm bounds the hindsight objective's smoothness
        smoothness = 0.25 * value(G.subs(constants("softplus")), {X: 1 + config.delta}) ** 2
        with one_thread():
            for horizon in config.horizons:
                alpha = theorem_step(config.radius, horizon, config.delta)
                trace = train(model, x, y, config.delta, "pgd", horizon, alpha, config.radius, config.attack_steps,
                              draws.child(f"T{horizon}"), linear=True, keep_points=True, progress=progress)
                total, distance, gap = hindsight(model, trace.points, y, config.radius, config.comparator_steps,
                                                 smoothness)
                for name, found in (("played", trace.loss.sum(0)), ("hindsight", total), ("distance", distance),
                                    ("grad_sq", trace.grad_sq.sum(0)), ("gap", gap)):
                    rows[name].append(np.asarray(found.cpu() if torch.is_tensor(found) else found))
                alphas.append(alpha)
        return RegretSample(config, **{k: np.stack(v) for k, v in rows.items()}, alpha=np.asarray(alphas))


@dataclass
class TrainingSample:
    """Per width and attack: the trace of each seed's run; the strong-attack robust loss of its final iterate and
    the training attack's loss there; per width, L*(W_0) (log 2 up to rounding, f(W_0) = 0) and ||W_0||_F."""

    config: TrainingRun
    alpha: float
    loss: np.ndarray  # (widths, attacks, T, S)
    grad_sq: np.ndarray  # (widths, attacks, T, S)
    distance: np.ndarray  # (widths, attacks, S): ||W_T - W_0||_F
    boundary: np.ndarray  # (widths, attacks, S): fraction of steps projected back onto the sphere
    robust_final: np.ndarray  # (widths, attacks, S): strong-attack L*(W_T)
    surrogate_final: np.ndarray  # (widths, attacks, S): L_A(W_T)
    robust_init: np.ndarray  # (widths, S)
    init_norm: np.ndarray  # (widths, S)

    @property
    def units(self) -> int:
        return self.config.seeds


class TrainingExperiment(RunExperiment):
    name = TRAINING
    Settings = TrainingSettings

    def label(self, config, settings) -> str:
        where = "unconstrained" if config.radius is None else f"R={config.radius:g} ({config.ball})"
        return (f"projected AT {where}, delta={config.delta:g}, widths {list(config.widths)}, "
                f"attacks {list(config.attacks)}, {config.seeds} seeds")

    def size(self, config, settings) -> int:
        return config.steps * len(config.widths) * len(config.attacks)

    def draw(self, config: TrainingRun, settings, draws, progress=None) -> TrainingSample:
        dtype = getattr(torch, config.dtype)  # the float64 draws, rounded: the same data in either precision
        x, y = (t.to(dtype) for t in sphere(config.seeds, config.n, config.d, draws.child("data")))
        widest = TwoLayer.init(config.seeds, max(config.widths), config.d, draws.child("init")).to(dtype)
        radius = math.inf if config.radius is None else config.radius
        alpha = theorem_step(radius, config.steps, config.delta) if config.alpha == "theorem" else float(config.alpha)
        out = {name: [] for name in ("loss", "grad_sq", "distance", "boundary", "robust_final", "surrogate_final")}
        init_robust, init_norm = [], []
        with one_thread():
            for width in config.widths:
                model = widest.prefix(width)
                ball = ball_radius(config, width)
                strong = draws.child(f"strong{width}")
                init_robust.append(strong_loss(model, model.W0, x, y, config.delta, config.eval_steps,
                                               config.eval_restarts, strong))
                init_norm.append(model.W0.flatten(1).norm(dim=1))
                rows = {name: [] for name in out}
                for attack in config.attacks:
                    trace = train(model, x, y, config.delta, attack, config.steps, alpha, ball, config.attack_steps,
                                  draws.child(f"{attack}{width}"), progress=progress)
                    final = perturb(model, trace.W, x, y, config.delta, attack, config.attack_steps,
                                    draws.child(f"final{attack}{width}"))
                    rows["loss"].append(trace.loss)
                    rows["grad_sq"].append(trace.grad_sq)
                    rows["distance"].append((trace.W - model.W0).flatten(1).norm(dim=1).cpu().numpy())
                    rows["boundary"].append(trace.boundary.mean(0))
                    rows["robust_final"].append(strong_loss(model, trace.W, x, y, config.delta, config.eval_steps,
                                                            config.eval_restarts, strong).cpu().numpy())
                    rows["surrogate_final"].append(logistic(y * model.output(trace.W, final)).mean(-1).cpu().numpy())
                for name in out:
                    out[name].append(np.stack(rows[name]))
        return TrainingSample(config, alpha, **{k: np.stack(v).astype(np.float64) for k, v in out.items()},
                              robust_init=torch.stack(init_robust).double().cpu().numpy(),
                              init_norm=torch.stack(init_norm).double().cpu().numpy())


@dataclass
class CapacitySample:
    """success[kind][d index] (patterns, widths): memorised (clean) or robustly memorised with every probe
    labelled by its sign (robust), judged by the strong attack."""

    config: CapacityRun
    clean: np.ndarray  # (dims, patterns, widths)
    robust: np.ndarray
    probes_wrong: np.ndarray  # (dims, patterns, widths): PGD-robust nets that mislabel a forced probe

    @property
    def units(self) -> int:
        return self.config.patterns


class CapacityExperiment(RunExperiment):
    name = CAPACITY
    Settings = CapacitySettings

    def label(self, config, settings) -> str:
        return f"robust vs clean memorisation, d={list(config.dims)}, K={config.pairs}, widths {list(config.widths)}"

    def size(self, config, settings) -> int:
        return len(config.dims) * 2

    def draw(self, config: CapacityRun, settings, draws, progress=None) -> CapacitySample:
        clean, robust, wrong = [], [], []
        P, widths = config.patterns, config.widths
        with one_thread():
            for d in config.dims:
                k = d - 1
                stream = draws.child(f"d{d}")
                signs = stream.child("signs").signs((P, config.pairs, k), portable=True).to(draws.device)
                x, y, probes = cap.family(d, signs)
                expand = lambda t: t.repeat_interleave(len(widths), 0)  # noqa: E731  (pattern-major, width-minor)
                xs, ys, forced = expand(x), expand(y), expand(signs.reshape(P, -1))
                sizes = torch.tensor(widths * P, dtype=torch.float64, device=draws.device)
                rho = math.sqrt(1 - 1 / k) + config.margin
                for kind, radius in (("clean", 0.0), ("robust", rho)):
                    net = cap.ReluNets.init(sizes, d, stream.child(kind))
                    cap.memorise(net, xs, ys, radius, config.steps, config.lr, config.attack_steps,
                                 config.attack_restarts, stream.child(f"train{kind}"))
                    if radius == 0:
                        clean.append((ys * net(xs) > 0).all(-1).reshape(P, len(widths)))
                    else:
                        margins, _ = cap.worst_margins(net, xs, ys, radius, config.eval_steps, config.eval_restarts,
                                                       stream.child("judge"))
                        pgd_robust = (margins > 0).all(-1)
                        probes_ok = (torch.sign(net(expand(probes))) == forced).all(-1)
                        robust.append((pgd_robust & probes_ok).reshape(P, len(widths)))
                        wrong.append((pgd_robust & ~probes_ok).reshape(P, len(widths)))
                    if progress is not None:
                        progress(1)
        return CapacitySample(config, *(torch.stack(v).cpu().numpy() for v in (clean, robust, wrong)))


register_experiment(LinearisationExperiment())
register_experiment(RegretExperiment())
register_experiment(TrainingExperiment())
register_experiment(CapacityExperiment())
