"""One module or sub-package per paper, each defining ``REPORT``, a ``PaperReport``: the paper's section of the
document (its citation, what of it was available, its derivations block, its figures).

Found by package scan of this folder and of the folders named in ``ATV_PAPERS``, like ``theory.papers``.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Callable

from theory.papers import discover, extension_folders

if TYPE_CHECKING:
    import jinja2

    from report.bibliography import Reference
    from report.figures import Figure

__path__ = [*__path__, *extension_folders("report")]


@dataclass(frozen=True)
class PaperReport:
    """What a paper's column adds to the report (the section's frame, legend, definitions table, claims and
    verdict table are generic, built from the theory and the results).

    ``paper`` is the theory key (``theory/papers/<paper>``); ``citation`` the paper itself; ``source`` a LaTeX
    paragraph saying which parts of the paper the project could read (cite works with ``\\cite{key}``);
    ``derivations(env)`` the LaTeX of its derivations block (its own template, SymPy-printed); ``references``
    the other works the source or derivations cite; ``figures`` its figures.
    """

    paper: str
    citation: Reference
    source: str
    derivations: Callable[[jinja2.Environment], str]
    references: tuple[Reference, ...] = ()
    figures: tuple[Figure, ...] = ()


@lru_cache(maxsize=None)
def reports() -> dict[str, PaperReport]:
    """paper key -> its ``PaperReport``, in the order of ``theory.papers.discover`` (the central paper first)."""
    found = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        report = getattr(importlib.import_module(f"{__name__}.{module.name}"), "REPORT", None)
        if not isinstance(report, PaperReport):
            raise ValueError(f"report/papers/{module.name} must define REPORT, a report.papers.PaperReport")
        found[report.paper] = report
    order = list(discover())
    unknown = [key for key in found if key not in order]
    if unknown:
        raise ValueError(f"report/papers: REPORT.paper {unknown[0]!r} is not a paper in theory/papers")
    return {key: found[key] for key in order if key in found}
