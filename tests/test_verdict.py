"""The verdict rules, each with a case that must come out VIOLATED."""
from __future__ import annotations

import pytest

from numerics.stats import Interval
from verify.verdict import ConfigResult, Status, combined_status, judge, worst


def iv(low: float, high: float) -> Interval:
    return Interval((low + high) / 2, low, high, (high - low) / 4, 1e-3)


@pytest.mark.parametrize("low, high, expected", [
    (0.95, 1.05, Status.HOLDS),
    (0.90, 1.10, Status.HOLDS),  # the band is closed
    (1.15, 1.25, Status.VIOLATED),  # e.g. a claimed variance 1.2x too small
    (0.70, 0.85, Status.VIOLATED),  # a claimed variance 1.2x too large
    (1.05, 1.15, Status.INCONCLUSIVE),
    (0.50, 1.50, Status.INCONCLUSIVE),
])
def test_ratio_rule(low, high, expected):
    assert judge(iv(low, high), 0.1, "ratio") is expected


def test_difference_rule_targets_zero():
    assert judge(iv(-0.02, 0.03), 0.05, "difference") is Status.HOLDS
    assert judge(iv(0.2, 0.4), 0.05, "difference") is Status.VIOLATED
    assert judge(iv(0.9, 1.1), 0.05, "difference") is Status.VIOLATED  # a ratio-style 1 is not 0


def test_negative_tolerance_is_refused():
    with pytest.raises(ValueError):
        judge(iv(0.9, 1.1), -0.1, "ratio")


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
