"""The registry: ids, globs, provenance, and that every claim names an estimator that exists."""
from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from numerics.experiment import ESTIMATORS
from numerics.papers import load_all
from theory.claims import PROVENANCES, ClaimGroup, Registry, UnknownClaimError
from theory.papers.meanfield.network import ARCHITECTURES
from theory.registry import REGISTRY
from theory.printing import latex

THM41 = ["jacobian_variance", "bias_variance", "jacobian_gaussian", "bias_gaussian", "independence",
         "input_independence"]


def test_theorem_4_1_has_every_claim_for_both_architectures():
    ids = {c.id for c in REGISTRY}
    for arch in ARCHITECTURES:
        for name in THM41:
            assert f"meanfield.thm4_1.{name}.{arch}" in ids
    assert all(c.id.endswith(f".{c.arch}") for c in REGISTRY if c.arch)


def test_every_claim_is_well_formed():
    load_all()
    for c in REGISTRY:
        assert c.quantity in ESTIMATORS, c.id
        assert c.provenance in PROVENANCES
        assert isinstance(c.rhs, sp.Expr) and isinstance(c.tolerance, sp.Expr)
        shown = c.rhs if c.abstract is None else c.abstract
        bound = c.kind == "upper_bound"  # a bound on a value or on a failure rate reads "<="
        relation = sp.Le if bound else sp.Eq
        assert c.statement.startswith(latex(relation(c.lhs, shown, evaluate=False), {c.lhs: c.lhs_latex}))
        assert isinstance(c.relations()[0], sp.Le) == bound and ("≤" in c.text) >= bound
        assert c.consistent(), c.id  # the abstract form, its definitions written out, equals rhs
        assert c.comparison.name == "difference" or c.rhs != 0


def test_results_schema_knows_every_provenance():
    from verify.schema import VERDICT_SCHEMA  # kept free of SymPy, so it spells the values out

    assert VERDICT_SCHEMA["properties"]["provenance"]["enum"] == ["", *PROVENANCES]


def test_an_unknown_provenance_is_refused():
    claim = REGISTRY["meanfield.thm4_1.jacobian_variance.vanilla"]
    with pytest.raises(ValueError, match="provenance must be one of"):
        dataclasses.replace(claim, provenance="folklore")


def test_an_abstract_form_that_disagrees_with_rhs_is_caught():
    claim = REGISTRY["meanfield.thm4_1.jacobian_variance.vanilla"]
    assert claim.consistent() and not dataclasses.replace(claim, rhs=2 * claim.rhs).consistent()


def test_ids_are_matched_without_building_a_claim_and_groups_build_what_they_declare():
    claim = REGISTRY["meanfield.thm4_1.jacobian_variance.vanilla"]
    calls = []

    def build():
        calls.append(1)
        return [claim, dataclasses.replace(claim, id="x.second")]

    registry = Registry()
    registry.register([ClaimGroup((claim.id, "x.second"), build)])
    assert registry.match(["x.*"]) == ["x.second"] and not calls
    assert registry["x.second"].id == "x.second" and registry[claim.id] is claim and calls == [1]
    wrong = Registry()
    wrong.register([ClaimGroup(("x.declared",), lambda: [claim])])
    with pytest.raises(ValueError, match="declares x.declared but builds meanfield.thm4_1"):
        wrong["x.declared"]


def test_glob_selection_and_unknown_patterns():
    assert len(REGISTRY.select(["*"])) == len(REGISTRY)
    # per architecture: 7 on the variances, 9 beyond them, 5 in the limit N -> oo
    assert len(REGISTRY.select(["meanfield.thm4_1.*"])) == 42
    vanilla = REGISTRY.select(["meanfield.thm4_1.*.vanilla"])
    assert vanilla and all(c.arch == "vanilla" for c in vanilla)
    both = REGISTRY.select(["*jacobian_variance*", "meanfield.thm4_1.jacobian_variance.vanilla"])
    assert [c.id for c in both] == ["meanfield.thm4_1.jacobian_variance.vanilla",
                                    "meanfield.thm4_1.jacobian_variance.limit.vanilla",
                                    "meanfield.thm4_1.jacobian_variance.residual",
                                    "meanfield.thm4_1.jacobian_variance.limit.residual"]
    with pytest.raises(UnknownClaimError, match="nosuch"):
        REGISTRY.select(["nosuch"])


def test_duplicate_ids_are_refused():
    registry = Registry()
    claim = next(iter(REGISTRY))
    registry.register([claim])
    with pytest.raises(ValueError, match="twice"):
        registry.register([dataclasses.replace(claim)])
