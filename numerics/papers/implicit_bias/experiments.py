"""Lyu & Zhu's experiments: batched adversarial training runs, with their reference solutions, as samples.

- ``implicit_bias.deep_linear``: deep linear nets, every seed (its own dataset, reference solutions and
  initialisation) times every perturbation fraction in one batch (Theorem A, its l_inf reading, the comparison
  with clean training);
- ``implicit_bias.homogeneous``: two-layer relu^2 nets over seeds, one run per attack (Theorem B).
The references (l2-SVM, mixed-norm, l1-SVM, each solved twice) are computed in the job, so a sample carries
everything its estimators judge against.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from numerics.device import one_thread
from numerics.experiment import RunExperiment, register_experiment
from numerics.papers.implicit_bias import data as datasets
from numerics.papers.implicit_bias import references as refs
from numerics.papers.implicit_bias.models import DeepLinear, Relu2
from numerics.papers.implicit_bias.settings import (DEEP_LINEAR, HOMOGENEOUS, DeepLinearSettings,
                                                    BatchRun, HomogeneousRun, HomogeneousSettings, LinearRun)
from numerics.papers.implicit_bias.training import (Trace, checkpoint_steps, train_deep_linear,
                                                    train_relu2)


def _datasets(config, draws) -> tuple[np.ndarray, np.ndarray]:
    """(S, n, d) points and (S, n) labels: one generated dataset per seed, or the user's file for every seed,
    scaled to max ||x_i|| = 1 like the generated ones (directions, and perturbations given as fractions of the
    margin, do not depend on the scale; the step sizes do)."""
    if config.data in datasets.KINDS:
        pairs = [datasets.generate(config.data, config.n, config.d, draws.child(f"data{s}"))
                 for s in range(config.seeds)]
        return np.stack([X.cpu().numpy() for X, _ in pairs]), np.stack([y.cpu().numpy() for _, y in pairs])
    X, y = datasets.load(config.data)
    X = X / np.linalg.norm(X, axis=1).max()
    return np.repeat(X[None], config.seeds, 0), np.repeat(y[None], config.seeds, 0)


@dataclass
class LinearSample:
    """A deep-linear run: data, references and the trace of the S x E batch (run b = seed b // E, fraction
    b % E)."""

    config: LinearRun
    X: np.ndarray  # (S, n, d)
    y: np.ndarray  # (S, n)
    margin: np.ndarray  # (S,): gamma (l2 runs) or gamma_1 (l_inf runs), the unit of the fractions
    eps: np.ndarray  # (S, E) absolute perturbation sizes
    references: dict[str, list]  # name -> per seed Reference ("mixed_norm": per seed, per fraction)
    trace: Trace
    dims: tuple[int, ...]

    @property
    def units(self) -> int:
        return self.config.seeds


@dataclass
class HomogeneousSample:
    config: HomogeneousRun
    X: np.ndarray
    y: np.ndarray
    trace: Trace

    @property
    def units(self) -> int:
        return self.config.seeds


def linear_references(config: LinearRun, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, dict[str, list]]:
    """Per seed: the margin that sets the fractions' unit, and the reference directions the claims compare to."""
    found: dict[str, list] = {"l2_svm": [], "l1_svm": [], "mixed_norm": []}
    margins = []
    for Xs, ys in zip(X, y):
        l2, l1 = refs.l2_svm(Xs, ys), refs.l1_svm(Xs, ys)
        found["l2_svm"].append(l2)
        found["l1_svm"].append(l1)
        if config.attack == "fgsm":
            margins.append(l1.margin)
            # a failed l1-SVM leaves gamma_1 unknown: it stands in for the mixed references, so the claims say so
            found["mixed_norm"].append([l1 if not l1.ok else refs.mixed_norm(Xs, ys, f * l1.margin) if f > 0 else l2
                                        for f in config.fractions])
        else:
            margins.append(l2.margin)
    return np.asarray(margins), found


class TrainingRunExperiment(RunExperiment):
    """A run of this paper: its progress bar counts training steps."""

    def size(self, config: BatchRun, settings) -> int:
        return config.steps


class DeepLinearExperiment(TrainingRunExperiment):
    name = DEEP_LINEAR
    Settings = DeepLinearSettings

    def label(self, config, settings) -> str:
        return (f"deep linear L={config.L}, {config.attack}, eps/margin={list(config.fractions)}, {config.schedule} "
                f"steps, {config.seeds} seeds")

    def draw(self, config: LinearRun, settings, draws, progress=None) -> LinearSample:
        X, y = _datasets(config, draws)
        margin, found = linear_references(config, X, y)
        eps = margin[:, None] * np.asarray(config.fractions)[None, :]
        E = len(config.fractions)
        device = draws.device
        Xb = torch.as_tensor(np.repeat(X, E, 0), device=device)
        yb = torch.as_tensor(np.repeat(y, E, 0), device=device)
        dims = (X.shape[2],) * config.L + (1,)
        # one initialisation per seed, shared by its fractions: a clean and an adversarial run differ only there
        seeds = DeepLinear.init(config.seeds, list(dims), config.init, draws.child("init"))
        model = DeepLinear([layer.repeat_interleave(E, dim=0) for layer in seeds.layers])
        with one_thread():
            trace = train_deep_linear(model, Xb, yb, torch.as_tensor(eps.ravel(), device=device), config.attack,
                                      config.steps, config.eta, config.schedule,
                                      checkpoint_steps(config.steps, config.checkpoints), progress, config.anneal)
        return LinearSample(config, X, y, margin, eps, found, trace, dims)


class HomogeneousExperiment(TrainingRunExperiment):
    name = HOMOGENEOUS
    Settings = HomogeneousSettings
    design_param = "norm"

    def label(self, config, settings) -> str:
        return f"relu^2 net m={config.width}, {config.attack} eps={config.eps:g}, {config.seeds} seeds"

    def draw(self, config: HomogeneousRun, settings, draws, progress=None) -> HomogeneousSample:
        X, y = _datasets(config, draws)
        device = draws.device
        model = Relu2.init(config.seeds, config.width, X.shape[2], config.init, draws.child("init"))
        with one_thread():
            trace = train_relu2(model, torch.as_tensor(X, device=device), torch.as_tensor(y, device=device),
                                torch.full((config.seeds,), config.eps, dtype=torch.float64, device=device),
                                config.attack, config.steps, config.eta, config.schedule,
                                checkpoint_steps(config.steps, config.checkpoints), config.pgd_steps, progress,
                                config.anneal)
        return HomogeneousSample(config, X, y, trace)


register_experiment(DeepLinearExperiment())
register_experiment(HomogeneousExperiment())
