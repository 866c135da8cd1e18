"""Tiny settings for every experiment of every paper: whole runs in seconds, for tests of the machinery (devices,
executors, determinism, the paper's K = 1 shape), not of the mathematics."""
from __future__ import annotations

TINY = {
    "networks": 6, "N": 16, "d": 4, "K": 3, "L": 2,
    "norms.networks": 4, "norms.inputs": 3, "norms.pgd_networks": 2, "norms.pgd_steps": 2, "norms.pgd_restarts": 2,
    "norms.reference_matrices": 20, "norms.d": 4, "norms.K": 2,
    "gaussian.matrices": 20, "gaussian.seed_shapes": "[[2, 2], [2, 3]]",
    "dynamics.networks": 3, "dynamics.N": 16, "dynamics.d": 4, "dynamics.inputs": 3, "dynamics.horizon": 2,
    "dynamics.map_widths": "16", "dynamics.map_etas": "0.01", "dynamics.regimes": "population",
    "dynamics.widths": "8,16", "dynamics.beta_dims": "4,6", "dynamics.depths": "2,4", "dynamics.train_steps": 2,
    "dynamics.clean_steps": 2, "dynamics.rate_steps": 1,
    "figures.networks": 3, "figures.N": 16, "figures.d": 4, "figures.K": 3, "figures.depth_K": 2,
    "figures.depths": "1,2", "figures.widths": "8,16",
    "deep_linear.seeds": 2, "deep_linear.n": 6, "deep_linear.d": 3, "deep_linear.sparse_n": 6,
    "deep_linear.sparse_d": 4, "deep_linear.l2_steps": 3, "deep_linear.linf_steps": 3, "deep_linear.rate_steps": 3,
    "deep_linear.checkpoints": 2, "homogeneous.seeds": 2, "homogeneous.n": 6, "homogeneous.d": 3,
    "homogeneous.width": 3, "homogeneous.steps": 3, "homogeneous.checkpoints": 2,
    "linearisation.seeds": 2, "linearisation.widths": "8,16", "linearisation.inputs": 2,
    "linearisation.ascent_steps": 1, "regret.seeds": 2, "regret.n": 4, "regret.width": 8, "regret.horizons": "2,4",
    "regret.comparator_steps": 2, "training.seeds": 2, "training.n": 4, "training.steps": 2, "training.widths": "8,16",
    "training.weak_widths": "8,16", "training.lazy_widths": "8,16", "training.lazy_steps": 2,
    "training.eval_steps": 1, "training.eval_restarts": 1, "capacity.dims": "3,4", "capacity.patterns": 2,
    "capacity.widths": "1,2", "capacity.steps": 2, "capacity.eval_steps": 1, "capacity.eval_restarts": 1,
    "patches.seeds": 2, "patches.n_train": 8, "patches.n_test": 6, "patches.steps": 3, "patches.pgd_steps": 2,
    "patches.pgd_restarts": 1, "patches.m": 4, "patches.eps_scales": "1.0",
}
