"""The start of a pool worker process, kept apart from ``verify.executors`` so that it imports nothing heavy.

A spawned worker imports the module of its initializer before running it; from here, the worker lowers its
priority before it imports torch and the papers (some 5 s of CPU), instead of after.
"""
from __future__ import annotations

import contextlib
import os
import signal

#: how much lower a pool worker's CPU priority is than the run's own process (``os.nice``): the run's process
#: builds the claims and plans while the workers import, and later judges and asks for the next rounds, so
#: every second it waits for a core delays the whole run (the workers' total work is the same either way)
NICENESS = 10


def start_worker(threads: int) -> None:
    """A pool worker: a lower priority than the caller (``NICENESS``), its share of the threads; Ctrl-C is the
    parent's to handle (it terminates the pool), also while the worker still imports (a pool starts while the
    claims are built)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(AttributeError, OSError):  # no os.nice on Windows; a sandbox may refuse it
        os.nice(NICENESS)
    import torch

    torch.set_num_threads(threads)
