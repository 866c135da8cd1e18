"""The verdict rules, each with a case that must come out VIOLATED."""
from __future__ import annotations

import pytest

from theory.comparisons import COMPARISONS
from verify.verdict import ConfigResult, Status, combined_status, worst


@pytest.mark.parametrize("low, high, expected", [
    (0.95, 1.05, Status.HOLDS),
    (0.90, 1.10, Status.HOLDS),  # the band is closed
    (1.15, 1.25, Status.VIOLATED),  # e.g. a claimed variance 1.2x too small
    (0.70, 0.85, Status.VIOLATED),  # a claimed variance 1.2x too large
    (1.05, 1.15, Status.INCONCLUSIVE),
    (0.50, 1.50, Status.INCONCLUSIVE),
])
def test_ratio_rule(low, high, expected):
    assert COMPARISONS["ratio"].judge(low, high, 0.1, 1.0) is expected


def test_difference_rule_targets_zero():
    difference = COMPARISONS["difference"]
    assert difference.judge(-0.02, 0.03, 0.05, 0.0) is Status.HOLDS
    assert difference.judge(0.2, 0.4, 0.05, 0.0) is Status.VIOLATED
    assert difference.judge(0.9, 1.1, 0.05, 0.0) is Status.VIOLATED  # a ratio-style 1 is not 0


def test_negative_tolerance_is_refused():
    with pytest.raises(ValueError):
        COMPARISONS["ratio"].judge(0.9, 1.1, -0.1, 1.0)


def _result(status: Status, statistic: float) -> ConfigResult:
    return ConfigResult({}, status, "ratio", statistic, statistic - 0.01, statistic + 0.01, 0.1, 10, 2,
                        statistic, 1.0)


def test_one_violated_configuration_violates_the_claim():
    results = [_result(Status.HOLDS, 1.0), _result(Status.VIOLATED, 1.3), _result(Status.INCONCLUSIVE, 1.1)]
    assert combined_status(results) is Status.VIOLATED
    assert worst(results).statistic == 1.3
    assert combined_status([_result(Status.HOLDS, 1.0)] * 3) is Status.HOLDS
    assert combined_status([_result(Status.HOLDS, 1.0), _result(Status.INCONCLUSIVE, 1.1)]) is Status.INCONCLUSIVE
    assert worst([_result(Status.HOLDS, 1.01), _result(Status.HOLDS, 0.95)]).statistic == 0.95


def test_an_undecided_result_says_which_edge_and_how_many_units_would_decide_it():
    from verify.judge import undecided
    from verify.verdict import ConfigResult

    def result(statistic, low, high):
        return ConfigResult({}, Status.INCONCLUSIVE, "ratio", statistic, low, high, 0.1, 100, 100, statistic, 1.0)

    # estimate 1.05 inside the band [0.9, 1.1], half-width 0.1, 0.05 from the edge: 4x the units -> HOLDS
    assert "edge 1.1" in undecided(result(1.05, 0.95, 1.15)) and "(400) would make it HOLDS" in undecided(
        result(1.05, 0.95, 1.15))
    assert "would make it VIOLATED" in undecided(result(1.15, 1.05, 1.25))
    assert "no sample size decides" in undecided(result(1.1, 1.0, 1.2))


def test_out_of_regime_configurations_are_reported_but_never_decide_a_claim_that_has_others():
    out = _result(Status.OUT_OF_REGIME, 5.0)
    assert combined_status([out, _result(Status.HOLDS, 1.0)]) is Status.HOLDS
    assert combined_status([out, _result(Status.VIOLATED, 1.3)]) is Status.VIOLATED
    assert combined_status([out, out]) is Status.OUT_OF_REGIME
    assert worst([out, _result(Status.HOLDS, 1.0)]).status is Status.HOLDS  # the in-regime one speaks


def test_range_interval_spans_the_runs_around_their_median():
    from numerics.stats import range_interval

    found = range_interval([3.0, 1.0, 2.0, 10.0])
    assert (found.estimate, found.low, found.high, found.delta) == (2.5, 1.0, 10.0, 2.0 ** -3)
    with pytest.raises(ValueError):
        range_interval([1.0])
    with pytest.raises(ValueError):
        range_interval([1.0, float("nan")])


def _claim(comparison: str):
    import sympy as sp

    from theory.claims import Claim

    return Claim(id="t.c", paper="p", place="x", quantity="q", lhs=sp.Symbol("s"), rhs=sp.Integer(2),
                 tolerance=sp.Rational(1, 10), regime="r", provenance="derived", source="s", comparison=comparison)


class _Point:
    """An experiment stand-in: no theory values, an empty description."""

    def values(self, config):
        return {}

    def describe(self, config):
        return {}


@pytest.mark.parametrize("comparison, runs, outside, expected", [
    ("at_most", (1.0, 2.1, 2.3), 1, Status.INCONCLUSIVE),  # 2.3/2 > 1.1: one run over the bound
    ("at_most", (2.5, 2.6), 2, Status.VIOLATED),
    ("at_most", (0.5, 1.9), 0, Status.HOLDS),
    ("difference", (2.05, 1.95), 0, Status.HOLDS),  # shifted by the theory value 2, not divided
    ("difference", (2.05, 2.5), 1, Status.INCONCLUSIVE),
])
def test_runs_outside_the_band_are_counted_in_the_statistic_s_units(comparison, runs, outside, expected):
    from numerics.estimate import Estimate
    from numerics.stats import range_interval
    from verify.judge import check_config

    estimate = Estimate(lambda delta: range_interval(runs), len(runs), runs=runs)
    result = check_config(_claim(comparison), _Point(), None, estimate, 1e-3, len(runs))
    assert result.extras["runs_outside"] == outside and result.status is expected


def test_out_of_regime_unreliable_and_weak_estimates_override_the_interval_as_far_as_they_may():
    from numerics.estimate import Estimate
    from numerics.stats import range_interval
    from verify.judge import check_config

    inside = (0.5, 1.0)  # would HOLD
    gone = Estimate(lambda delta: range_interval(inside), 2, runs=inside, out_of_regime="eps >= gamma")
    weak = Estimate(lambda delta: range_interval(inside), 2, runs=inside, unreliable="reference failed")
    found = check_config(_claim("at_most"), _Point(), None, gone, 1e-3, 2)
    assert found.status is Status.OUT_OF_REGIME and "eps >= gamma" in found.reason
    found = check_config(_claim("at_most"), _Point(), None, weak, 1e-3, 2)
    assert found.status is Status.INCONCLUSIVE and "reference failed" in found.reason
    powerless = Estimate(lambda delta: range_interval(inside), 2, runs=inside, weak="twin too close")
    found = check_config(_claim("at_most"), _Point(), None, powerless, 1e-3, 2)
    assert found.status is Status.INCONCLUSIVE and "cannot support HOLDS: twin too close" in found.reason
    over = (2.5, 3.0)  # every run over the bound: a violation stands without the power
    found = check_config(_claim("at_most"), _Point(), None,
                         Estimate(lambda delta: range_interval(over), 2, runs=over, weak="twin too close"), 1e-3, 2)
    assert found.status is Status.VIOLATED and found.reason == ""


def test_a_verdict_with_no_usable_value_round_trips_through_json_as_null():
    import json

    from verify.verdict import Verdict

    config = vars(_result(Status.OUT_OF_REGIME, float("nan"))).copy()
    verdict = Verdict("t.c", Status.OUT_OF_REGIME, float("nan"), float("-inf"), float("inf"), 0.0, 2, [config], 0,
                      "cpu", 1.0, "n", "equality", "at_most", "s", 1e-3, provenance="derived")
    data = json.loads(json.dumps(verdict.to_json(), allow_nan=False))
    assert data["statistic"] is None and data["configs"][0]["statistic"] is None
    back = Verdict.from_json(data)
    assert back.status is Status.OUT_OF_REGIME and back.statistic != back.statistic and back.provenance == "derived"
