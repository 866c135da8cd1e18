"""The default registry: every paper module's claims, registered once."""
from __future__ import annotations

from theory.claims import Registry
from theory.papers import meanfield, meanfield_dynamics

REGISTRY = Registry()
REGISTRY.register(meanfield.CLAIMS)
REGISTRY.register(meanfield_dynamics.CLAIMS)
