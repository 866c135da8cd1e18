"""Two-layer networks f(W, x) = m^{-1/2} sum_r a_r sigma(w_r . x) in the NTK parametrisation, batched over seeds
(W: (S, m, d), a: (S, m)), with hand-written gradients in x and W, and the linearised model at W_0.

The initialisation is antisymmetric (w_{r + m/2} = w_r, a_{r + m/2} = -a_r), so f(W_0, .) = 0 exactly; a narrower
network is a prefix of each half of a wider one, so a width sweep is paired (``TwoLayer.prefix``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from numerics.random import Draws


def _softplus(z: torch.Tensor, order: int) -> torch.Tensor:
    if order == 0:
        return torch.nn.functional.softplus(z)
    s = torch.sigmoid(z)
    return s if order == 1 else s * (1 - s)


def _tanh(z: torch.Tensor, order: int) -> torch.Tensor:
    t = torch.tanh(z)
    return t if order == 0 else 1 - t * t if order == 1 else -2 * t * (1 - t * t)


#: sigma (order 0), sigma' (1) and sigma'' (2) of ``theory.papers.ntk_convergence.bounds.ACTIVATIONS`` in
#: stable torch form (a test checks them against the SymPy expressions)
ACTIVATIONS = {"softplus": _softplus, "tanh": _tanh}


def logistic(u: torch.Tensor) -> torch.Tensor:
    """log(1 + e^{-u}) (``bounds.LOGISTIC``), stable for large |u|."""
    return torch.nn.functional.softplus(-u)


def logistic_slope(u: torch.Tensor) -> torch.Tensor:
    """d/du log(1 + e^{-u}) = -1 / (1 + e^u)."""
    return -torch.sigmoid(-u)


@dataclass
class TwoLayer:
    """A batch of S two-layer networks at initialisation W_0 (the trained weights W are passed to each call)."""

    W0: torch.Tensor  # (S, m, d)
    a: torch.Tensor  # (S, m), entries +-1
    activation: str = "softplus"

    @classmethod
    def init(cls, seeds: int, width: int, d: int, draws: Draws, activation: str = "softplus") -> "TwoLayer":
        if width < 2 or width % 2:
            raise ValueError(f"the antisymmetric initialisation needs an even width >= 2, got {width}")
        half = draws.child("W").standard_normal((seeds, width // 2, d))
        signs = draws.child("a").signs((seeds, width // 2))
        return cls(torch.cat([half, half], 1), torch.cat([signs, -signs], 1), activation)

    @property
    def width(self) -> int:
        return self.W0.shape[1]

    def to(self, dtype: torch.dtype) -> "TwoLayer":
        """The same networks in another precision (W_0 and a rounded)."""
        return TwoLayer(self.W0.to(dtype), self.a.to(dtype), self.activation)

    def prefix(self, width: int) -> "TwoLayer":
        """The width-``width`` network made of the first width/2 neurons of each half (the same draws)."""
        half, new = self.width // 2, width // 2
        if width % 2 or not 0 < new <= half:
            raise ValueError(f"a prefix width must be even and at most {self.width}, got {width}")
        keep = torch.cat([torch.arange(new), half + torch.arange(new)]).to(self.W0.device)
        return TwoLayer(self.W0[:, keep], self.a[:, keep], self.activation)

    def _act(self, W: torch.Tensor, x: torch.Tensor, order: int) -> torch.Tensor:
        """sigma^(order)(w_r . x): (S, n, m)."""
        return ACTIVATIONS[self.activation](torch.bmm(x, W.transpose(1, 2)), order)

    def output(self, W: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """f(W, x) for x (S, n, d): (S, n)."""
        return torch.bmm(self._act(W, x, 0), self.a[..., None])[..., 0] / math.sqrt(self.width)

    def input_grad(self, W: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """grad_x f(W, x): (S, n, d)."""
        return torch.bmm(self._act(W, x, 1) * self.a[:, None, :], W) / math.sqrt(self.width)

    def weight_grad(self, W: torch.Tensor, x: torch.Tensor, coeff: torch.Tensor) -> torch.Tensor:
        """sum_i coeff_i grad_W f(W, x_i): (S, m, d)."""
        weights = self._act(W, x, 1) * coeff[..., None] * self.a[:, None, :]  # (S, n, m)
        return torch.bmm(weights.transpose(1, 2), x) / math.sqrt(self.width)

    def linearised_output(self, W: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """f(W_0, x) + <grad_W f(W_0, x), W - W_0>: (S, n)."""
        sigma, slope = self._act(self.W0, x, 0), self._act(self.W0, x, 1)
        moved = torch.bmm(x, (W - self.W0).transpose(1, 2))  # (S, n, m): (w_r - w_r(0)) . x
        return torch.einsum("snm,sm->sn", sigma + slope * moved, self.a) / math.sqrt(self.width)

    def linearised_input_grad(self, W: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """grad_x of the linearised model: m^{-1/2} sum_r a_r (sigma'(z_r) w_r(0) + sigma''(z_r) (Dw_r . x) w_r(0)
        + sigma'(z_r) Dw_r), z_r = w_r(0) . x."""
        slope, curvature = self._act(self.W0, x, 1), self._act(self.W0, x, 2)
        Delta = W - self.W0
        moved = torch.bmm(x, Delta.transpose(1, 2))
        scale = self.a[:, None, :] / math.sqrt(self.width)
        return torch.bmm((slope + curvature * moved) * scale, self.W0) + torch.bmm(slope * scale, Delta)

    def linearised_weight_grad(self, x: torch.Tensor, coeff: torch.Tensor) -> torch.Tensor:
        """sum_i coeff_i grad_W f_lin(W, x_i) = the gradient of f at W_0 (the linearised model's features)."""
        return self.weight_grad(self.W0, x, coeff)
