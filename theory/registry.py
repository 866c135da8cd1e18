"""The default registry: every discovered paper's claims, registered once, built on first use.

``REGISTRY`` is built lazily (module ``__getattr__``): importing this module costs nothing.
"""
from __future__ import annotations

from functools import lru_cache

from theory.claims import Registry
from theory.papers import discover


@lru_cache(maxsize=None)
def load() -> Registry:
    registry = Registry()
    for paper in discover().values():
        registry.register(paper.claims())
    return registry


def __getattr__(name: str):
    if name == "REGISTRY":
        return load()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
