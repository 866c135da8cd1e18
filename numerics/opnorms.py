"""||A||_{p->q} for batches of matrices A (..., K, d), all nine (p, q) in {1, 2, oo}^2.

Closed forms where they exist:  (1, q) max column q-norm;  (p, oo) max row p*-norm;  (2, 2) top singular value.
The rest are maxima of a convex function over a polytope's vertices:
  (oo, q): max over s in {+-1}^d of ||A s||_q;     (p, 1): max over s in {+-1}^K of ||A^T s||_{p*};
exact by enumeration when the enumerated side has at most ``max_vertices`` vertices (sign vectors up to a
global sign), otherwise a certified sandwich: the lower end from random-restart sign iterations (every sign
vector gives a valid lower bound), the upper end from norm inequalities.  The result says which it is.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import torch

from numerics.orders import INF, ORDERS, PAIRS, dual, norm_order  # noqa: F401  (re-exported)
from numerics.random import Draws


@dataclass(frozen=True)
class OpNorm:
    """||A||_{p->q} lies in [low, high]; ``exact`` when they coincide by construction."""

    low: torch.Tensor
    high: torch.Tensor
    exact: bool
    method: str

    @property
    def value(self) -> torch.Tensor:
        """The exact value (exact results only)."""
        if not self.exact:
            raise ValueError(f"this norm is a sandwich ({self.method}); use low and high")
        return self.low



def vector_norm(x: torch.Tensor, r: float, dim: int = -1) -> torch.Tensor:
    return torch.linalg.vector_norm(x, ord=r, dim=dim)


def sign_vertices(n: int, dtype: torch.dtype, device) -> torch.Tensor:
    """All 2^(n-1) sign vectors of {+-1}^n with first entry +1, as (2^(n-1), n)."""
    rows = list(itertools.product((1.0, -1.0), repeat=n - 1))
    return torch.cat([torch.ones(len(rows), 1), torch.tensor(rows).reshape(len(rows), n - 1)], dim=1).to(
        dtype=dtype, device=device)


def _max_over_signs(M: torch.Tensor, r: float, chunk: int = 4096) -> torch.Tensor:
    """max over s in {+-1}^n of ||M s||_r for M (..., m, n), by enumeration in chunks of vertices.

    The r-norms are reduced over the short m axis elementwise (sum of |.|, of squares with the root taken after
    the maximum, or the largest |.|): a generic norm over that strided axis cost 3-5x as much.
    """
    n = M.shape[-1]
    vertices = sign_vertices(n, M.dtype, M.device)
    best = torch.full(M.shape[:-2], -INF, dtype=M.dtype, device=M.device)
    for start in range(0, vertices.shape[0], chunk):
        images = M @ vertices[start:start + chunk].T  # (..., m, chunk)
        if r == 1:
            largest = images.abs().sum(dim=-2).amax(dim=-1)
        elif r == 2:
            largest = images.square().sum(dim=-2).amax(dim=-1).sqrt()
        else:  # r = oo (orders are 1, 2, oo)
            largest = images.abs().amax(dim=(-2, -1))
        best = torch.maximum(best, largest)
    return best


def _sign_search(M: torch.Tensor, r: float, restarts: int, iterations: int, draws: Draws) -> torch.Tensor:
    """Lower bound of max_{s in {+-1}^n} ||M s||_r by sign (power-like) iterations from random starts.

    Each step moves s to the vertex maximising the linearisation <grad ||M s||_r, .>, which never decreases a
    convex objective; any s reached gives a valid lower bound.
    """
    shape = (*M.shape[:-2], restarts, M.shape[-1])
    s = draws.signs(shape, M.dtype)
    Mr = M.unsqueeze(-3)  # (..., 1, m, n)
    best = torch.zeros(M.shape[:-2], dtype=M.dtype, device=M.device)
    for _ in range(iterations):
        y = (Mr @ s.unsqueeze(-1))[..., 0]  # (..., restarts, m)
        best = torch.maximum(best, vector_norm(y, r).amax(dim=-1))
        if r == INF:
            grad_y = torch.zeros_like(y).scatter_(-1, y.abs().argmax(-1, keepdim=True), 1.0) * torch.sign(y)
        elif r == 2:
            grad_y = y
        else:
            grad_y = torch.sign(y)
        s = torch.sign((Mr.transpose(-1, -2) @ grad_y.unsqueeze(-1))[..., 0])
        s[s == 0] = 1
    return best


def opnorm(A: torch.Tensor, p, q, max_vertices: int = 2**16, restarts: int = 32, iterations: int = 30,
           draws: Draws | None = None) -> OpNorm:
    """||A||_{p->q} for A of shape (..., K, d); ``draws`` seeds the sign search where enumeration is too large."""
    p, q = norm_order(p), norm_order(q)
    if A.dim() < 2:
        raise ValueError(f"A must have shape (..., K, d), got {tuple(A.shape)}")
    K, d = A.shape[-2:]
    if p == 1:
        return _exact(vector_norm(A, q, dim=-2).amax(dim=-1), "max column norm")
    if q == INF:
        return _exact(vector_norm(A, dual(p), dim=-1).amax(dim=-1), "max row norm")
    if p == 2 and q == 2:
        return _exact(torch.linalg.matrix_norm(A, ord=2), "top singular value")
    if K == 1:  # a row a: sup |a.x| / ||x||_p is the dual norm of a, whatever q
        return _exact(vector_norm(A[..., 0, :], dual(p)), "dual norm of the one row")
    # (oo, 1) can enumerate either side; (oo, 2) only d; (2, 1) only K
    sides = {"d": (A, q)} if p == INF else {}
    if q == 1:
        sides["K"] = (A.transpose(-1, -2), dual(p))
    side, (M, r) = min(sides.items(), key=lambda item: item[1][0].shape[-1])
    if 2 ** (M.shape[-1] - 1) <= max_vertices:
        return _exact(_max_over_signs(M, r), f"enumeration of 2^{M.shape[-1] - 1} sign vectors ({side} side)")
    if draws is None:
        raise ValueError(f"||A||_{p}->{q} at K={K}, d={d} needs a sign search: pass draws= for its random starts")
    low = _sign_search(M, r, restarts, iterations, draws)
    return OpNorm(low, torch.maximum(low, _upper(A, p, q)), False, "sign search / norm-inequality sandwich")


def searched(p, q, K: int, d: int, max_vertices: int = 2**16) -> bool:
    """Whether ``opnorm`` needs its random sign search at this pair and shape (no closed form, and too many
    sign vectors to enumerate): then its value depends on the random starts it is given."""
    p, q = norm_order(p), norm_order(q)
    if p == 1 or q == INF or (p == 2 and q == 2) or K == 1:
        return False
    sides = ([d] if p == INF else []) + ([K] if q == 1 else [])
    return 2 ** (min(sides) - 1) > max_vertices


def _exact(value: torch.Tensor, method: str) -> OpNorm:
    return OpNorm(value, value, True, method)


def _upper(A: torch.Tensor, p: float, q: float) -> torch.Tensor:
    """Norm-inequality upper bounds for the pairs without a closed form."""
    K, d = A.shape[-2:]
    spectral = torch.linalg.matrix_norm(A, ord=2)
    columns_l2 = vector_norm(A, 2, dim=-2).sum(-1)  # ||A x||_2 <= sum_j |x_j| ||a_j||_2
    rows_l2 = vector_norm(A, 2, dim=-1).sum(-1)  # ||A x||_1 <= sum_i ||a_i||_2 ||x||_2
    if (p, q) == (INF, 2):
        return torch.minimum(math.sqrt(d) * spectral, columns_l2)
    if (p, q) == (2, 1):
        return torch.minimum(math.sqrt(K) * spectral, rows_l2)
    # (oo, 1)
    return torch.minimum(torch.minimum(math.sqrt(K * d) * spectral, A.abs().sum((-1, -2))),
                         torch.minimum(math.sqrt(K) * columns_l2, math.sqrt(d) * rows_l2))
