"""Binary datasets for Lyu & Zhu's claims: the digest's generators, and a user's own file.

- ``gaussian``: linearly separable Gaussian points with a margin cut (Theorem A, l2);
- ``sparse``: one informative coordinate among noise, where the l2-SVM, the mixed-norm and the l1-SVM
  directions differ (Theorem A read for l_inf);
- ``xor``: labels sign(x_1 x_2), not linearly separable but separable by a bias-free homogeneous net (Theorem B);
- a ``.npz`` file with arrays ``X`` (n, d) and ``y`` (n,) in {-1, +1}, checked for separability by one LP.
Every draw is portable (host stream), so a CPU and a GPU run train on the same points.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

KINDS = ("gaussian", "sparse", "xor")


class DatasetError(ValueError):
    """A user's dataset that cannot be used (one sentence naming the problem)."""


def gaussian(n: int, d: int, draws, cut: float = 0.2) -> tuple[torch.Tensor, torch.Tensor]:
    """Gaussian points labelled by a random unit u: a pool scaled to max ||x|| = 1, the points with |u.x| > cut
    kept, and the n kept rescaled to max ||x_i|| = 1 (the digest's gamma of 0.24-0.30; cutting before the first
    scaling would leave gamma near 0.08)."""
    u = draws.standard_normal(d, portable=True)
    u = u / u.norm()
    kept = u.new_empty((0, d))
    while kept.shape[0] < n:
        X = draws.standard_normal((8 * n, d), portable=True)
        X = X / X.norm(dim=1).max()
        kept = torch.cat([kept, X[(X @ u).abs() > cut]])
    X = kept[:n]
    return X / X.norm(dim=1).max(), torch.sign(X @ u)


def sparse(n: int, d: int, draws, noise: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """y uniform +-1, x_1 = y U[0.3, 1], the other coordinates N(0, noise^2)."""
    y = draws.signs(n, portable=True)
    X = draws.normal(noise, (n, d), portable=True)
    X[:, 0] = y * (0.3 + 0.7 * draws.uniform(n, portable=True))
    return X, y


def xor(n: int, d: int, draws) -> tuple[torch.Tensor, torch.Tensor]:
    """x_1, x_2 = +-U[0.3, 1] with random signs, the rest U[-0.5, 0.5]; y = sign(x_1 x_2)."""
    X = draws.uniform((n, d), portable=True) - 0.5
    X[:, :2] = draws.signs((n, 2), portable=True) * (0.3 + 0.7 * draws.uniform((n, 2), portable=True))
    return X, torch.sign(X[:, 0] * X[:, 1])


GENERATORS = {"gaussian": gaussian, "sparse": sparse, "xor": xor}


def generate(kind: str, n: int, d: int, draws) -> tuple[torch.Tensor, torch.Tensor]:
    if kind not in GENERATORS:
        raise ValueError(f"unknown dataset {kind!r}; allowed: {', '.join(KINDS)}, or a .npz file")
    return GENERATORS[kind](n, d, draws)


def file_digest(path: str) -> str:
    """The first 16 hex digits of the file's SHA-256: a job's identity changes when the file does."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def load(path: str) -> tuple[np.ndarray, np.ndarray]:
    """X (n, d) and y (n,) from a .npz file, checked; a DatasetError says what is wrong in one sentence."""
    from numerics.papers.implicit_bias.references import separable

    file = Path(path)
    if not file.is_file():
        raise DatasetError(f"dataset {path!r} does not exist")
    try:
        with np.load(file, allow_pickle=False) as archive:
            if "X" not in archive or "y" not in archive:
                found = ", ".join(archive.files) or "none"
                raise DatasetError(f"dataset {path!r} needs arrays X and y, it has {found}")
            X, y = np.asarray(archive["X"]), np.asarray(archive["y"])
    except DatasetError:
        raise
    except Exception as err:  # np.load raises several types for a file that is not an .npz archive
        raise DatasetError(f"dataset {path!r} is not a readable .npz archive ({type(err).__name__})") from None
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[0] < 2 or X.shape[1] < 1:
        raise DatasetError(f"dataset {path!r}: X must be (n, d) and y (n,) with n >= 2, got {X.shape} and {y.shape}")
    if not all(np.issubdtype(a.dtype, np.number) and np.isrealobj(a) for a in (X, y)):
        raise DatasetError(f"dataset {path!r}: X and y must be real numbers, got {X.dtype} and {y.dtype}")
    X, y = X.astype(np.float64), y.astype(np.float64)
    if not np.all(np.isfinite(X)):
        raise DatasetError(f"dataset {path!r}: X has non-finite entries")
    if not np.all(np.isin(y, (-1.0, 1.0))) or len(np.unique(y)) < 2:
        raise DatasetError(f"dataset {path!r}: y must hold both labels -1 and +1 and nothing else")
    if not separable(X, y):
        raise DatasetError(f"dataset {path!r} is not linearly separable (by a hyperplane through 0), which "
                           "the deep-linear theorem assumes")
    return X, y
