"""The Claim type, the Paper that groups claims, and the registry: a claim is data (an id, its source, a SymPy
right-hand side), not code.

Verification code looks claims up by id or glob; the measured quantity is named by a string that the
numerics layer resolves to a registered estimator, so theory imports nothing from the other packages.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Literal, get_args

from theory.comparisons import COMPARISONS, Comparison, comparison

if TYPE_CHECKING:  # SymPy loads with the first claim built: discovering papers and matching ids stay light
    import sympy as sp

#: where a statement comes from (DESIGN.md, "The claim"): the paper's own words, a seed document's summary of
#: it, its exact form inferred from the abstract and the results it extends, derived by the project, or the
#: project's operationalisation of a qualitative sentence
Provenance = Literal["stated", "seed", "reconstructed", "derived", "proxy"]
PROVENANCES: tuple[str, ...] = get_args(Provenance)
#: how tables print a provenance (short, so a verdict table fits its width; "stated" reads as "paper")
PROVENANCE_LABEL = {"stated": "paper", "reconstructed": "recon"}


@dataclass(frozen=True)
class Claim:
    """One checkable statement of a paper.

    ``comparison`` says how the measured statistic S meets the right-hand side R (``theory.comparisons``; given
    by name or as a Comparison).  ``kind`` follows from it: a claim declares one only where its comparison
    allows several (an equality about a law, a trajectory or a trend), and a kind the comparison does not check is
    refused.
    ``params`` are passed to the estimator, SymPy expressions evaluated at each configuration first.
    ``tolerance`` is tau as an expression in the configuration symbols (e.g. sqrt(L/N) for finite width).
    ``rhs`` is fully substituted (what gets evaluated); ``abstract`` is the same right-hand side written with
    the symbols of ``definitions`` (omega, alpha), the way the paper writes it, and is what gets printed.
    """

    id: str
    paper: str
    place: str
    quantity: str
    lhs: sp.Expr  # a symbol named by ``lhs_latex``, or an expression in defined symbols (their definitions print)
    rhs: sp.Expr
    tolerance: sp.Expr
    regime: str
    provenance: Provenance
    source: str
    arch: str | None = None
    comparison: Comparison = COMPARISONS["ratio"]  # or its name
    kind: str | None = None  # None: the comparison's first kind
    lhs_latex: str | None = None
    abstract: sp.Expr | None = None
    definitions: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()
    params: tuple[tuple[str, object], ...] = ()

    def __post_init__(self) -> None:
        if self.provenance not in PROVENANCES:
            raise ValueError(f"{self.id}: provenance must be one of {', '.join(PROVENANCES)}, got {self.provenance!r}")
        compared = comparison(self.comparison)
        kind = self.kind or compared.kinds[0]
        if kind not in compared.kinds:
            raise ValueError(f"{self.id}: the {compared.name} comparison checks claims of kind "
                             f"{' or '.join(compared.kinds)}, not {kind!r}")
        object.__setattr__(self, "comparison", compared)  # frozen: set once, here
        object.__setattr__(self, "kind", kind)

    def consistent(self) -> bool:
        """The abstract form with its definitions written out equals ``rhs`` (checked by the tests, not at
        construction: the SymPy simplification costs seconds over all claims)."""
        import sympy as sp

        return self.abstract is None or sp.simplify(expand_definitions(self.abstract, self.definitions)
                                                    - self.rhs) == 0

    def relations(self) -> list[sp.Basic]:
        """The claim as SymPy relations: lhs against rhs by the relation its comparison states (<= for a bound
        on a value or on a failure rate), in the paper's symbols; then each definition those symbols (of either
        side) use."""
        import sympy as sp

        shown = self.rhs if self.abstract is None else self.abstract
        bound = getattr(sp, self.comparison.relation)
        used = set(shown.free_symbols) | set(self.lhs.free_symbols)
        for symbol, value in self.definitions:  # in substitution order, so a definition's own symbols come later
            if symbol in used:
                used |= value.free_symbols
        return [bound(self.lhs, shown, evaluate=False)] + [
            sp.Eq(s, e, evaluate=False) for s, e in self.definitions if s in used]

    @property
    def statement(self) -> str:
        """The claim as LaTeX, printed from the SymPy objects themselves (relations joined by ``,\\quad``)."""
        from theory.printing import latex

        names = {self.lhs: self.lhs_latex} if self.lhs_latex else {}
        return r",\quad ".join(latex(relation, names) for relation in self.relations())

    @property
    def text(self) -> str:
        """The claim in Unicode mathematics for terminals: the relation, then "where" and its definitions."""
        from theory.printing import pretty

        first, *rest = (pretty(relation) for relation in self.relations())
        return first + ("\nwhere\n" + "\n".join(rest) if rest else "")


def expand_definitions(expr: sp.Expr, definitions: tuple[tuple[sp.Symbol, sp.Expr], ...]) -> sp.Expr:
    """Substitute each definition in order (later ones may define symbols used by earlier ones)."""
    import sympy as sp

    for symbol, value in definitions:
        expr = expr.subs(symbol, value)
    return sp.piecewise_fold(expr)


@dataclass(frozen=True)
class ClaimGroup:
    """Claims built together (one SymPy derivation feeds them), known by id before they are built.

    Building a claim can take a second of SymPy (dsolve, integrals); declaring the ids lets the CLI match
    ``--only`` globs and refuse a typo without building anything, and a run builds only what it checks.
    """

    ids: tuple[str, ...]
    build: Callable[[], Iterable[Claim]]


@dataclass(frozen=True)
class Paper:
    """A paper's column in ``theory/papers/<key>/``: where its claims come from, and how to build them.

    ``claims`` returns the paper's claim groups; it must be cheap (ids only), the groups build on first use.
    """

    key: str
    title: str
    authors: str
    venue: str
    claims: Callable[[], list[ClaimGroup]]
    #: the names of the quantities its theorems bound (``theory.quantities.Quantity``, id "<key>.<name>"), for
    #: check-bound and verify.testing; ``build_quantities`` returns them (it may import SymPy-heavy modules, so a
    #: refusal that only needs the names never calls it)
    quantities: tuple[str, ...] = ()
    build_quantities: Callable[[], tuple] = tuple
    #: where the paper comes in listings, tables and the report (the central paper first), then by key
    order: int = 1


class UnknownClaimError(LookupError):
    """No registered claim matches what the user asked for."""


class Registry:
    """Claims by id, in registration order; each group is built the first time one of its claims is needed."""

    def __init__(self) -> None:
        self._groups: dict[str, ClaimGroup] = {}  # id -> the group that declares it
        self._claims: dict[str, Claim] = {}  # the claims built so far

    def register(self, items: Iterable[Claim | ClaimGroup]) -> None:
        """Add built claims or groups declared by id; an id registered twice is an error."""
        for item in items:
            group = item if isinstance(item, ClaimGroup) else ClaimGroup((item.id,), lambda item=item: [item])
            for claim_id in group.ids:
                if claim_id in self._groups:
                    raise ValueError(f"claim id {claim_id!r} is registered twice")
                self._groups[claim_id] = group
            if not isinstance(item, ClaimGroup):
                self._claims[item.id] = item

    def ids(self) -> list[str]:
        """Every registered id, without building any claim."""
        return list(self._groups)

    def __getitem__(self, claim_id: str) -> Claim:
        if claim_id not in self._claims:
            self._build(self._groups[claim_id])
        return self._claims[claim_id]

    def _build(self, group: ClaimGroup) -> None:
        built = {claim.id: claim for claim in group.build()}
        if sorted(built) != sorted(group.ids):
            raise ValueError(f"a claim group declares {', '.join(group.ids)} but builds {', '.join(built)}")
        self._claims.update(built)

    def __iter__(self):
        return (self[claim_id] for claim_id in self.ids())

    def __len__(self) -> int:
        return len(self._groups)

    def match(self, patterns: Iterable[str] | None = None) -> list[str]:
        """Ids matching any glob, in registration order per pattern; every pattern must match something.
        Nothing is built: a typo is refused at once."""
        patterns = ["*"] if patterns is None else [p.strip() for p in patterns if p.strip()]
        if not patterns:
            raise UnknownClaimError("no claim pattern given; `atv claims` lists the registered ids")
        chosen: list[str] = []
        for pattern in patterns:
            hits = [i for i in self.ids() if fnmatch.fnmatchcase(i, pattern)]
            if not hits:
                raise UnknownClaimError(f"no claim matches {pattern!r}; `atv claims` lists the registered ids")
            chosen.extend(i for i in hits if i not in chosen)
        return chosen

    def select(self, patterns: Iterable[str] | None = None) -> list[Claim]:
        """Claims whose id matches any glob (built now); every pattern must match something."""
        return [self[claim_id] for claim_id in self.match(patterns)]
