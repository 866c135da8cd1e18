"""Hypothesis profiles (DESIGN.md): dev, ci (from Hypothesis's built-in CI profile: derandomized, no deadline)
and nightly.  CI=true selects ci; HYPOTHESIS_PROFILE overrides.  The ``deadline`` fixture: a hang guard."""
from __future__ import annotations

import os
import signal
import threading

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile("ci", settings.get_profile("ci"), max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("nightly", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


if os.environ.get("PYTEST_XDIST_WORKER"):  # one xdist worker per core: a second torch thread each only contends
    import torch

    torch.set_num_threads(1)


HANG_SECONDS = 30


@pytest.fixture
def deadline():
    """A hang guard, not a timing assertion: fail the test if it runs past HANG_SECONDS of wall-clock time (what
    it guards takes about a second even on a loaded machine), so a regression fails instead of stalling the suite.

    A watchdog thread signals the main thread with SIGUSR1, so SIGALRM stays free and ``verify.expr.time_limit``
    (which stands down when something else owns SIGALRM) keeps working inside the guarded test.  A no-op where
    ``pthread_kill`` is missing (Windows)."""
    if not hasattr(signal, "pthread_kill"):
        yield
        return

    def expire(signum, frame):
        pytest.fail(f"the test ran past {HANG_SECONDS} s (a hang, not a slow machine)")

    previous = signal.signal(signal.SIGUSR1, expire)
    main = threading.main_thread().ident
    watchdog = threading.Timer(HANG_SECONDS, signal.pthread_kill, (main, signal.SIGUSR1))
    watchdog.daemon = True
    watchdog.start()
    try:
        yield
    finally:
        watchdog.cancel()
        watchdog.join()
        signal.signal(signal.SIGUSR1, previous)
