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


def quantities() -> dict:
    """Every declared quantity of every paper, by id (``theory.quantities.Quantity``), in paper order."""
    return {quantity.id: quantity for paper in discover().values() for quantity in paper.quantities}


def quantity(name: str):
    """The quantity with id ``name`` (or a bare name that only one paper declares); a LookupError listing the
    ids otherwise."""
    known = quantities()
    if name in known:
        return known[name]
    bare = [found for found in known.values() if found.name == name]
    if len(bare) == 1:
        return bare[0]
    raise LookupError(f"--quantity must be one of {', '.join(known)}, got {name!r}")
