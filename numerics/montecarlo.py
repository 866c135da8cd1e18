"""Monte Carlo samples of (J(x), a(x)) over many random networks, chunked so memory stays bounded."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from numerics.jacobian import jacobian_and_bias
from numerics.networks import sample_networks
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
    ``progress`` is called with the number of networks finished after every chunk.
    """
    if networks < 2:
        raise ValueError(f"networks must be >= 2 to form an interval, got {networks}")
    start = time.perf_counter()
    generator = torch.Generator(device=device).manual_seed(seed)
    x = fixed_inputs(spec.d, input_scales, generator, dtype).to(device)
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
