"""The report's bibliography: each paper's report lists the works it cites as data; BibTeX is written from it.

Internal documents (seed summaries, design notes) are never references: a reader cannot look them up.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    """One published work.  ``key`` is what ``\\cite`` uses; ``venue`` is the proceedings or journal name."""

    key: str
    authors: tuple[str, ...]
    title: str
    year: int
    venue: str = ""
    eprint: str = ""  # arXiv identifier
    note: str = ""  # e.g. an OpenReview id where no arXiv version exists

    def bibtex(self) -> str:
        kind = "inproceedings" if self.venue else "misc"
        fields = {"author": " and ".join(self.authors), "title": "{" + self.title + "}", "year": str(self.year),
                  "booktitle": self.venue, "eprint": self.eprint, "archivePrefix": "arXiv" if self.eprint else "",
                  "note": "; ".join(part for part in (self.note, self.eprint and f"arXiv:{self.eprint}") if part)}
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items() if value)
        return f"@{kind}{{{self.key},\n{body}\n}}\n"


def bibliography(references: list[Reference]) -> str:
    """The .bib text of every distinct reference; one key naming two different works is an error."""
    seen: dict[str, Reference] = {}
    for reference in references:
        if seen.setdefault(reference.key, reference) != reference:
            raise ValueError(f"the citation key {reference.key!r} names two different works")
    return "\n".join(reference.bibtex() for reference in seen.values())
