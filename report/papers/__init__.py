"""One module or sub-package per paper: its figures (drawers keyed by probe name) and LaTeX derivation blocks.

Found by package scan of this folder and of the folders named in ``ATV_PAPERS``, like ``theory.papers``.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from theory.papers import extension_folders

__path__ = [*__path__, *extension_folders("report")]


@lru_cache(maxsize=None)
def load_all() -> dict:
    """paper name -> its report module (every module defines FIGURES: probe name -> draw(data, out_dir))."""
    return {module.name: importlib.import_module(f"{__name__}.{module.name}")
            for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)}
