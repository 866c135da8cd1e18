"""The patch data of R-inf (shared/papers/seed002.md, section 1.2): a sparse robust feature u_y = e_y in one patch,
a dense non-robust feature v_y (a Sylvester-Hadamard row over the D dense coordinates) in every patch.

The network sums over patches, so their order is immaterial and identical patches can be stored once with a
count.  Without noise (sigma_xi = 0) an input has two distinct patches: the signal patch alpha u_y + beta v_y and
beta v_y, P - 1 times.  No attack loses anything by moving the P - 1 copies alike: for a target class y' the margin
F_y - F_{y'} is a sum of one function per patch, so the worst case over the ball moves identical patches to the
same optimum, and the worst case over targets is the worst of those.  Storing (Q distinct patches, counts) is then
exact for training, and an attack searching perturbations that move copies alike (PGD with one random start per
distinct patch, the closed forms) searches a set that contains the worst case; it is about P / 2 times cheaper.
With noise Q = P and every count is 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from numerics.random import Draws


def hadamard(D: int) -> np.ndarray:
    """The D x D Sylvester-Hadamard matrix (entries +-1; D a power of 2)."""
    H = np.ones((1, 1))
    while H.shape[0] < D:
        H = np.block([[H, H], [H, -H]])
    return H


def features(k: int, D: int) -> tuple[np.ndarray, np.ndarray]:
    """(U, V), each (k, k + D), orthonormal rows: u_j = e_j; v_j = (0_k, h_{j+1} / sqrt(D)) (row 0, the all-ones
    row, is skipped so that every v_j has mean zero)."""
    U = np.zeros((k, k + D))
    U[:, :k] = np.eye(k)
    V = np.zeros((k, k + D))
    V[:, k:] = hadamard(D)[1:k + 1] / np.sqrt(D)
    return U, V


@dataclass
class Patches:
    """One dataset per seed: distinct patches X (S, n, Q, d) (the signal patch first), their counts (Q,), labels
    y (S, n)."""

    X: torch.Tensor
    counts: torch.Tensor
    y: torch.Tensor


def draw_patches(seeds: int, n: int, P: int, U: torch.Tensor, V: torch.Tensor, alpha: float, beta: float,
                 sigma_xi: float, draws: Draws) -> Patches:
    """x_p = beta v_y + xi_p for every patch, plus alpha u_y in the signal patch; xi ~ N(0, sigma_xi^2 / d I).
    Drawn portably (the same data on every device), in U's dtype on U's device."""
    k, d = U.shape
    y = draws.child("labels").integers(0, k, (seeds, n), portable=True).to(U.device)
    Q = P if sigma_xi > 0 else min(P, 2)
    X = (beta * V[y])[:, :, None, :].expand(seeds, n, Q, d).clone()
    X[:, :, 0] += alpha * U[y]
    if sigma_xi > 0:
        X += sigma_xi / np.sqrt(d) * draws.child("noise").standard_normal((seeds, n, Q, d), portable=True).to(X)
    counts = torch.ones(Q, dtype=U.dtype, device=U.device)
    counts[1:] = (P - 1) / (Q - 1) if Q > 1 else 0
    return Patches(X, counts, y)
