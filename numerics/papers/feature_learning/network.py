"""The two-layer smoothed-ReLU CNN F_j(X) = sum_r sum_p sReLU(<w_{j,r}, x_p>), batched over seeds: one batched
matmul of (S, n Q, d) by (S, d, k m) per pass, with the gradients in W and in X written out (cross-entropy loss).
Inputs are distinct patches with counts (``data.Patches``)."""
from __future__ import annotations

from dataclasses import dataclass

import torch


def smooth_relu(z: torch.Tensor, q: int, rho: float) -> torch.Tensor:
    """``theory.papers.feature_learning.model.SMOOTH_RELU`` (a test checks it against the SymPy expression)."""
    positive = z.clamp(min=0)
    low = positive.clamp(max=rho)
    return low ** q / (q * rho ** (q - 1)) + (positive - low)


def smooth_relu_slope(z: torch.Tensor, q: int, rho: float) -> torch.Tensor:
    """``model.SMOOTH_RELU_SLOPE``: (z_+ / rho)^(q-1) below rho, 1 above."""
    return (z.clamp(min=0, max=rho) / rho) ** (q - 1)


@dataclass(frozen=True)
class PatchCNN:
    """Shape and activation of the network; weights W (S, k m, d) are passed in (neuron j m + r is class j's r-th)."""

    k: int
    m: int
    q: int
    rho: float

    def _pre(self, W: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
        S, n, Q, d = X.shape
        return torch.bmm(X.reshape(S, n * Q, d), W.transpose(1, 2))  # (S, n Q, k m)

    def forward(self, W: torch.Tensor, X: torch.Tensor, counts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The pre-activations Z (S, n Q, k m) and the logits F (S, n, k) for distinct patches X (S, n, Q, d) with
        counts (Q,): a search that reads the logits and then steps along the gradient at the same point passes
        them on to ``loss_grads`` instead of computing them twice."""
        S, n, Q, _ = X.shape
        Z = self._pre(W, X)
        act = smooth_relu(Z, self.q, self.rho).reshape(S, n, Q, self.k, self.m).sum(-1)
        return Z, torch.einsum("snqk,q->snk", act, counts)

    def logits(self, W: torch.Tensor, X: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
        """F (S, n, k) for distinct patches X (S, n, Q, d) with counts (Q,)."""
        return self.forward(W, X, counts)[1]

    def loss_grads(self, W: torch.Tensor, X: torch.Tensor, counts: torch.Tensor, y: torch.Tensor,
                   weights: bool = True, inputs: bool = False,
                   forward: tuple[torch.Tensor, torch.Tensor] | None = None
                   ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """Per-seed mean cross-entropy (S,), its gradient in W (S, k m, d), and/or its gradient in one copy of each
        distinct patch (S, n, Q, d); ``forward``: this point's ``forward(W, X, counts)``, when already computed."""
        S, n, Q, d = X.shape
        Z, F = forward if forward is not None else self.forward(W, X, counts)
        logp = torch.log_softmax(F, -1)
        loss = -logp.gather(-1, y[..., None])[..., 0].mean(-1)
        dF = (logp.exp() - torch.nn.functional.one_hot(y, self.k).to(F.dtype)) / n  # (S, n, k)
        dZ = (smooth_relu_slope(Z, self.q, self.rho).reshape(S, n, Q, self.k, self.m)
              * dF[:, :, None, :, None])  # per copy
        dW = dX = None
        if weights:
            weighted = (dZ * counts[:, None, None]).reshape(S, n * Q, self.k * self.m)
            dW = torch.bmm(weighted.transpose(1, 2), X.reshape(S, n * Q, d))
        if inputs:
            dX = torch.bmm(dZ.reshape(S, n * Q, self.k * self.m), W).reshape(S, n, Q, d)
        return loss, dW, dX
