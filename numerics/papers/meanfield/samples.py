"""Monte Carlo samples of the mean-field paper: (J(x), a(x)) over many random networks, operator norms of Gaussian
matrices, and Jacobian norms with PGD values; chunked so memory stays bounded, on the device of their ``Draws``.

Inputs and Gaussian reference matrices are drawn portably (the same on every device); weights on the device,
one stream per network (``networks.sample_networks``), so chunking changes no number.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

from numerics.device import memory_budget
from numerics.opnorms import ORDERS, PAIRS, opnorm, vector_norm
from numerics.papers.meanfield.jacobian import jacobian_and_bias
from numerics.papers.meanfield.networks import NetworkBatch, sample_networks
from numerics.papers.meanfield.segments import local_bound, segment_pieces
from numerics.random import Draws
from theory.papers.meanfield.network import NetworkSpec


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


def auto_chunk(spec: NetworkSpec, inputs: int, dtype: torch.dtype, device: torch.device, networks: int,
               copies: float = 1.0) -> int:
    """Networks per chunk that fit ``numerics.device.memory_budget``.

    Per network: the weights (``copies`` of them: ``attacked_copies`` where PGD attacks the network), the slope
    patterns of the forward pass and the (n K x N) blocks of the Jacobian chain (the float32
    draw of one network's weights is transient).
    """
    per_network = network_bytes(spec, inputs, dtype, copies)
    return int(max(1, min(networks, memory_budget(device) // per_network)))


def attacked_copies(dtype: torch.dtype) -> float:
    """The weights an attacked network holds at once in ``_norm_chunk``, in copies of ``dtype``: its own, a
    float64 copy when ``dtype`` is not float64 (PGD's values, the certificates), and a float32 copy for PGD's
    search when ``dtype`` is not float32 (1.5 in float64; 3 in float32, whose own weights PGD searches on)."""
    size = torch.finfo(dtype).bits // 8
    return 1 + (8 / size if size != 8 else 0) + (4 / size if size != 4 else 0)


def network_bytes(spec: NetworkSpec, inputs: int, dtype: torch.dtype, copies: float = 1.0) -> int:
    """Bytes one network takes in a chunk (see ``auto_chunk``): the least a job of this spec needs at once."""
    size = torch.finfo(dtype).bits // 8
    weights = spec.L * spec.N * (spec.N + 1) + spec.N * (spec.d + spec.K)
    work = inputs * spec.N * (spec.L + 3 * spec.K) + inputs * spec.K * spec.d
    return int(size * (copies * weights + work))


def fixed_inputs(d: int, scales: Sequence[float], draws: Draws, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """n inputs with independent random directions and norms scale_i * sqrt(d), drawn portably on draws' device."""
    directions = draws.standard_normal((len(scales), d), dtype, portable=True)
    directions = directions / directions.norm(dim=1, keepdim=True)
    return directions * torch.tensor(scales, dtype=dtype, device=draws.device)[:, None] * math.sqrt(d)


def _chunks(networks: int, chunk: int):
    """(first, size) of consecutive chunks covering ``networks``."""
    for first in range(0, networks, chunk):
        yield first, min(chunk, networks - first)


def sample_jacobians(spec: NetworkSpec, networks: int, input_scales: Sequence[float], draws: Draws, chunk: int = 32,
                     dtype: torch.dtype = torch.float64,
                     progress: Callable[[int], None] | None = None, first: int = 0) -> JacobianSample:
    """J and a of networks ``first`` .. ``first + networks - 1`` at fixed inputs (the stream ``inputs`` of
    ``draws``), in chunks.

    ``chunk=0`` sizes the chunks from the memory budget (``auto_chunk``); ``progress`` is called with the number
    of networks finished after every chunk.  Network i comes from its own stream, so consecutive parts, joined
    (``join_jacobians``), are the sample of all of them at once.
    """
    if networks < 2:
        raise ValueError(f"networks must be >= 2 to form an interval, got {networks}")
    start = time.perf_counter()
    x = fixed_inputs(spec.d, input_scales, draws.child("inputs"), dtype)
    chunk = chunk or auto_chunk(spec, len(input_scales), dtype, draws.device, networks)
    Js, As = [], []
    for start_at, size in _chunks(networks, chunk):
        net = sample_networks(spec, size, draws, dtype=dtype, first=first + start_at)
        J, a = jacobian_and_bias(net, x)
        Js.append(J.cpu().numpy())
        As.append(a.cpu().numpy())
        del net
        if progress is not None:
            progress(size)
    norms = tuple(float(n) for n in x.norm(dim=1).cpu())
    return JacobianSample(spec, np.concatenate(Js), np.concatenate(As), norms, time.perf_counter() - start)


def join_jacobians(parts: Sequence[JacobianSample]) -> JacobianSample:
    """Consecutive parts of one job's networks as one sample (the seconds add up)."""
    first = parts[0]
    return JacobianSample(first.spec, np.concatenate([p.J for p in parts]), np.concatenate([p.a for p in parts]),
                          first.input_norms, sum(p.seconds for p in parts))


@dataclass(frozen=True)
class GaussianSample:
    """||G||_{p->q} of i.i.d. N(0, 1) matrices G (K x d), for all nine pairs."""

    K: int
    d: int
    values: dict  # (p, q) -> np.ndarray (draws,): exact, or the certified lower end where exact[(p, q)] is False
    exact: dict  # (p, q) -> bool
    seconds: float
    frobenius: np.ndarray | None = None  # (draws,) ||G||_F^2 / (K d): mean exactly 1, a control variate

    @property
    def units(self) -> int:
        """Independent sampling units: matrices."""
        return next(iter(self.values.values())).size


#: Gaussian matrices per named stream (``sample_gaussian_norms``): part of a sample's definition
GAUSSIAN_CHUNK = 500


def sample_gaussian_norms(K: int, d: int, matrices: int, draws: Draws, chunk: int = GAUSSIAN_CHUNK,
                          max_vertices: int = 2**16, pairs: Sequence[tuple] = PAIRS, first: int = 0) -> GaussianSample:
    """Operator norms of Gaussian K x d matrices ``first`` .. ``first + matrices - 1`` (float64, drawn portably),
    for ``pairs`` (all nine by default; one pair where a shape is too wide to enumerate the others, e.g.
    d = 1000), in chunks of a fixed size (the streams are named by chunk, so ``chunk`` is part of the sample's
    definition, and a part that starts on a chunk's start is the same matrices as in a larger sample)."""
    start = time.perf_counter()
    values = {pq: [] for pq in pairs}
    exact, frobenius = {}, []
    for offset, size in _chunks(matrices, chunk):
        first_here = first + offset
        G = draws.child(f"matrices/{first_here}").standard_normal((size, K, d), portable=True)
        frobenius.append((G**2).mean(dim=(-2, -1)).cpu().numpy())
        for pq in pairs:
            norm = opnorm(G, *pq, max_vertices=max_vertices, draws=draws.child(f"search/{first_here}"))
            values[pq].append(norm.low.cpu().numpy())
            exact[pq] = exact.get(pq, True) and norm.exact
    return GaussianSample(K, d, {pq: np.concatenate(v) for pq, v in values.items()}, exact,
                          time.perf_counter() - start, np.concatenate(frobenius))


def join_gaussian(parts: Sequence[GaussianSample]) -> GaussianSample:
    """Consecutive parts of one job's matrices as one sample (the seconds add up)."""
    first = parts[0]
    return GaussianSample(first.K, first.d, {pq: np.concatenate([p.values[pq] for p in parts]) for pq in first.values},
                          {pq: all(p.exact[pq] for p in parts) for pq in first.exact}, sum(p.seconds for p in parts),
                          np.concatenate([p.frobenius for p in parts]))


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
    #: (p, q) -> (B_cert,) ||f(x_0 + eta*) - f(x_0)||_q / (eps_p max_k ||J_k||_{p->q}) for PGD's eta* and the
    #: linear pieces k of the segment x_0 -> x_0 + eta*, on the first B_cert attacked networks (at most 1 exactly)
    certificate: dict = field(default_factory=dict)
    pieces: dict = field(default_factory=dict)  # (p, q) -> (B_cert,) number of linear pieces of that segment

    @property
    def units(self) -> int:
        """Independent sampling units: networks."""
        return next(iter(self.at_x0.values())).size


#: networks whose segments are walked at once at most (the pieces of all their segments share one product per
#: layer); fewer where a network's pieces would not fit the memory budget (``walk_bytes``)
SEGMENT_GROUP = 8


def walk_bytes(spec: NetworkSpec, segments: int) -> int:
    """Bytes one network's segment walk holds at once, about: some float64 (pieces x N) tensors per segment, with
    a generous guess of L N / 16 pieces a segment (60 to 170 are measured at N = 512, L = 4)."""
    return 8 * 8 * segments * spec.N * max(1, spec.L * spec.N // 16)


def _certify(net: NetworkBatch, origin: torch.Tensor, etas: torch.Tensor, eps: dict, pairs: Sequence[tuple],
             found: dict) -> tuple[dict, dict]:
    """Theorem 5.1's first step per network and pair: PGD's ||f(x_0 + eta*) - f(x_0)||_q over eps_p times the
    largest ||J||_{p->q} on the linear pieces of the segment x_0 -> x_0 + eta* (``segments``), and the pieces'
    number.  ``etas`` is (B, pairs, d): every pair's segment of a network is walked in one pass."""
    ratios = {pq: [] for pq in pairs}
    counts = {pq: [] for pq in pairs}
    size = int(max(1, min(SEGMENT_GROUP, memory_budget(net.W.device) // walk_bytes(net.spec, len(pairs)))))
    for first in range(0, net.B, size):
        part = slice(first, min(first + size, net.B))
        group = NetworkBatch(net.spec, *(t[part] for t in (net.P_in, net.W, net.b, net.P_out)))
        walk = segment_pieces(group, origin[part, None].expand(-1, len(pairs), -1), etas[part])
        for i, (p, q) in enumerate(pairs):
            one = walk.segment(i)
            ratios[(p, q)].append(found[(p, q)][part] / local_bound(one, p, q, eps[p]).cpu().numpy())
            counts[(p, q)].append(one.counts.cpu().numpy())
    return ({pq: np.concatenate(v) for pq, v in ratios.items()}, {pq: np.concatenate(v) for pq, v in counts.items()})


def _norm_chunk(spec: NetworkSpec, x: torch.Tensor, eps: dict, first: int, size: int, attacked: int,
                pgd_steps: int, pgd_restarts: int, draws: Draws, pairs: Sequence[tuple] = PAIRS,
                certified: int = 0, dtype: torch.dtype = torch.float64) -> tuple[dict, dict, dict, dict]:
    """Networks ``first`` .. ``first + size - 1``: ||J(x_m)||_{p->q} at every input (host arrays (size, inputs)),
    PGD's value on the first ``attacked`` of them and the step-1 certificate on the first ``certified`` of those
    (``_certify``).  Only host arrays leave this function, so a GPU holds one chunk at a time.

    The pairs' searches run as one (``pgd_many``): a step reads the float32 weights once for all of them, each
    pair from fresh streams ``pgd/<network>`` (what a search of that pair alone would draw).

    The norms are taken in ``dtype``; PGD's values and the certificates in float64 whatever it is, on the very
    same weights (drawn in float32 either way: ``sample_networks``)."""
    from numerics.attacks import Search, pgd_many

    net = sample_networks(spec, size, draws, dtype=dtype, first=first)
    J, _ = jacobian_and_bias(net, x)  # (size, inputs, K, d)
    norms = {pq: opnorm(J, *pq).value.double().cpu().numpy() for pq in pairs}  # exact here (enumeration)
    found, etas, certificates, pieces = {}, [], {}, {}
    if attacked:
        first_ones = [t[:attacked] for t in (net.P_in, net.W, net.b, net.P_out)]
        exact_net = NetworkBatch(spec, *(t.double() for t in first_ones))
        # float32 weights are PGD's copy as they are (through float64 and back is the identity)
        fast = NetworkBatch(spec, *first_ones) if dtype == torch.float32 else exact_net.float()
        origin = x[0].expand(attacked, -1)
        clean = exact_net(origin[:, None])[:, 0]
        searches = [Search(p, q, eps[p], pgd_restarts) for p, q in pairs]
        streams = [[draws.child(f"pgd/{first + i}") for i in range(attacked)] for _ in pairs]
        for (p, q), best in zip(pairs, pgd_many(fast, origin.float(), searches, pgd_steps, draws=streams)):
            etas.append(best.eta.double())
            found[(p, q)] = vector_norm(exact_net((origin + etas[-1])[:, None])[:, 0] - clean, q).cpu().numpy()
    if certified:
        chosen = NetworkBatch(spec, *(t[:certified] for t in
                                      (exact_net.P_in, exact_net.W, exact_net.b, exact_net.P_out)))
        certificates, pieces = _certify(chosen, x[0].expand(certified, -1), torch.stack(etas, 1)[:certified], eps,
                                        pairs, {pq: values[:certified] for pq, values in found.items()})
    return norms, found, certificates, pieces


def sample_network_norms(spec: NetworkSpec, networks: int, inputs: int, pgd_networks: int, pgd_steps: int,
                         pgd_restarts: int, eps_fraction: float, gaussian_matrices: int, draws: Draws,
                         chunk: int = 0, progress: Callable[[int], None] | None = None,
                         pairs: Sequence[tuple] = PAIRS, certificate_networks: int = 0,
                         dtype: torch.dtype = torch.float64) -> NetworkNormSample:
    """||J(x)||_{p->q} for ``pairs`` (all nine by default) at ``inputs`` inputs of ``networks`` networks, PGD on
    the first ``pgd_networks`` (float32 search; the value it reports is recomputed in float64), and Theorem 5.1's
    first step certified on the segments of the first ``certificate_networks`` of those (``_certify``).  The
    norms' Jacobians are computed in ``dtype`` (see ``_norm_chunk``).

    PGD's random starts come from a stream per network (``pgd/<network>``), and a certificate depends on its
    network alone, so chunking changes no number.
    """
    start = time.perf_counter()
    x = fixed_inputs(spec.d, [1.0] * inputs, draws.child("inputs"))
    at_x0 = {pq: [] for pq in pairs}
    sup = {pq: [] for pq in pairs}
    attacks = {pq: [] for pq in pairs}
    certificates = {pq: [] for pq in pairs}
    pieces = {pq: [] for pq in pairs}
    eps = {p: eps_fraction * float(vector_norm(x[0], p)) for p in ORDERS}
    chunk = chunk or auto_chunk(spec, inputs, dtype, draws.device, networks, copies=attacked_copies(dtype))
    for first, size in _chunks(networks, chunk):
        attacked = min(size, max(pgd_networks - first, 0))
        certified = min(attacked, max(min(certificate_networks, pgd_networks) - first, 0))
        norms, found, ratios, counts = _norm_chunk(spec, x, eps, first, size, attacked, pgd_steps, pgd_restarts,
                                                   draws, pairs, certified, dtype)  # freed before the next chunk
        for pq in pairs:
            at_x0[pq].append(norms[pq][:, 0])
            sup[pq].append(norms[pq].max(axis=1))
            if found:
                attacks[pq].append(found[pq])
            if ratios:
                certificates[pq].append(ratios[pq])
                pieces[pq].append(counts[pq])
        if progress is not None:
            progress(size)
    gaussian = sample_gaussian_norms(spec.K, spec.d, gaussian_matrices, draws.child("gaussian"), pairs=pairs)
    return NetworkNormSample(spec, {k: np.concatenate(v) for k, v in at_x0.items()},
                             {k: np.concatenate(v) for k, v in sup.items()},
                             {k: np.concatenate(v) if v else np.zeros(0) for k, v in attacks.items()}, eps,
                             gaussian, inputs,
                             time.perf_counter() - start,
                             {k: np.concatenate(v) for k, v in certificates.items() if v},
                             {k: np.concatenate(v) for k, v in pieces.items() if v})
