"""Orchestration and the user-facing surface: claims -> experiments -> verdicts.

``verify.run`` is the Python entry point of ``atv run`` and ``verify.Results`` what it returns;
``verify.check_bound`` is the Python entry point of ``atv check-bound`` (imported lazily: they load torch).
"""
import numerics  # noqa: F401  (before torch allocates: the package sets torch's huge-page allocation)


def check_bound(*args, **kwargs):
    """Search for a counterexample to a bound; see ``verify.checker.check_bound``."""
    from verify.checker import check_bound as run

    return run(*args, **kwargs)


def run(*args, **kwargs):
    """Verify the registered claims and return their verdicts; see ``verify.api.run``."""
    from verify.api import run as verify_run

    return verify_run(*args, **kwargs)


def __getattr__(name: str):
    if name == "Results":  # a class cannot be wrapped like the functions above
        from verify.results import Results

        return Results
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
