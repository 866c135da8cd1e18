"""Devices: resolve ``auto | cpu | cuda[:i]``, synchronize, the memory budget and a name for the run's metadata.

Runs in the driver and in every worker (a Ray worker resolves its own device).  torch is imported by the
functions that need it, so ``check_spelling`` answers the CLI before torch loads.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import re
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

#: the CPU memory a chunk of networks may use (CPU machines are shared; 1 GiB keeps a run polite)
CPU_BUDGET_BYTES = 2**30
#: the fraction of a GPU's total memory a chunk may use (total, not free: chunk sizes stay reproducible)
GPU_BUDGET_FRACTION = 0.4

_SPELLING = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


class DeviceError(ValueError):
    """An unknown or unavailable device (one sentence for the user)."""


def check_spelling(requested: str) -> str:
    """``requested`` if it is auto, cpu, cuda or cuda:i (no torch call: fast enough for option checking)."""
    if not isinstance(requested, str) or not _SPELLING.match(requested):
        raise DeviceError(f"--device must be auto, cpu, cuda or cuda:<index>, got {requested!r}")
    return requested


def resolve(requested: str | torch.device) -> torch.device:
    """The torch device for ``requested``: auto picks CUDA when present; an absent CUDA device is an error."""
    import torch

    if isinstance(requested, torch.device):
        requested = str(requested)
    check_spelling(requested)
    if requested == "auto":
        return torch.device("cuda", torch.cuda.current_device()) if torch.cuda.is_available() else torch.device("cpu")
    device = torch.device(requested)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"--device {requested} was asked for but no CUDA device is available; use --device cpu "
                              "or auto")
        index = 0 if device.index is None else device.index
        if index >= torch.cuda.device_count():
            raise DeviceError(f"--device {requested}: this machine has {torch.cuda.device_count()} CUDA device(s)")
        return torch.device("cuda", index)
    return device


def synchronize(device: torch.device) -> None:
    """Wait for queued kernels (timings and memory readings need it on a GPU)."""
    import torch

    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def memory_budget(device: torch.device) -> int:
    """Bytes a chunk of work may use on ``device``: fixed on a CPU, a fraction of the total on a GPU."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return int(torch.cuda.get_device_properties(device).total_memory * GPU_BUDGET_FRACTION)
    return CPU_BUDGET_BYTES


def capacity(device: torch.device) -> int:
    """All the memory of ``device`` (a GPU's total, a CPU's physical memory): a job whose smallest piece needs
    more cannot run there at all, whatever the chunking."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return int(torch.cuda.get_device_properties(device).total_memory)
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def describe(device: torch.device) -> str:
    """'cuda:0 (NVIDIA H100 80GB HBM3)' or 'cpu (AMD EPYC ..., 2 threads)', for results.json."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return f"cpu ({cpu_name()}, {torch.get_num_threads()} threads)"


def cpu_name() -> str:
    """The CPU model (from /proc/cpuinfo on Linux)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


#: glibc's mallopt parameters: the heap top kept when memory is freed, and the size from which a block is mmapped
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


@lru_cache(maxsize=None)
def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse (trim threshold 1 GiB, mmap threshold 32 MiB, its maximum) instead
    of returning it to the system after every tensor.  Jobs allocate and free the same few-MB tensors thousands of
    times; on a machine whose memory the host reclaims, each return costs page faults on the next allocation (one
    seed-002 job: 77 s wall with 49 s of system time, against 22 s).  True if set; a no-op without glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)) and bool(libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20))
    except (OSError, AttributeError):
        return False


@contextmanager
def one_thread():
    """Run the block with one torch intra-op thread, then restore the count: tiny, latency-bound models (a paper's
    batched training runs) gain nothing from a second thread but contention (a deep-linear job ran 6x slower with
    2 threads on a 2-core machine).  Jobs of the local executor run one at a time, so the global setting is safe."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
