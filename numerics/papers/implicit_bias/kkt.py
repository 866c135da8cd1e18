"""How far the normalised parameters of a homogeneous net are from a KKT point of the adversarial margin problem
min ||theta||^2 / 2  s.t.  q_i(theta) = y_i f(x_i + delta_i(theta); theta) >= 1   (Theorem B, reconstructed).

The residual is  min_{lambda >= 0} ||theta - sum_{i active} lambda_i g_i|| / ||theta||  (scipy's NNLS), with g_i
the gradient of y_i f(x_i + delta_i; theta) at the perturbation held fixed (Algorithm 1's gradient, the element
of the subdifferential the theorem's flow uses), over the constraints within ``ACTIVE`` of the smallest margin.
It needs no rescaling to min_i q_i = 1: q is L-homogeneous (the perturbation is scale invariant), so rescaling
theta multiplies the g_i by a power of the scale that lambda absorbs, and the active set is a ratio to min q.
The active set matters: without complementary slackness every twin problem passes too (the
digest's pitfall 5).  For l_inf perturbations the sign of delta_ij is set-valued where d f / d x_j is about 0, so
the relaxed residual adds the gradients of every sign choice there (the convex hull of the one-sided gradients).
"""
from __future__ import annotations

import itertools

import numpy as np
import torch
from scipy.optimize import nnls

from numerics.papers.implicit_bias.models import NORM_OF, Relu2, perturb

ACTIVE = 1.05  # constraints with q_i <= ACTIVE * min q count as active
KAPPA = 0.05  # a coordinate with |d f/d x_j| <= KAPPA max_j |d f/d x_j| has an ambiguous l_inf sign
MAX_AMBIGUOUS = 4  # at most this many ambiguous coordinates per point (2^4 sign choices)


def model_of(theta: np.ndarray, width: int, dim: int) -> Relu2:
    """The relu^2 nets of flattened (B, m + m d) parameters (copied: a sample's arrays may be read-only)."""
    theta = torch.tensor(theta, dtype=torch.float64)
    return Relu2(theta[:, :width], theta[:, width:].reshape(-1, width, dim))


def residuals(theta: np.ndarray, X: np.ndarray, y: np.ndarray, eps: float, attack: str, width: int,
              pgd_steps: int = 5, relaxed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(KKT residual, min margin) per run for (B, P) parameters on (B, n, d) data; the residual is NaN where
    some adversarial point is misclassified (min q <= 0: the theorem's precondition has not been reached)."""
    X, y = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    B, n, dim = X.shape
    model = model_of(theta, width, dim)
    delta = perturb(model.input_grad, X, y, torch.full((B,), float(eps), dtype=torch.float64), attack,
                    steps=pgd_steps)
    points = X + delta
    q = y * model(points)
    grads = y[..., None] * model.per_point_grads(points)
    flat = model.flat()
    out = np.full(B, np.nan)
    q_min = q.min(-1).values
    for b in range(B):
        if not q_min[b] > 0:
            continue
        active = torch.nonzero(q[b] <= ACTIVE * q_min[b]).ravel()
        columns = [grads[b, active]]
        if relaxed and NORM_OF[attack] == float("inf"):
            columns.append(_sign_choices(model, b, X[b], y[b], delta[b], points[b], active, eps, attack))
        A = torch.cat(columns).T.numpy()
        target = flat[b].numpy()
        _, rnorm = nnls(A, target, maxiter=50 * A.shape[1])
        out[b] = rnorm / np.linalg.norm(target)
    return out, q_min.numpy()


def _sign_choices(model: Relu2, b: int, X, y, delta, points, active, eps: float, attack: str) -> torch.Tensor:
    """y grad_theta f at the active points with each ambiguous coordinate of delta set to +eps and -eps."""
    one = Relu2(model.a[b:b + 1], model.W[b:b + 1])
    where = X if attack == "fgsm" else points  # the point whose input gradient set the signs
    g = one.input_grad(where[None])[0]
    extra = []
    for i in active.tolist():
        size = g[i].abs()
        small = torch.nonzero(size <= KAPPA * size.max()).ravel()
        small = small[size[small].argsort()][:MAX_AMBIGUOUS]
        for signs in itertools.product((-1.0, 1.0), repeat=len(small)):
            moved = delta[i].clone()
            moved[small] = torch.tensor(signs, dtype=torch.float64) * eps
            extra.append(X[i] + moved)
            extra.append(y[i:i + 1])
    if not extra:
        return torch.empty(0, model.flat().shape[1], dtype=torch.float64)
    moved_points = torch.stack(extra[0::2])
    labels = torch.cat(extra[1::2])
    return labels[:, None] * one.per_point_grads(moved_points[None])[0]
