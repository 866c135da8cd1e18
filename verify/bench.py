"""``atv bench``: performance of the hot paths, as ratios measured in one run on one machine.

- FLOP rate of the batched forward + Jacobian chain (``numerics.papers.meanfield.jacobian.jacobian_and_bias``) as a fraction of
  the machine's batched-matmul rate, measured here at the chain's own shapes.
- Weight generation (``numerics.papers.meanfield.networks.sample_networks``) against plain ``torch.randn`` of the same number of
  elements and the same dtype.
- Speed ratio against a naive baseline on the same network tensors and inputs: a Python loop over networks
  and ``torch.autograd.functional.jacobian`` per input (the two Jacobians are checked to agree).
- Paper size (d=1000, K=1, N=5000, L=10, float32): networks per second through the experiment's own path
  (``sample_jacobians`` with chunks from the memory budget), beside the floor measured in the same run: the time
  to draw the same number of weights with ``torch.randn`` on the device; and the achieved memory bandwidth as a
  fraction of the device's measured copy bandwidth.
- Cost curve in N and L: seconds per network, with fitted log-log slopes (expected ~2 in N, ~1 in L).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from numerics.device import synchronize
from numerics.papers.meanfield.jacobian import jacobian_and_bias
from numerics.papers.meanfield.networks import NetworkBatch, sample_networks
from numerics.papers.meanfield.samples import sample_jacobians
from numerics.random import Draws
from theory.papers.meanfield.network import NetworkSpec

QUICK = NetworkSpec("vanilla", d=32, K=32, N=512, L=4, sigma_w2=2.0, sigma_b2=0.01)
PAPER = NetworkSpec("vanilla", d=1000, K=1, N=5000, L=10, sigma_w2=2.0, sigma_b2=0.01)


def timed(fn: Callable[[], object], device: str, repeats: int = 3) -> float:
    """Best wall time of ``repeats`` calls after one warm-up (the usual way to time a kernel)."""
    fn()
    synchronize(device)
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return best


def chain_flops(spec: NetworkSpec, B: int, n: int) -> float:
    """Multiply-adds x 2 of the forward pass plus the output-side Jacobian chain, for B networks, n inputs."""
    N, L, K, d = spec.N, spec.L, spec.K, spec.d
    forward = 2 * n * (N * d + L * N * N + K * N)
    chain = 2 * n * K * (L * (N * N + N) + N * d)
    return float(B * (forward + chain))


def naive_jacobians(net: NetworkBatch, x: torch.Tensor) -> torch.Tensor:
    """The baseline: loop over networks and inputs, autograd Jacobian of one network at one input."""
    out = []
    for b in range(net.B):
        single = NetworkBatch(net.spec, net.P_in[b:b + 1], net.W[b:b + 1], net.b[b:b + 1], net.P_out[b:b + 1])
        out.append(torch.stack([torch.autograd.functional.jacobian(lambda z: single(z[None])[0, 0], x[i])
                                for i in range(x.shape[0])]))
    return torch.stack(out)


@dataclass
class BenchResult:
    device: str
    dtype: str
    figures: dict

    def rows(self) -> list[tuple[str, str, str]]:
        f = self.figures
        return [
            ("batched matmul rate (reference)", f"{f['bmm_gflops']:.1f} GFLOP/s", "bmm at the chain's shapes"),
            ("forward + Jacobian chain rate", f"{f['chain_gflops']:.1f} GFLOP/s",
             f"{f['chain_fraction_of_bmm']:.2f} of bmm (target >= 0.5)"),
            ("weight generation", f"{f['generation_melems']:.0f} M weights/s",
             f"{f['generation_fraction_of_randn']:.2f} of torch.randn {self.dtype} (target >= 0.8); "
             f"{f['generation_fraction_of_randn_float32']:.2f} of float32 randn"),
            ("speed-up over naive baseline", f"{f['speedup_vs_naive']:.0f}x",
             f"{f['naive_networks']} networks x {f['inputs']} inputs, max |dJ| {f['naive_max_abs_diff']:.1e}"),
            ("paper size throughput", f"{f['paper_networks_per_s']:.3g} networks/s",
             f"{f['paper_fraction_of_randn_floor']:.2f} of the randn floor "
             f"({f['paper_randn_floor_networks_per_s']:.3g} networks/s); "
             f"{f['paper_bandwidth_fraction']:.2f} of measured copy bandwidth "
             f"({f['paper_gbytes_per_s']:.1f} / {f['copy_gbytes_per_s']:.1f} GB/s); "
             f"random draws take {f['paper_generation_share']:.0%} of the time"),
            ("cost curve", f"N^{f['slope_N']:.2f} L^{f['slope_L']:.2f}", "seconds per network (expected N^2 L^1)"),
        ]


def run_bench(device: str = "cpu", dtype: torch.dtype = torch.float64, networks: int = 32, inputs: int = 2,
              naive_networks: int = 4, paper_networks: int | None = None, quick: NetworkSpec = QUICK,
              paper: NetworkSpec = PAPER, widths: tuple[int, ...] = (128, 256, 512, 1024),
              depths: tuple[int, ...] = (2, 4, 8), progress: Callable[[str], None] = lambda step: None) -> BenchResult:
    """All measurements in one run (see the module docstring); sizes default to the quick and paper networks."""
    figures: dict[str, float] = {"networks": networks, "inputs": inputs}
    device = torch.device(device)
    draws = Draws(0, device)
    x = draws.standard_normal((inputs, quick.d), dtype)

    progress("batched matmul reference")
    rows, N = inputs * quick.K, quick.N
    A = draws.standard_normal((networks, rows, N), dtype)
    W = draws.standard_normal((networks, N, N), dtype)
    t_bmm = timed(lambda: torch.bmm(A, W), device)
    figures["bmm_gflops"] = 2 * networks * rows * N * N / t_bmm / 1e9
    del A, W

    progress("optimised forward + Jacobian chain")
    net = sample_networks(quick, networks, draws, dtype=dtype)
    t_chain = timed(lambda: jacobian_and_bias(net, x), device)
    figures["chain_gflops"] = chain_flops(quick, networks, inputs) / t_chain / 1e9
    figures["chain_fraction_of_bmm"] = figures["chain_gflops"] / figures["bmm_gflops"]

    progress("weight generation against torch.randn")
    elements = networks * (quick.L * quick.N * (quick.N + 1) + quick.N * (quick.d + quick.K))
    t_gen = timed(lambda: sample_networks(quick, networks, draws, dtype=dtype), device)
    t_randn = timed(lambda: draws.standard_normal(elements, dtype), device)
    t_randn32 = timed(lambda: draws.standard_normal(elements, torch.float32), device)
    figures["generation_melems"] = elements / t_gen / 1e6
    figures["generation_fraction_of_randn"] = t_randn / t_gen
    figures["generation_fraction_of_randn_float32"] = t_randn32 / t_gen  # the draws themselves are float32

    progress("naive baseline (loop + autograd) on the same networks")
    subset = NetworkBatch(quick, *(t[:naive_networks] for t in (net.P_in, net.W, net.b, net.P_out)))
    t_naive = timed(lambda: naive_jacobians(subset, x), device, repeats=1) / naive_networks
    t_fast = timed(lambda: jacobian_and_bias(subset, x), device) / naive_networks
    figures["naive_networks"] = naive_networks
    figures["speedup_vs_naive"] = t_naive / t_fast
    figures["naive_max_abs_diff"] = float((naive_jacobians(subset, x) - jacobian_and_bias(subset, x)[0]).abs().max())
    del net, subset

    progress("paper size")
    paper_networks = paper_networks or (256 if device.type == "cuda" else 1)
    copy_bytes = 512 * 2**20
    src = draws.standard_normal(copy_bytes // 4, torch.float32)
    dst = torch.empty_like(src)
    t_copy = timed(lambda: dst.copy_(src), device)
    figures["copy_gbytes_per_s"] = 2 * copy_bytes / t_copy / 1e9  # read + write
    del src, dst
    t_paper = timed(lambda: sample_jacobians(paper, max(paper_networks, 2), (1.0, 10.0), draws, chunk=0,
                                             dtype=torch.float32), device, repeats=1)
    figures["paper_networks"] = max(paper_networks, 2)
    figures["paper_networks_per_s"] = figures["paper_networks"] / t_paper
    weights = paper.L * paper.N * paper.N + paper.N * (paper.d + paper.K + paper.L)
    t_floor = timed(lambda: draws.standard_normal(weights, torch.float32), device, repeats=3)
    figures["paper_randn_floor_networks_per_s"] = floor = 1 / t_floor
    figures["paper_fraction_of_randn_floor"] = figures["paper_networks_per_s"] / floor
    figures["paper_generation_share"] = min(1.0, t_floor * figures["paper_networks"] / t_paper)
    weight_bytes = 4 * weights
    # generation writes the weights once, the forward pass and the chain read them once each
    figures["paper_gbytes_per_s"] = 3 * weight_bytes * figures["paper_networks"] / t_paper / 1e9
    figures["paper_bandwidth_fraction"] = figures["paper_gbytes_per_s"] / figures["copy_gbytes_per_s"]

    progress("cost curve in N and L")
    per_network = {}
    mid_N, mid_L = widths[len(widths) // 2], depths[len(depths) // 2]
    for N_, L_ in [(n, mid_L) for n in widths] + [(mid_N, l) for l in depths if l != mid_L]:
        spec = NetworkSpec("vanilla", d=quick.d, K=quick.K, N=N_, L=L_, sigma_w2=2.0, sigma_b2=0.01)
        B = max(1, int(networks * (mid_N / N_) ** 2) // 4)
        per_network[(N_, L_)] = timed(
            lambda: jacobian_and_bias(sample_networks(spec, B, draws, dtype=dtype), x), device) / B
    figures["slope_N"] = float(np.polyfit(np.log(widths), np.log([per_network[(n, mid_L)] for n in widths]), 1)[0])
    figures["slope_L"] = float(np.polyfit(np.log(depths), np.log([per_network[(mid_N, l)] for l in depths]), 1)[0])
    figures["cost_seconds_per_network"] = {f"N={n},L={l}": t for (n, l), t in per_network.items()}
    return BenchResult(str(device), str(dtype).replace("torch.", ""), figures)
