"""Hypothesis profiles (DESIGN.md): dev, ci (from Hypothesis's built-in CI profile: derandomized, no deadline)
and nightly.  CI=true selects ci; HYPOTHESIS_PROFILE overrides."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile("ci", settings.get_profile("ci"), max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("nightly", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
