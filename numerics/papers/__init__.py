"""One sub-package per paper (its networks, data, registered experiments, estimators and probes).

Papers are found by package scan of this folder and of the folders named in ``ATV_PAPERS`` (see
``theory.papers``), so adding a paper touches only its own folders.  A paper's ``__init__`` stays light;
``load_all`` imports every module of the column.  A column may hold ``settings.py``, its experiments' settings
registered without torch: ``load_settings`` imports only those (or, for a column without one, the column).
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


def _modules(name: str) -> list[str]:
    package = importlib.import_module(f"{__name__}.{name}")
    return [f"{package.__name__}.{module.name}" for module in pkgutil.iter_modules(package.__path__)]


@lru_cache(maxsize=None)
def load_settings() -> tuple[str, ...]:
    """Register every paper's experiment settings, importing as little as each column allows."""
    for name in names():
        modules = _modules(name)
        if f"{__name__}.{name}.settings" not in modules:
            load_all()
            break
        importlib.import_module(f"{__name__}.{name}.settings")
    return tuple(names())


@lru_cache(maxsize=None)
def load_all() -> tuple[str, ...]:
    """Import every module of every paper's column, which registers its experiments, estimators and probes."""
    for name in names():
        for module in _modules(name):
            importlib.import_module(module)
    return tuple(names())
