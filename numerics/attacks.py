"""Batched PGD maximising ||f(x + eta) - f(x)||_q over the l_p ball of radius eps, p in {1, 2, oo}.

The step follows the steepest-ascent direction of the l_p geometry (the maximiser of <grad, v> over the unit
l_p ball: grad/||grad||_2 for p = 2, sign(grad) for p = oo, the signed coordinate of largest |grad| for p = 1),
then projects back: radial for l2, clamping for l_oo, the sort-based projection of Duchi et al. (2008) for l1.
Steps are full jumps across the ball for the first three quarters (on a convex objective such as a linear map
this is the conditional-gradient step, which never decreases the loss; for p = q = 2 it is the power method),
then shrink linearly for local refinement.  For p = 1 the restarts start on the ball's vertices +-eps e_j,
cycling over the coordinates, where a convex objective over the l1 ball attains its maximum.

Restarts run in parallel and are multi-targeted: during the first half of the steps restart r > 0 maximises a
fixed linear functional <c_r, f(x + eta) - f(x)> (c_r = +-e_i for q = oo, cycling over the K outputs; random
signs for q = 1; a random direction for q = 2), which spreads the restarts over the vertices where a convex
objective has its local maxima; every restart then climbs the true objective.  Restart 0 climbs the true
objective throughout.  The best restart per input is kept: a lower estimate of L_adv.

``pgd_many`` runs several searches (``Search``: their own p, q, eps and restarts) on the same inputs at once: their
restarts share every forward and backward pass of f, which on a batch of wide networks costs reading all the
weights for only a few points, while each search keeps its own starts, targets, steps and projection (the same
numbers as run alone, up to the rounding of larger matrix products).  ``pgd`` is the one-search case.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from numerics.opnorms import norm_order, vector_norm
from numerics.random import Draws


@dataclass(frozen=True)
class AttackResult:
    value: torch.Tensor  # (B,) best ||f(x + eta) - f(x)||_q found
    eta: torch.Tensor  # (B, d) the perturbation achieving it
    restarts: int
    steps: int
    history: torch.Tensor  # (steps + 1, B) best value so far, after each step


def project_l1(v: torch.Tensor, radius: float) -> torch.Tensor:
    """Euclidean projection of each row of v (..., d) onto the l1 ball of ``radius`` (sort-based, exact)."""
    abs_v = v.abs()
    inside = abs_v.sum(-1, keepdim=True) <= radius
    mu, _ = abs_v.sort(dim=-1, descending=True)
    cumulative = mu.cumsum(-1) - radius
    ks = torch.arange(1, v.shape[-1] + 1, dtype=v.dtype, device=v.device)
    rho = ((mu - cumulative / ks) > 0).sum(-1, keepdim=True).clamp(min=1)
    theta = cumulative.gather(-1, rho - 1) / rho.to(v.dtype)
    projected = torch.sign(v) * (abs_v - theta).clamp(min=0)
    return torch.where(inside, v, projected)


def project(eta: torch.Tensor, p: float, eps: float) -> torch.Tensor:
    if p == 2:
        return eta * (eps / vector_norm(eta, 2).clamp(min=eps)).unsqueeze(-1)
    if p == math.inf:
        return eta.clamp(-eps, eps)
    return project_l1(eta, eps)


def steepest_direction(grad: torch.Tensor, p: float) -> torch.Tensor:
    """argmax of <grad, v> over the unit l_p ball (ties broken arbitrarily; 0 for a zero gradient).  The norm is
    kept from 0 by the dtype's smallest normal number (a float literal such as 1e-300 is 0 in float32)."""
    if p == 2:
        return grad / vector_norm(grad, 2).clamp(min=torch.finfo(grad.dtype).tiny).unsqueeze(-1)
    if p == math.inf:
        return torch.sign(grad)
    index = grad.abs().argmax(dim=-1, keepdim=True)
    return torch.zeros_like(grad).scatter_(-1, index, 1.0) * torch.sign(grad)


def random_in_ball(shape: tuple[int, ...], p: float, eps: float, draws: Draws, dtype: torch.dtype) -> torch.Tensor:
    """Random starting points inside the l_p ball (a random direction scaled to a random radius)."""
    direction = draws.standard_normal(shape, dtype)
    if p == 1:
        direction = torch.sign(direction) * draws.exponential(shape, dtype)
    direction = direction / vector_norm(direction, p).clamp(min=torch.finfo(dtype).tiny).unsqueeze(-1)
    radius = draws.uniform(shape[:-1], dtype).unsqueeze(-1)
    return direction * radius * eps


def _targets(q: float, restarts: int, K: int, draws: Draws, dtype: torch.dtype) -> torch.Tensor:
    """Linear functionals c_r in the unit q* ball, one per restart (rows), for the targeted phase."""
    if q == math.inf:
        index = torch.arange(restarts, device=draws.device) % K
        sign = 1 - 2 * ((torch.arange(restarts, device=draws.device) // K) % 2)
        return torch.nn.functional.one_hot(index, K).to(dtype) * sign[:, None].to(dtype)
    c = draws.standard_normal((restarts, K), dtype)
    return torch.sign(c) if q == 1 else c / vector_norm(c, 2).unsqueeze(-1)


def _starts(B: int, restarts: int, d: int, p: float, eps: float, draws: Draws, dtype: torch.dtype) -> torch.Tensor:
    """The restarts' starting points (B, restarts, d): the vertices +-eps e_j for p = 1, random points otherwise."""
    if p == 1:
        signs = draws.signs(restarts, dtype)
        vertices = torch.nn.functional.one_hot(torch.arange(restarts, device=draws.device) % d, d).to(dtype)
        return (vertices * signs[:, None] * eps).expand(B, restarts, d).clone()
    return random_in_ball((B, restarts, d), p, eps, draws, dtype)


def _random_state(B: int, restarts: int, d: int, K: int, p: float, q: float, eps: float,
                  draws: Draws | Sequence[Draws], dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Starting points (B, restarts, d) and targets (B, restarts, K), from one stream for the batch or from one
    stream per group of consecutive problems (per problem, or per network for its inputs: then a group's search
    does not depend on the batch it is solved in)."""
    if isinstance(draws, Draws):
        return _starts(B, restarts, d, p, eps, draws, dtype), _targets(q, restarts, K, draws, dtype).expand(B, -1, -1)
    if not draws or B % len(draws):
        raise ValueError(f"draws must be one stream or one per group of problems (a divisor of {B}), got "
                         f"{len(draws)}")
    rows = [_random_state(B // len(draws), restarts, d, K, p, q, eps, one, dtype) for one in draws]
    return torch.cat([row[0] for row in rows]), torch.cat([row[1] for row in rows])


@dataclass(frozen=True)
class Search:
    """One maximisation of ||f(x + eta) - f(x)||_q over ||eta||_p <= eps with ``restarts`` parallel restarts
    (orders as ``norm_order`` reads them: 1, 2, oo)."""

    p: float
    q: float
    eps: float
    restarts: int = 16

    def __post_init__(self) -> None:
        object.__setattr__(self, "p", norm_order(self.p))
        object.__setattr__(self, "q", norm_order(self.q))
        if self.eps <= 0:
            raise ValueError(f"eps must be > 0, got {self.eps}")
        if self.restarts < 1:
            raise ValueError(f"restarts must be >= 1, got {self.restarts}")


class _Climb:
    """One search's state in ``pgd_many``: its restarts' perturbations (B, restarts, d), targets and best so far."""

    def __init__(self, search: Search, eta: torch.Tensor, targets: torch.Tensor) -> None:
        self.search, self.eta, self.targets = search, eta, targets  # targets[:, 0] unused
        B, _, d = eta.shape
        self.best_value = torch.full((B,), -math.inf, dtype=eta.dtype, device=eta.device)
        self.best_eta = torch.zeros(B, d, dtype=eta.dtype, device=eta.device)
        self.history: list[torch.Tensor] = []

    def targeted(self, step: int, steps: int) -> bool:
        """Restarts r > 0 climb their fixed functional <c_r, .> during the first half of the steps."""
        return step < steps // 2 and self.search.restarts > 1

    def values(self, diff: torch.Tensor, targeted: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """The climbed objective (B, restarts) and the true one ||diff||_q, from one forward pass's diff."""
        true = vector_norm(diff, self.search.q)
        if not targeted:
            return true, true
        aimed = (diff[:, 1:] * self.targets[:, 1:]).sum(-1)
        return torch.cat([true[:, :1], aimed], dim=1), true

    def keep(self, values: torch.Tensor) -> None:
        """Keep the best restart per problem if it beats the best so far."""
        top, index = values.max(dim=1)
        better = top > self.best_value
        self.best_value = torch.where(better, top, self.best_value)
        chosen = self.eta[torch.arange(self.eta.shape[0], device=self.eta.device), index]
        self.best_eta = torch.where(better[:, None], chosen, self.best_eta)
        self.history.append(self.best_value.clone())

    def step(self, grad: torch.Tensor, step: int, steps: int) -> None:
        """Full jumps across the ball for three quarters of the steps, then linearly shrinking ones."""
        p, eps = self.search.p, self.search.eps
        refine = (step - 3 * steps // 4) / max(steps - 3 * steps // 4, 1)  # < 0 before the last quarter
        size = 2.0 * eps if refine < 0 else eps * max(0.5 * (1 - refine), 0.01)
        self.eta = project(self.eta + size * steepest_direction(grad, p), p, eps).detach()

    def result(self, steps: int) -> AttackResult:
        return AttackResult(self.best_value, self.best_eta, self.search.restarts, steps, torch.stack(self.history))


def pgd_many(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, searches: Sequence[Search],
             steps: int = 40, *, draws: Sequence[Draws | Sequence[Draws]]) -> list[AttackResult]:
    """Run several searches on the same B problems at once: one AttackResult per search.

    ``f`` maps (B, n, d) -> (B, n, K) with problem b using only row b and each point on its own (a NetworkBatch
    does), and ``x`` is (B, d) on the draws' device.  All searches' restarts go through f together (one forward
    and one backward pass per step, not one per search); ``draws`` has one entry per search, each what ``pgd``
    takes (one stream for the batch, or one per group of consecutive problems), so a search finds what it finds
    run alone from the same streams.
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if len(draws) != len(searches) or not searches:
        raise ValueError(f"draws must have one entry per search ({len(searches)}), got {len(draws)}")
    B, d = x.shape
    with torch.no_grad():
        base = f(x[:, None, :])  # (B, 1, K)
    climbs = [_Climb(search, *_random_state(B, search.restarts, d, base.shape[-1], search.p, search.q, search.eps,
                                            streams, x.dtype))
              for search, streams in zip(searches, draws)]
    sizes = [search.restarts for search in searches]

    def diffs(etas: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        """f(x + eta) - f(x) of every search's restarts, from one pass of f over all of them."""
        return (f(x[:, None, :] + torch.cat(list(etas), dim=1)) - base).split(sizes, dim=1)

    for step in range(steps):
        etas = [climb.eta.detach().requires_grad_(True) for climb in climbs]
        both = [climb.values(diff, climb.targeted(step, steps)) for climb, diff in zip(climbs, diffs(etas))]
        grads = torch.autograd.grad(sum(climbed.sum() for climbed, _ in both), etas)
        for climb, (_, true), grad in zip(climbs, both, grads):
            climb.keep(true.detach())
            climb.step(grad, step, steps)
    with torch.no_grad():
        for climb, diff in zip(climbs, diffs([climb.eta for climb in climbs])):
            climb.keep(climb.values(diff, False)[1])
    return [climb.result(steps) for climb in climbs]


def pgd(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, eps: float, p, q, steps: int = 40,
        restarts: int = 16, *, draws: Draws | Sequence[Draws]) -> AttackResult:
    """Maximise ||f(x + eta) - f(x)||_q over ||eta||_p <= eps for a batch of B problems (``pgd_many`` with one
    search).

    ``f`` maps (B, n, d) -> (B, n, K) with problem b using only row b (a NetworkBatch does), and ``x`` is (B, d)
    on the draws' device; the random starts and targets come from ``draws``: one stream for the batch, or one
    per group of consecutive problems (a divisor of B).
    """
    return pgd_many(f, x, [Search(p, q, eps, restarts)], steps, draws=[draws])[0]
