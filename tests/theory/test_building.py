"""One claim builder for every paper's column."""
from __future__ import annotations

import sympy as sp

from theory.building import builder

x, y = sp.symbols("x y", positive=True)


def test_a_bound_builder_fills_the_paper_its_defaults_and_the_params_in_order():
    claim = builder("A paper", regime="everywhere")("a.b.c", "Thm 1", "some_estimator", "S", r"S", sp.Integer(1),
                                                    "stated", "the abstract", design="st", over="v")
    assert (claim.paper, claim.regime, claim.lhs, claim.lhs_latex, claim.tolerance) == (
        "A paper", "everywhere", sp.Symbol("S"), "S", 0)
    assert claim.comparison.name == "at_most" and claim.kind == "upper_bound" and claim.abstract is None
    assert claim.params == (("design", "st"), ("over", "v"))


def test_definitions_expand_the_right_hand_side_and_keep_the_papers_form():
    claim = builder("A paper")("a.b.d", "Thm 2", "q", "S", "S", 2 * x, "derived", "here", "anywhere",
                               comparison="ratio", defined=((x, y**2),), arch="vanilla")
    assert claim.rhs == 2 * y**2 and claim.abstract == 2 * x and claim.definitions == ((x, y**2),)
    assert claim.arch == "vanilla" and claim.params == () and claim.consistent()
