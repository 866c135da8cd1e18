"""One sub-package per paper (``theory/papers/<paper>/``), each defining ``PAPER``, a ``theory.claims.Paper``.

Papers are found by package scan of this folder and of every folder named in the environment variable
``ATV_PAPERS`` (``os.pathsep``-separated) that has the same layout (``<folder>/theory/papers/<paper>/``,
``<folder>/numerics/papers/<paper>/``, ...): adding a paper touches only its own folders.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
from functools import lru_cache
from pathlib import Path

ENVIRONMENT = "ATV_PAPERS"


def extension_folders(layer: str) -> list[str]:
    """``<folder>/<layer>/papers`` for every folder in ATV_PAPERS that has one (``layer``: theory, numerics, ...)."""
    folders = [Path(entry) / layer / "papers" for entry in os.environ.get(ENVIRONMENT, "").split(os.pathsep) if entry]
    return [str(folder) for folder in folders if folder.is_dir()]


__path__ = [*__path__, *extension_folders("theory")]


@lru_cache(maxsize=None)
def discover() -> dict:
    """paper key -> its ``Paper``, for every sub-package, in ``Paper.order``, then key order."""
    papers = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.ispkg:
            paper = importlib.import_module(f"{__name__}.{module.name}").PAPER
            if paper.key != module.name:
                raise ValueError(f"theory/papers/{module.name}: PAPER.key is {paper.key!r}, not the folder name")
            papers[paper.key] = paper
    return dict(sorted(papers.items(), key=lambda item: (item[1].order, item[0])))


def vocabulary(quantity: str):
    """The ``BoundVocabulary`` of the paper that registers ``quantity`` for check-bound, or None."""
    for paper in discover().values():
        if paper.bounds is not None and quantity in paper.bounds.quantities:
            return paper.bounds
    return None


def quantities() -> list[str]:
    """Every check-bound quantity of every paper."""
    return [name for paper in discover().values() if paper.bounds for name in paper.bounds.quantities]
