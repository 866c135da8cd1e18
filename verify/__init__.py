"""Orchestration and the user-facing surface: claims -> experiments -> verdicts.

``verify.check_bound`` is the Python entry point of ``atv check-bound`` (imported lazily: it loads torch).
"""


def check_bound(*args, **kwargs):
    """Search for a counterexample to a bound; see ``verify.checker.check_bound``."""
    from verify.checker import check_bound as run

    return run(*args, **kwargs)
