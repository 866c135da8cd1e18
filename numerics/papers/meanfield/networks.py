"""The papers' networks in torch, batched over B independent networks: every tensor has shape (B, ...).

Exactly as THEORY.md section 1: h_0 = P_in x; vanilla h_l = phi(W_l h_{l-1} + b_l); residual
h_l = h_{l-1} + phi(W_l h_{l-1} + b_l); f(x) = P_out h_L.  The slope D(z) = phi'(z) is lambdified from the
activation in ``theory.papers.meanfield.network``, so the torch model and the SymPy prediction share one definition.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp
import torch

from numerics.random import Draws
from theory.papers.meanfield.network import SLOPE, NetworkSpec
from theory.symbols import u, v, z


def _at_least(a: torch.Tensor, b) -> torch.Tensor:
    """1 where a >= b, else 0, in a's dtype, with no gradient (a slope is piecewise constant): one new tensor.

    Bool tensors have no vectorised CPU kernels: ``torch.ge`` and ``torch.where`` on them took 0.7 ms per
    (16, 64, 128) float32 pre-activation, more than that layer's matrix product; sign, add and clamp take 0.05."""
    a = a.detach()
    found = torch.sign(a) if isinstance(b, (int, float)) and b == 0 else torch.sub(a, b).sign_()
    return found.add_(1).clamp_(max=1)


def _select(indicator: torch.Tensor, a, b) -> torch.Tensor:
    """a where ``indicator`` is 1, b where it is 0, written over ``indicator`` (``_at_least``'s own tensor).

    indicator * M + b, with M > |a| + |b|, is b itself at 0 and beyond a at 1, so clamping it at a gives exactly a
    or b (mirrored when a < b).  In place, with no temporaries: per-operation temporaries of a float64 layer made
    glibc return and fault in their pages on every call, slower than torch.where."""
    if not all(isinstance(value, (int, float)) for value in (a, b)):  # a nested Piecewise: the general kernel
        return torch.where(indicator > 0, a, b)
    if b == 0 and a == 1:  # ReLU: the indicator is the slope
        return indicator
    big = 2 * (abs(a) + abs(b)) + 1
    if a >= b:
        return indicator.mul_(big).add_(b).clamp_(max=a)
    return indicator.mul_(-big).add_(b).clamp_(min=a)


@lru_cache(maxsize=None)
def _slope_fn():
    # SymPy prints the Piecewise as where(ge(z, 0), u, v): the same values from vectorised kernels
    return sp.lambdify((z, u, v), SLOPE, modules=[{"where": _select, "ge": _at_least}, "torch"])


def slope(pre: torch.Tensor, spec: NetworkSpec) -> torch.Tensor:
    """D = phi'(pre) elementwise (u where pre >= 0, v elsewhere)."""
    return _slope_fn()(pre, float(spec.u), float(spec.v))  # Python numbers: torch rounds them to pre's dtype


@dataclass
class NetworkBatch:
    """B random networks of one spec; P_in, P_out fixed random, W_l and b_l the trainable layers."""

    spec: NetworkSpec
    P_in: torch.Tensor  # (B, N, d), entries N(0, 1/d)
    W: torch.Tensor  # (B, L, N, N), entries N(0, sigma_w2/N)
    b: torch.Tensor  # (B, L, N), entries N(0, sigma_b2)
    P_out: torch.Tensor  # (B, K, N), entries N(0, 1/N)

    @property
    def B(self) -> int:
        return self.W.shape[0]

    def _inputs(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs as (B, n, d): x may be (d,), (n, d) shared by every network, or (B, n, d)."""
        x = x.to(dtype=self.W.dtype, device=self.W.device)
        if x.shape[-1] != self.spec.d:
            raise ValueError(f"inputs must have last dimension d={self.spec.d}, got shape {tuple(x.shape)}")
        if x.dim() == 1:
            x = x[None]
        if x.dim() == 2:
            x = x.expand(self.B, *x.shape)
        return x

    def forward_with_slopes(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """f(x) as (B, n, K) and the slope patterns D_l, each (B, n, N), layer 1 first."""
        h = self._inputs(x) @ self.P_in.transpose(-1, -2)
        slopes = []
        # unbind, not W[:, layer]: the gradient of L selections fills and adds L zero tensors of W's full size
        for W, b in zip(self.W.unbind(1), self.b.unbind(1)):
            pre = h @ W.transpose(-1, -2) + b[:, None, :]
            D = slope(pre, self.spec)
            slopes.append(D)
            h = D * pre if self.spec.arch == "vanilla" else h + D * pre
        return h @ self.P_out.transpose(-1, -2), slopes

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_slopes(x)[0]

    def float(self) -> "NetworkBatch":
        """A detached float32 copy: what a search or a training whose precision decides no verdict runs on."""
        return NetworkBatch(self.spec, *(t.detach().float() for t in (self.P_in, self.W, self.b, self.P_out)))


def sample_networks(spec: NetworkSpec, B: int, draws: Draws, dtype: torch.dtype = torch.float64,
                    first: int = 0) -> NetworkBatch:
    """Networks ``first`` .. ``first + B - 1`` of the stream ``draws``, on its device (weights never leave it).

    Network i is drawn from its own child stream ``network/<i>``, so a network does not depend on how many are
    drawn at once: a chunk size chosen from the memory budget, or a larger run, changes no network.  Gaussians
    are drawn in float32 (cast when ``dtype`` is float64: on a CPU ~7x faster than float64 draws, and rounding a
    draw to float32 changes its law by ~6e-8 relative, far below any interval here); all arithmetic then runs in
    ``dtype``.
    """
    if B < 1:
        raise ValueError(f"B (number of networks) must be >= 1, got {B}")
    s = spec
    layout = {"P_in": ((s.N, s.d), 1.0 / s.d), "W": ((s.L, s.N, s.N), s.sigma_w2 / s.N), "b": ((s.L, s.N), s.sigma_b2),
              "P_out": ((s.K, s.N), 1.0 / s.N)}
    tensors = {name: torch.empty((B, *shape), dtype=dtype, device=draws.device) for name, (shape, _) in layout.items()}
    for i in range(B):  # one stream per network; the draws themselves are whole tensors
        stream = draws.child(f"network/{first + i}")
        for name, (shape, variance) in layout.items():
            if dtype == torch.float32:
                stream.normal(math.sqrt(variance), shape, dtype=dtype, out=tensors[name][i])
            else:
                tensors[name][i] = stream.normal(math.sqrt(variance), shape, dtype=torch.float32)
    return NetworkBatch(spec=s, **tensors)
