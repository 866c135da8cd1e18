"""Every random tensor of the package is drawn here (DESIGN.md, "Experiments, draws and executors").

A ``Draws`` owns one seed and one device.  It keeps two torch generators derived from that seed:
- the *host* stream (always on the CPU) for portable draws: inputs, teachers, datasets, reference matrices.
  A portable draw is made on the CPU and then moved, so a CPU run and a GPU run check the same inputs;
- the *device* stream (on ``device``) for weights and search randomness, which never leave the device.
Seed and device travel together, so a generator is never paired with a tensor of another device.

``child(name)`` derives an independent stream from the seed and a name (NumPy's ``SeedSequence`` with the
name's BLAKE2 digest as spawn key), so the same names give the same numbers in any order of calls, on any
executor and with any number of workers: no ``seed + k``, no hashing of object reprs.
"""
from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np
import torch

from numerics.seeds import check_seed

Size = int | Sequence[int]


def derive_seed(seed: int, name: str) -> int:
    """A 63-bit seed for stream ``name`` of ``seed``: stable across runs, platforms and Python versions."""
    digest = hashlib.blake2b(name.encode(), digest_size=16).digest()
    key = tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))
    state = np.random.SeedSequence(entropy=seed, spawn_key=key).generate_state(2, dtype=np.uint32)
    return (int(state[0]) << 31) ^ int(state[1])


def _new_generator(device: torch.device, seed: int) -> torch.Generator:
    """The one place a torch.Generator is made (tests replace it to emulate another device)."""
    return torch.Generator(device=device).manual_seed(seed)


def _shape(size: Size) -> tuple[int, ...]:
    return (int(size),) if isinstance(size, (int, np.integer)) else tuple(int(s) for s in size)


class Draws:
    """Random draws from one seed on one device, in the style of ``numpy.random.Generator``.

    Every method draws on ``self.device``; with ``portable=True`` it draws from the host stream on the CPU and
    moves the result, so the values do not depend on the device.
    """

    def __init__(self, seed: int, device: str | torch.device = "cpu") -> None:
        self.seed = check_seed(seed)
        self.device = torch.device(device)
        if self.device.type == "cuda" and self.device.index is None:  # "cuda" and "cuda:0" are one device
            self.device = torch.device("cuda", torch.cuda.current_device())
        self._generators: dict[bool, torch.Generator] = {}

    def __repr__(self) -> str:
        return f"Draws(seed={self.seed}, device='{self.device}')"

    def child(self, name: str) -> "Draws":
        """An independent stream named ``name`` on the same device."""
        return Draws(derive_seed(self.seed, name), self.device)

    def _generator(self, portable: bool) -> torch.Generator:
        if portable not in self._generators:
            device = torch.device("cpu") if portable else self.device
            self._generators[portable] = _new_generator(device, derive_seed(self.seed, "host" if portable else
                                                                             "device"))
        return self._generators[portable]

    def _draw(self, make, size: Size, dtype: torch.dtype, portable: bool) -> torch.Tensor:
        device = torch.device("cpu") if portable else self.device
        out = make(_shape(size), dtype, device, self._generator(portable))
        return out.to(self.device) if portable else out

    def standard_normal(self, size: Size, dtype: torch.dtype = torch.float64, portable: bool = False) -> torch.Tensor:
        """i.i.d. N(0, 1) entries."""
        return self._draw(lambda s, t, dev, g: torch.randn(s, generator=g, dtype=t, device=dev), size, dtype,
                          portable)

    def normal(self, scale: float, size: Size, dtype: torch.dtype = torch.float64, portable: bool = False,
               out: torch.Tensor | None = None) -> torch.Tensor:
        """i.i.d. N(0, scale^2) entries; ``out`` (device draws only) receives them without a copy."""
        if out is not None:
            if portable or out.device != self.device:
                raise ValueError("out= receives device draws only, on this Draws' device")
            return torch.normal(0.0, scale, _shape(size), generator=self._generator(False), out=out)
        return self._draw(lambda s, t, dev, g: torch.normal(0.0, scale, s, generator=g, dtype=t, device=dev), size,
                          dtype, portable)

    def uniform(self, size: Size, dtype: torch.dtype = torch.float64, portable: bool = False) -> torch.Tensor:
        """i.i.d. uniform entries on [0, 1)."""
        return self._draw(lambda s, t, dev, g: torch.rand(s, generator=g, dtype=t, device=dev), size, dtype,
                          portable)

    def exponential(self, size: Size, dtype: torch.dtype = torch.float64, portable: bool = False) -> torch.Tensor:
        """i.i.d. standard exponential entries."""
        return self._draw(lambda s, t, dev, g: torch.empty(s, dtype=t, device=dev).exponential_(generator=g), size,
                          dtype, portable)

    def integers(self, low: int, high: int, size: Size, portable: bool = False) -> torch.Tensor:
        """i.i.d. integers in [low, high), as int64."""
        return self._draw(lambda s, t, dev, g: torch.randint(low, high, s, generator=g, device=dev), size,
                          torch.int64, portable)

    def signs(self, size: Size, dtype: torch.dtype = torch.float64, portable: bool = False) -> torch.Tensor:
        """i.i.d. Rademacher entries (+1 or -1 with probability 1/2 each)."""
        return (self.integers(0, 2, size, portable) * 2 - 1).to(dtype)
