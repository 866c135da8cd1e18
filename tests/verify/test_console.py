"""verify.console: the verdict table (numbers where judged, dashes where not), the violations table, counts."""
from __future__ import annotations

import io

import pytest
from rich.console import Console

from verify.console import NONE, _count, verdict_table, violations_table
from verify.verdict import ConfigResult, Status, Verdict


def _config(status: Status, statistic: float) -> dict:
    return vars(ConfigResult({}, status, "ratio", statistic, statistic - 0.01, statistic + 0.01, 0.1, 10, 2,
                             statistic, 1.0)).copy()


def _verdict(status: Status, statistic: float, low: float, high: float, **kwargs) -> Verdict:
    return Verdict("t.c", status, statistic, low, high, 0.1, 2, [_config(status, statistic)], 0, "cpu", 1.0, "n",
                   "equality", "ratio", "s", 1e-3, provenance="derived", **kwargs)


def _render(table) -> str:
    out = io.StringIO()
    Console(file=out, width=200).print(table)
    return out.getvalue()


def _row(verdict: Verdict) -> str:
    return next(line for line in _render(verdict_table([verdict])).splitlines() if line.strip().startswith("t.c"))


NOTHING = (float("nan"), float("-inf"), float("inf"))  # what an estimate with no usable value gives


@pytest.mark.parametrize("numbers, resumed", [(NOTHING, False), (NOTHING, True), ((175.1, 76.7, 288.9), False)])
def test_an_out_of_regime_row_shows_dashes_not_numbers(numbers, resumed):
    """Nothing was judged, so the table says so instead of printing xnan and -inf..inf, or a measured ratio that
    reads like a violation (a resumed verdict reads its nulls back as NaN)."""
    verdict = _verdict(Status.OUT_OF_REGIME, *numbers)
    if resumed:
        verdict = Verdict.from_json(verdict.to_json())
    row = _row(verdict)
    assert "nan" not in row and "inf" not in row and "175" not in row and row.count(NONE) == 2
    assert "OUT_OF_REGIME" in row and "1\u00b10.100" in row  # the band it would have been judged against


def test_a_judged_row_shows_its_statistic_interval_band_and_counts():
    row = _row(_verdict(Status.HOLDS, 1.02, 0.98, 1.06))
    assert "x1.020" in row and "0.980..1.060" in row and "1\u00b10.100" in row
    assert "2/2" in row and "HOLDS" in row and NONE not in row


def test_a_row_that_measured_nothing_shows_dashes_whatever_its_status():
    row = _row(_verdict(Status.INCONCLUSIVE, *NOTHING))  # e.g. a reference failed
    assert row.count(NONE) == 2 and "nan" not in row and "INCONCLUSIVE" in row


def test_the_violations_table_lists_the_smallest_violating_configuration_or_is_absent():
    assert violations_table([_verdict(Status.HOLDS, 1.0, 0.99, 1.01)]) is None
    found = {"d": 4, "L": 2, "statistic": 1.5, "ci_low": 1.4, "ci_high": 1.6}
    text = _render(violations_table([_verdict(Status.VIOLATED, 1.5, 1.4, 1.6, smallest_violation=found)]))
    assert "d=4, L=2" in text and "1.500" in text and "1.400..1.600" in text


@pytest.mark.parametrize("n, shown", [(999, "999"), (1000, "1.0k"), (1_234_567, "1.2M"), (3 * 10**9, "3.0G")])
def test_counts_read_at_a_glance(n, shown):
    assert _count(n) == shown
