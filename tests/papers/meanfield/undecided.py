"""One assertion for true claims whose finite-width sample cannot decide them at test size."""
from verify.verdict import Status, Verdict


def assert_undecided_but_close(verdict: Verdict, within: float) -> None:
    """A true limit statement measured at one finite width (the width ladders of the limits issue decide it): not
    VIOLATED, and its measured/theory ratio within ``within`` of 1, so a bound or prediction off by more than that
    fails here instead of passing as INCONCLUSIVE forever."""
    assert verdict.status is not Status.VIOLATED, verdict
    assert abs(verdict.statistic - 1) <= within, f"{verdict.claim_id}: ratio {verdict.statistic:.3f}"
