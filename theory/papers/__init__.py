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


def quantity_ids() -> list[str]:
    """Every declared quantity's id, in paper order, without building any quantity."""
    return [f"{paper.key}.{name}" for paper in discover().values() for name in paper.quantities]


@lru_cache(maxsize=None)
def _built(key: str) -> dict:
    """The quantities of paper ``key`` by id, built now; an error if they are not the ones it declares."""
    paper = discover()[key]
    built = {quantity.id: quantity for quantity in paper.build_quantities()}
    declared = [f"{key}.{name}" for name in paper.quantities]
    if sorted(built) != sorted(declared):
        raise ValueError(f"paper {key!r} declares the quantities {', '.join(declared)} but builds {', '.join(built)}")
    return {quantity_id: built[quantity_id] for quantity_id in declared}


def quantities() -> dict:
    """Every declared quantity of every paper, by id (``theory.quantities.Quantity``), in paper order."""
    return {quantity_id: quantity for key in discover() for quantity_id, quantity in _built(key).items()}


def quantity(name: str):
    """The quantity with id ``name`` (or a bare name that only one paper declares), building only its paper's;
    a LookupError listing the ids otherwise."""
    ids = quantity_ids()
    if name not in ids:
        bare = [quantity_id for quantity_id in ids if quantity_id.partition(".")[2] == name]
        if len(bare) != 1:
            raise LookupError(f"--quantity must be one of {', '.join(ids)}, got {name!r}")
        name = bare[0]
    return _built(name.partition(".")[0])[name]
