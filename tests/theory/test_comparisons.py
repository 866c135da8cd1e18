"""Each comparison owns its band, its judgement, its severity, its relation and its renderings
(theory.comparisons); an interval planted outside each band must come out VIOLATED."""
from __future__ import annotations

import math
import pickle
from types import SimpleNamespace

import pytest
import sympy as sp
from scipy import stats as sst

from numerics.estimate import Estimate
from numerics.stats import Interval, range_interval
from theory.claims import Claim
from theory.comparisons import COMPARISONS, Status, comparison
from verify.schema import CONFIG_SCHEMA, VERDICT_SCHEMA

INF = math.inf


@pytest.mark.parametrize("name, tolerance, theory, band, inside, outside, straddling", [
    ("ratio", 0.1, 2.0, (0.9, 1.1), (0.95, 1.05), (1.15, 1.25), (1.05, 1.15)),
    ("ratio", 0.1, 2.0, (0.9, 1.1), (0.9, 1.1), (0.7, 0.85), (0.5, 1.5)),  # closed; too small is outside too
    ("difference", 0.05, 2.0, (-0.05, 0.05), (-0.02, 0.03), (0.9, 1.1), (0.0, 0.1)),  # a ratio's 1 is not 0
    ("at_most", 0.1, 2.0, (-INF, 1.1), (-5.0, 1.1), (1.2, 1.3), (1.0, 1.2)),
    ("at_least", 0.1, 2.0, (0.9, INF), (0.9, 5.0), (0.7, 0.85), (0.8, 1.0)),
    ("sign", 0.0, 1.0, (0.0, INF), (0.17, 0.25), (-0.2, -0.1), (-0.1, 0.1)),
    ("sign", 0.0, -1.0, (-INF, 0.0), (-0.25, -0.17), (0.1, 0.2), (0.0, 0.1)),  # open at 0: a zero slope has no sign
])
def test_an_interval_inside_holds_outside_violates_and_straddling_is_inconclusive(name, tolerance, theory, band,
                                                                                    inside, outside, straddling):
    compared = COMPARISONS[name]
    assert compared.band(tolerance, theory) == band
    assert compared.judge(*inside, tolerance, theory) is Status.HOLDS
    assert compared.judge(*outside, tolerance, theory) is Status.VIOLATED
    assert compared.judge(*straddling, tolerance, theory) is Status.INCONCLUSIVE


@pytest.mark.parametrize("name", ["rate_at_most", "test"])
def test_a_tested_comparison_is_violated_below_the_level_whatever_the_interval(name):
    compared = COMPARISONS[name]
    assert compared.judge(0.0, 0.1, 0.0, 1e-3, p_value=1e-4, delta=1e-3) is Status.VIOLATED
    assert compared.judge(0.0, 0.1, 0.0, 1e-3, p_value=1e-3, delta=1e-3) is Status.HOLDS
    with pytest.raises(ValueError, match="p-value"):
        compared.judge(0.0, 0.1, 0.0, 1e-3)


def test_a_negative_tolerance_is_refused_by_every_comparison():
    for compared in COMPARISONS.values():
        with pytest.raises(ValueError, match="tolerance"):
            compared.judge(0.9, 1.1, -0.1, 1.0, p_value=0.5, delta=1e-3)


@pytest.mark.parametrize("name, theory, closer, farther", [
    ("ratio", 1.0, (1.2, None), (0.95, None)),  # either side of 1
    ("difference", 0.0, (-0.3, None), (0.1, None)),
    ("at_most", 1.0, (0.9, None), (0.5, None)),
    ("at_least", 1.0, (1.1, None), (1.5, None)),  # a value nearer the lower bound
    ("sign", 1.0, (0.1, None), (0.5, None)),  # a slope nearer 0
    ("sign", -1.0, (-0.1, None), (-0.5, None)),
    ("rate_at_most", 1e-3, (0.01, 0.5), (0.001, 0.5)),
    ("test", 0.0, (1.0, 0.01), (5.0, 0.5)),  # a smaller p-value, whatever the statistic
])
def test_severity_ranks_the_configuration_closer_to_violating_first(name, theory, closer, farther):
    compared = COMPARISONS[name]
    assert compared.severity(closer[0], theory, closer[1]) > compared.severity(farther[0], theory, farther[1])


@pytest.mark.parametrize("name, scale, shift, refused", [
    ("ratio", 0.5, 0.0, True), ("difference", 1.0, -2.0, False), ("at_most", 0.5, 0.0, True), ("at_least", 0.5, 0.0, True),
    ("sign", 1.0, 0.0, False), ("rate_at_most", 1.0, 0.0, False), ("test", 1.0, 0.0, False),
])
def test_the_statistic_is_put_in_the_band_s_units(name, scale, shift, refused):
    compared = COMPARISONS[name]
    assert (compared.scale(2.0), compared.shift(2.0)) == (scale, shift)
    assert compared.refusal(2.0) == ""
    assert bool(compared.refusal(0.0)) == refused  # a ratio against 0 means nothing


TEST_RECORD = {"tolerance": 0.0, "theory": 0.0, "p_value": 0.5, "extras": {
    "test": "Anderson-Darling", "level": 0.001, "critical_value": 6.0, "power": 0.95, "alternative": "a Laplace law"}}


@pytest.mark.parametrize("name, record, formula, prefix, text, latex", [
    ("ratio", {"tolerance": 0.1, "theory": 2.0, "extras": {}}, r"\frac{1}{10}", "x", "1\u00b10.100",
     r"measured/theory in $[0.9, 1.1]$, $\tau = \frac{1}{10} = 0.1$"),
    ("difference", {"tolerance": 0.05, "theory": 2.0, "extras": {"runs": 3, "runs_outside": 1}}, "0.05", "+",
     "0\u00b10.050", r"measured $-$ theory in $[-0.05, 0.05]$, $\tau = 0.05$ (each of 3 runs must lie in it; 1 outside)"),
    ("at_most", {"tolerance": 0.0, "theory": 7.4, "extras": {}}, "0", "x", "\u22641.000",
     r"measured/bound $\le 1 + \tau = 1$ (no slack, $\tau = 0$)"),
    ("at_least", {"tolerance": 0.1, "theory": 2.0, "extras": {}}, r"\frac{1}{10}", "x", "\u22650.900",
     r"measured/bound $\ge 1 - \tau = 0.9$ (slack $\tau = \frac{1}{10} = 0.1$)"),
    ("sign", {"tolerance": 0.0, "theory": -1.0, "extras": {}}, "0", "", "<0",
     "sign test: the interval must lie wholly below 0"),
    ("rate_at_most", {"tolerance": 0.0, "theory": 1e-6, "p_value": 1.0, "extras": {}}, "0", "", "\u22641e-06 (test)",
     r"exact binomial test: exceedance rate $\le 10^{-6}$ at level 0.001, $p = 1$"),
    ("test", TEST_RECORD, "0", "", "p\u22651e-03 (test)",
     r"Anderson-Darling test at level 0.001: accepted when the statistic is $\le 6$, i.e.\ $p \ge$ the level "
     r"($p = 0.5$); power 0.95 against a Laplace law"),
])
def test_each_comparison_renders_its_band_for_the_terminal_and_the_report(name, record, formula, prefix, text, latex):
    compared = COMPARISONS[name]
    assert compared.prefix == prefix
    assert compared.text(record["tolerance"], record["theory"], 1e-3) == text
    assert compared.latex(record, formula, 1e-3) == latex


def test_notes_state_the_rule_applied():
    speaker = SimpleNamespace(tolerance=0.0884, theory=1e-6, statistic=0.4, extras=TEST_RECORD["extras"] | {
        "power_replicates": 200})
    assert COMPARISONS["ratio"].notes(speaker, "sqrt(L/N)", 1e-3) == [
        "tolerance tau = sqrt(L/N) = 0.0884 at the reported config"]
    assert COMPARISONS["sign"].notes(speaker, "0", 1e-3) == []
    assert "exact binomial test of the exceedance rate against 1e-06" in COMPARISONS["rate_at_most"].notes(
        speaker, "0", 1e-3)[0]
    assert "power 0.95 against a Laplace law (200 simulated" in COMPARISONS["test"].notes(speaker, "0", 1e-3)[0]


def test_a_rate_is_tested_by_its_exceedances_and_a_law_test_needs_power():
    rate = Estimate(lambda delta: Interval(0.05, 0.0, 0.1, math.nan, delta), 100, p_value=0.9, exceedances=(5, 100))
    assert COMPARISONS["rate_at_most"].p_value(rate, 0.01) == pytest.approx(sst.binom.sf(4, 100, 0.01))
    assert COMPARISONS["ratio"].p_value(rate, 0.01) == 0.9  # any other comparison reports the estimate's own
    test = SimpleNamespace(name="AD", alternative="a shift", replicates=100, n=50, power_at=lambda delta: 0.5,
                           critical_at=lambda delta: 3.0)
    weak, extras = COMPARISONS["test"].examined(Estimate(rate.interval_at, 50, p_value=0.9, test=test), 1e-3)
    assert "power against a shift is 0.50 < 0.8" in weak.weak and extras["critical_value"] == 3.0
    with pytest.raises(ValueError, match="returns a test"):
        COMPARISONS["test"].examined(rate, 1e-3)
    assert COMPARISONS["ratio"].examined(rate, 1e-3) == (rate, {})


def _claim(**fields) -> Claim:
    return Claim(**{"id": "t.c", "paper": "p", "place": "x", "quantity": "q", "lhs": sp.Symbol("s"),
                    "rhs": sp.Integer(2), "tolerance": sp.Integer(0), "regime": "r", "provenance": "derived",
                    "source": "s", **fields})


@pytest.mark.parametrize("name, kind, relation", [
    ("ratio", "equality", sp.Eq), ("difference", "equality", sp.Eq), ("at_most", "upper_bound", sp.Le),
    ("at_least", "lower_bound", sp.Ge),
    ("sign", "trend", sp.Eq), ("rate_at_most", "upper_bound", sp.Le), ("test", "distribution", sp.Eq),
])
def test_a_claim_s_kind_and_relation_follow_from_its_comparison(name, kind, relation):
    claim = _claim(comparison=name)
    assert claim.comparison is COMPARISONS[name] and claim.kind == kind
    assert isinstance(claim.relations()[0], relation)
    assert _claim(comparison=COMPARISONS[name]) == claim  # given as an object or by its name
    assert pickle.loads(pickle.dumps(claim)) == claim  # as a worker receives it


def test_a_kind_the_comparison_does_not_check_is_refused():
    assert _claim(comparison="ratio", kind="trajectory").kind == "trajectory"  # an equality about an ODE's solution
    with pytest.raises(ValueError, match="the at_most comparison checks claims of kind upper_bound, not 'equality'"):
        _claim(comparison="at_most", kind="equality")
    with pytest.raises(ValueError, match="unknown comparison 'at_mots'"):
        _claim(comparison="at_mots")


def test_the_results_schema_names_every_registered_comparison():
    assert CONFIG_SCHEMA["properties"]["comparison"]["enum"] == list(COMPARISONS)
    assert VERDICT_SCHEMA["properties"]["comparison"]["enum"] == list(COMPARISONS)
    assert all(comparison(name).name == name for name in COMPARISONS)


@pytest.mark.parametrize("runs, expected", [
    ((2.0, 2.4), Status.HOLDS),  # the bound R = 2 holds on every run
    ((0.8, 1.2), Status.VIOLATED),  # planted: every run wholly below (1 - tau) R = 1.8
    ((1.0, 2.2), Status.INCONCLUSIVE),
])
def test_a_lower_bound_is_violated_by_an_interval_wholly_below_one_minus_tau(runs, expected):
    from verify.judge import check_config

    claim = _claim(comparison="at_least", tolerance=sp.Rational(1, 10))
    assert "\u2265" in claim.text and claim.kind == "lower_bound"
    estimate = Estimate(lambda delta: range_interval(runs), len(runs), runs=runs)
    point = SimpleNamespace(values=lambda config: {}, describe=lambda config: {})
    found = check_config(claim, point, None, estimate, 1e-3, len(runs))
    assert found.status is expected and found.statistic == pytest.approx(sum(runs) / 2 / 2.0)  # in units of R
    assert found.extras["runs_outside"] == sum(run / 2.0 < 0.9 for run in runs)
