"""One sub-package per paper (its networks, data, registered experiments, estimators and probes).

Papers are found by package scan of this folder and of the folders named in ``ATV_PAPERS`` (see
``theory.papers``), so adding a paper touches only its own folders.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from theory.papers import extension_folders

__path__ = [*__path__, *extension_folders("numerics")]


def names() -> list[str]:
    """The papers that have a numerics column, in name order."""
    return sorted(module.name for module in pkgutil.iter_modules(__path__) if module.ispkg)


@lru_cache(maxsize=None)
def load_all() -> tuple[str, ...]:
    """Import every paper's column, which registers its experiments, estimators and probes."""
    for name in names():
        importlib.import_module(f"{__name__}.{name}")
    return tuple(names())
