"""Li & Li's experiment: one run (a design of ``feature_learning.patches``) -> one sample.

Per seed, standard and adversarial training start from the same initialisation on the same data (paired), and
both networks are evaluated on the same test set by the clean check, the closed-form feature and planting attacks,
PGD with restarts and the one-step training attack, at every radius the claims and the figure need.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from numerics.device import one_thread
from numerics.experiment import RunExperiment, register_experiment
from numerics.papers.feature_learning.attacks import (correct, feature_attack, moved, neuron_attack, pgd,
                                                     planting_attack, sign_step)
from numerics.papers.feature_learning.data import draw_patches, features
from numerics.papers.feature_learning.network import PatchCNN
from numerics.papers.feature_learning.settings import PATCHES, PatchRun, PatchSettings
from numerics.papers.feature_learning.training import train
from theory.papers.feature_learning.model import THRESHOLDS, D, beta

#: the attacks a robust accuracy is read under; "strong" is an example that survives every evaluation attack
ATTACKS = ("feature", "planting", "neuron", "pgd", "strong", "training")
#: the two trainings of a run, in the sample's order
TRAININGS = ("st", "at")
#: the radii around each threshold that the threshold claims read (a factor below, a factor above)
THRESHOLD_FACTORS = (0.9, 1.1)


def radii(run: PatchRun) -> np.ndarray:
    """The evaluation radii: eps times ``eps_scales`` and each threshold of ``model.THRESHOLDS`` times 0.9 and
    1.1, sorted, duplicates merged; eps alone for a run without the sweep."""
    if not run.radius_sweep:
        return np.array([run.eps])
    thresholds = [float(expr.subs({beta: run.beta, D: run.D})) for expr in THRESHOLDS.values()]
    points = [run.eps * s for s in run.eps_scales] + [f * t for t in thresholds for f in THRESHOLD_FACTORS]
    return np.unique(np.round(points, 12))


def strong(model: PatchCNN, W: torch.Tensor, data, radius, U: torch.Tensor, V: torch.Tensor, run: PatchRun,
           draws) -> tuple[dict[str, torch.Tensor], object]:
    """(S, n) survival under each evaluation attack and under all of them ("strong"), and PGD's result."""
    found = {"feature": feature_attack(model, W, data, radius, V), "planting": planting_attack(model, W, data,
                                                                                               radius, U),
             "neuron": neuron_attack(model, W, data, radius)}
    search = pgd(model, W, data, radius, run.pgd_steps, run.pgd_restarts, draws)
    found["pgd"] = search.robust
    found["strong"] = found["feature"] & found["planting"] & found["neuron"] & found["pgd"]
    return found, search


@dataclass
class PatchSample:
    """A run's measurements, numpy, per training (axis "training": st, at) and seed.

    A, B: <w_{j,r}, u_j>, <w_{j,r}, v_j> (training, T + 1, S, k, m); loss (training, T, S);
    clean (training, S); robust[attack] (training, radius, S): accuracies; at eps, cos_v (training, S): the mean
    cosine of PGD's successful perturbations with v_{y'} - v_y on the dense block, how many succeeded (training,
    S), and the mean share of their margin drop made by the dense block against the robust one (training, S);
    the class shares n_j / n (S, k).
    """

    config: PatchRun
    radii: np.ndarray
    A: np.ndarray
    B: np.ndarray
    loss: np.ndarray
    clean: np.ndarray
    robust: dict[str, np.ndarray]
    cos_v: np.ndarray
    successes: np.ndarray
    dense_share: np.ndarray
    shares: np.ndarray

    @property
    def units(self) -> int:
        return self.config.seeds


def _margin(model: PatchCNN, W: torch.Tensor, data) -> torch.Tensor:
    """F_y - max_{j != y} F_j per example, (S, n)."""
    F = model.logits(W, data.X, data.counts)
    own = F.gather(-1, data.y[..., None])[..., 0]
    return own - F.scatter(-1, data.y[..., None], -torch.inf).max(-1).values


def _mean_where(values: torch.Tensor, hit: torch.Tensor) -> torch.Tensor:
    """Per seed, the mean of ``values`` (S, n) over the examples where ``hit``; NaN where there is none, (S,)."""
    count = hit.sum(-1)
    return torch.where(count > 0, (values * hit).sum(-1) / count.clamp(min=1), torch.nan)


def _blocks(model: PatchCNN, W: torch.Tensor, test, delta: torch.Tensor, hit: torch.Tensor, k: int) -> np.ndarray:
    """Mean over the examples where ``hit`` (PGD's successful perturbations) of the share of the margin drop that
    the perturbation's dense block (where v lives) makes, against its robust block (where u lives): each block
    applied alone, drops clipped at 0; (S,)."""
    clean = _margin(model, W, test)
    drops = []
    for block in (slice(k, None), slice(None, k)):
        part = torch.zeros_like(delta)
        part[..., block] = delta[..., block]
        drops.append((clean - _margin(model, W, moved(test, part))).clamp(min=0))
    share = drops[0] / (drops[0] + drops[1]).clamp(min=1e-30)
    return _mean_where(share, hit).cpu().numpy()


def _cosines(delta: torch.Tensor, direction: torch.Tensor, counts: torch.Tensor, hit: torch.Tensor
             ) -> tuple[np.ndarray, np.ndarray]:
    """Mean over the examples where ``hit`` of cos(delta, direction on every patch), both over all P patches
    (each distinct patch weighted by its count), and how many examples that is; (S,) each."""
    inner = torch.einsum("snqd,snd,q->sn", delta, direction, counts)
    norms = torch.einsum("snqd,q->sn", delta ** 2, counts).sqrt() * direction.norm(dim=-1) * counts.sum().sqrt()
    cos = inner / norms.clamp(min=1e-30)
    return _mean_where(cos, hit).cpu().numpy(), hit.sum(-1).cpu().numpy()


class PatchExperiment(RunExperiment):
    name = PATCHES
    Settings = PatchSettings

    def label(self, config: PatchRun, settings) -> str:
        return (f"patches {config.design}: ST and AT, k={config.k}, D={config.D}, P={config.P}, m={config.m}, "
                f"{config.seeds} seeds")

    def size(self, config: PatchRun, settings) -> int:
        return 2 * config.steps + 2 * len(radii(config))

    def memory(self, config: PatchRun, settings) -> int:
        item = 4 if config.dtype == "float32" else 8
        n = max(config.n_train, config.n_test)
        patches = config.P if config.sigma_xi > 0 else min(config.P, 2)
        return item * config.seeds * n * patches * (4 * config.d + 3 * config.k * config.m)

    def draw(self, config: PatchRun, settings, draws, progress=None) -> PatchSample:
        dtype = getattr(torch, config.dtype)
        device = draws.device
        U, V = (torch.as_tensor(F, dtype=dtype, device=device) for F in features(config.k, config.D))
        data = [draw_patches(config.seeds, n, config.P, U, V, config.alpha, config.beta, config.sigma_xi,
                             draws.child(name)) for name, n in (("train", config.n_train), ("test", config.n_test))]
        train_set, test = data
        model = PatchCNN(config.k, config.m, config.q, config.rho)
        # drawn in float64 and then rounded, so that a float32 run starts where the float64 run does
        W0 = draws.child("init").normal(config.sigma0, (config.seeds, config.k * config.m, config.d)).to(dtype)
        evaluated = radii(config)
        A, B, losses, clean, cosines = [], [], [], [], []
        robust = {attack: [] for attack in ATTACKS}
        with one_thread():
            for name in TRAININGS:
                W, trace = train(model, W0, train_set, U, V, config.eta, config.steps,
                                 None if name == "st" else config.eps, progress)
                A.append(trace.A), B.append(trace.B), losses.append(trace.loss)
                ok = correct(model, W, test)
                clean.append(ok.double().mean(-1))
                per_radius, cosines_at_eps = _evaluate(model, W, test, ok, U, V, config, evaluated,
                                                       draws.child(f"pgd-{name}"), progress)
                cosines.append(cosines_at_eps)
                for attack in ATTACKS:
                    robust[attack].append(torch.stack(per_radius[attack]))
        shares = torch.nn.functional.one_hot(train_set.y, config.k).double().mean(1)
        cpu = lambda tensors: torch.stack(tensors).double().cpu().numpy()  # noqa: E731
        cos_v, hits, dense_share = (np.stack(values) for values in zip(*cosines))
        return PatchSample(config, evaluated, cpu(A), cpu(B), cpu(losses), cpu(clean),
                           {attack: cpu(values) for attack, values in robust.items()}, cos_v, hits, dense_share,
                           shares.cpu().numpy())


def _evaluate(model: PatchCNN, W: torch.Tensor, test, ok: torch.Tensor, U: torch.Tensor, V: torch.Tensor,
              config: PatchRun, evaluated: np.ndarray, draws, progress) -> tuple[dict[str, list], tuple]:
    """Per radius of ``evaluated``, the accuracy (S,) under each attack of ``ATTACKS``; and at eps, PGD's cosine
    with v_{y'} - v_y, its successes and their blocks' effect (``_cosines``, ``_blocks``)."""
    at_eps = int(np.argmin(np.abs(evaluated - config.eps)))
    per_radius = {attack: [] for attack in ATTACKS}
    for r, radius in enumerate(evaluated):
        radius = float(radius)
        found, search = strong(model, W, test, radius, U, V, config, draws.child(str(r)))
        found["training"] = ok & correct(model, W, sign_step(model, W, test, radius))
        for attack in ATTACKS:
            per_radius[attack].append(found[attack].double().mean(-1))
        if r == at_eps:
            hit = ok & ~search.robust
            dense = slice(config.k, None)
            mean_v, count = _cosines(search.delta[..., dense], (V[search.target] - V[test.y])[..., dense],
                                     test.counts, hit)
            cosines = (mean_v, count, _blocks(model, W, test, search.delta, hit, config.k))
        if progress is not None:
            progress(1)
    return per_radius, cosines


register_experiment(PatchExperiment())
