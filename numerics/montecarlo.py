"""Monte Carlo samples of (J(x), a(x)) over many random networks, chunked so memory stays bounded."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from numerics.jacobian import jacobian_and_bias
from numerics.networks import NetworkBatch, sample_networks
from theory.network import NetworkSpec


@dataclass(frozen=True)
class JacobianSample:
    """J and a of B independent networks at n fixed inputs (networks are the independent units)."""

    spec: NetworkSpec
    J: np.ndarray  # (B, n, K, d)
    a: np.ndarray  # (B, n, K)
    input_norms: tuple[float, ...]  # ||x_i|| of the n inputs
    seconds: float

    @property
    def B(self) -> int:
        return self.J.shape[0]

    @property
    def units(self) -> int:
        """Independent sampling units: networks."""
        return self.B


def auto_chunk(spec: NetworkSpec, inputs: int, dtype: torch.dtype, device: str, networks: int,
               cpu_budget_bytes: int = 2**30) -> int:
    """Networks per chunk that fit the memory budget: 1 GiB on a CPU, half the free memory on a GPU.

    Per network: the weights (with the float32 draw alongside while it is cast), the slope patterns of the
    forward pass and the (n K x N) blocks of the Jacobian chain.
    """
    size = torch.finfo(dtype).bits // 8
    weights = spec.L * spec.N * (spec.N + 1) + spec.N * (spec.d + spec.K)
    work = inputs * spec.N * (spec.L + 3 * spec.K) + inputs * spec.K * spec.d
    per_network = size * (weights + work) + 4 * spec.L * spec.N * spec.N
    if str(device).startswith("cuda"):
        budget = torch.cuda.mem_get_info(torch.device(device))[0] // 2
    else:
        budget = cpu_budget_bytes
    return int(max(1, min(networks, budget // per_network)))


def fixed_inputs(d: int, scales: Sequence[float], generator: torch.Generator,
                 dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """n inputs with independent random directions and norms scale_i * sqrt(d) (entries of order scale_i)."""
    directions = torch.randn(len(scales), d, generator=generator, dtype=dtype)
    directions /= directions.norm(dim=1, keepdim=True)
    return directions * torch.tensor(scales, dtype=dtype)[:, None] * math.sqrt(d)


def sample_jacobians(spec: NetworkSpec, networks: int, input_scales: Sequence[float], seed: int, chunk: int = 32,
                     device: str = "cpu", dtype: torch.dtype = torch.float64,
                     progress: Callable[[int], None] | None = None) -> JacobianSample:
    """Draw ``networks`` networks in chunks from one seeded generator and record J, a at fixed inputs.

    The inputs are drawn first from the same generator, so a seed fixes inputs and networks together.
    ``chunk=0`` sizes the chunks from the memory budget (``auto_chunk``).
    ``progress`` is called with the number of networks finished after every chunk.
    """
    if networks < 2:
        raise ValueError(f"networks must be >= 2 to form an interval, got {networks}")
    start = time.perf_counter()
    generator = torch.Generator(device=device).manual_seed(seed)
    x = fixed_inputs(spec.d, input_scales, generator, dtype).to(device)
    chunk = chunk or auto_chunk(spec, len(input_scales), dtype, device, networks)
    Js, As = [], []
    done = 0
    while done < networks:
        size = min(chunk, networks - done)
        net = sample_networks(spec, size, generator, dtype=dtype, device=device)
        J, a = jacobian_and_bias(net, x)
        Js.append(J.cpu().numpy())
        As.append(a.cpu().numpy())
        del net
        done += size
        if progress is not None:
            progress(size)
    norms = tuple(float(n) for n in x.norm(dim=1).cpu())
    return JacobianSample(spec, np.concatenate(Js), np.concatenate(As), norms, time.perf_counter() - start)


@dataclass(frozen=True)
class GaussianSample:
    """||G||_{p->q} of i.i.d. N(0, 1) matrices G (K x d), for all nine pairs."""

    K: int
    d: int
    values: dict  # (p, q) -> np.ndarray (draws,): exact, or the certified lower end where exact[(p, q)] is False
    exact: dict  # (p, q) -> bool
    seconds: float

    @property
    def units(self) -> int:
        """Independent sampling units: matrices."""
        return next(iter(self.values.values())).size


def sample_gaussian_norms(K: int, d: int, draws: int, seed: int, chunk: int = 500,
                          max_vertices: int = 2**16) -> GaussianSample:
    """Operator norms of ``draws`` Gaussian K x d matrices (float64), all pairs, chunked over draws."""
    from numerics.opnorms import PAIRS, opnorm

    start = time.perf_counter()
    generator = torch.Generator().manual_seed(seed)
    values = {pq: [] for pq in PAIRS}
    exact = {}
    for begin in range(0, draws, chunk):
        G = torch.randn(min(chunk, draws - begin), K, d, generator=generator, dtype=torch.float64)
        for pq in PAIRS:
            norm = opnorm(G, *pq, max_vertices=max_vertices, generator=generator)
            values[pq].append(norm.low.numpy())
            exact[pq] = exact.get(pq, True) and norm.exact
    return GaussianSample(K, d, {pq: np.concatenate(v) for pq, v in values.items()}, exact,
                          time.perf_counter() - start)


@dataclass(frozen=True)
class NetworkNormSample:
    """Jacobian operator norms of B networks at a reference input and at more inputs, PGD values, and the
    Gaussian reference sample of the same shape (the mean-field prediction J ~ sqrt(omega^L/d) G)."""

    spec: NetworkSpec
    at_x0: dict  # (p, q) -> (B,) ||J(x_0)||_{p->q}
    sup_over_inputs: dict  # (p, q) -> (B,) max over the inputs of ||J(x_m)||_{p->q}
    pgd: dict  # (p, q) -> (B_pgd,) best ||f(x_0 + eta) - f(x_0)||_q found, ||eta||_p <= eps_p
    eps: dict  # p -> eps used for the l_p ball (a fraction of ||x_0||_p)
    gaussian: GaussianSample
    inputs: int
    seconds: float

    @property
    def units(self) -> int:
        """Independent sampling units: networks."""
        return next(iter(self.at_x0.values())).size


def sample_network_norms(spec: NetworkSpec, networks: int, inputs: int, pgd_networks: int, pgd_steps: int,
                         pgd_restarts: int, eps_fraction: float, gaussian_draws: int, seed: int, chunk: int = 0,
                         device: str = "cpu", progress: Callable[[int], None] | None = None) -> NetworkNormSample:
    """||J(x)||_{p->q} for all nine pairs at ``inputs`` inputs of ``networks`` networks, and PGD on the first
    ``pgd_networks`` (float32 search; the value it reports is recomputed in float64)."""
    from numerics.attacks import pgd
    from numerics.opnorms import ORDERS, PAIRS, opnorm, vector_norm

    start = time.perf_counter()
    generator = torch.Generator(device=device).manual_seed(seed)
    x = fixed_inputs(spec.d, [1.0] * inputs, generator).to(device)
    at_x0 = {pq: [] for pq in PAIRS}
    sup = {pq: [] for pq in PAIRS}
    attacks = {pq: [] for pq in PAIRS}
    eps = {p: eps_fraction * float(vector_norm(x[0], p)) for p in ORDERS}
    chunk = chunk or auto_chunk(spec, inputs, torch.float64, device, networks)
    done = 0
    while done < networks:
        size = min(chunk, networks - done)
        net = sample_networks(spec, size, generator, device=device)
        J, _ = jacobian_and_bias(net, x)  # (size, inputs, K, d)
        for pq in PAIRS:
            norm = opnorm(J, *pq, generator=generator)
            if not norm.exact:
                raise ValueError(f"||J||_{pq} is not exact at d={spec.d}, K={spec.K}; lower d or K")
            at_x0[pq].append(norm.value[:, 0].cpu().numpy())
            sup[pq].append(norm.value.amax(dim=1).cpu().numpy())
        attacked = min(size, max(pgd_networks - done, 0))
        if attacked:
            exact_net = NetworkBatch(spec, *(t[:attacked] for t in (net.P_in, net.W, net.b, net.P_out)))
            fast = NetworkBatch(spec, *(t.float() for t in (exact_net.P_in, exact_net.W, exact_net.b, exact_net.P_out)))
            origin = x[0].expand(attacked, -1)
            clean = exact_net(origin[:, None])[:, 0]
            for p, q in PAIRS:
                found = pgd(fast, origin.float(), eps[p], p, q, steps=pgd_steps, restarts=pgd_restarts,
                            generator=generator)
                value = vector_norm(exact_net((origin + found.eta.double())[:, None])[:, 0] - clean, q)
                attacks[(p, q)].append(value.cpu().numpy())
        done += size
        if progress is not None:
            progress(size)
    gaussian = sample_gaussian_norms(spec.K, spec.d, gaussian_draws, seed=seed + 1)
    return NetworkNormSample(spec, {k: np.concatenate(v) for k, v in at_x0.items()},
                             {k: np.concatenate(v) for k, v in sup.items()},
                             {k: np.concatenate(v) for k, v in attacks.items()}, eps, gaussian, inputs,
                             time.perf_counter() - start)
