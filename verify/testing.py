"""``verify.testing``: property-test your own bounds on the papers' quantities from pytest (a pytest plugin).

    from hypothesis import given
    from verify.testing import assert_bound, configs, measure

    def test_my_bound_on_the_adversarial_loss():
        assert_bound("eps*(1 + sqrt(K/d))*sqrt(omega**L)*1.5", "meanfield.adv_loss", p="2", q="2", examples=50)

    @given(configs("meanfield.gaussian_opnorm", d=(4, 64)))
    def test_beta_is_positive(config):
        assert measure("meanfield.gaussian_opnorm", config).value > 0

``assert_bound`` runs the same search as ``atv check-bound`` inside your test and fails with the shrunk
counterexample and the command line that replays it.  Installed with the project, pytest loads this module as a
plugin (entry point ``pytest11``): it adds ``--atv-seed`` (the seed every ``assert_bound`` without its own
``seed`` uses, default 0, so a test is reproducible) and the ``atv_seed`` fixture.  Importing it loads no torch.
"""
from __future__ import annotations

from typing import Any, Mapping

import pytest

#: the seed of ``assert_bound`` calls that give none (``--atv-seed``)
_SEED = {"value": 0}


def configs(quantity: str, options: Mapping[str, object] | None = None, **ranges: tuple[float, float]):
    """Hypothesis strategy of ``quantity``'s configurations (``verify.strategies.configs``, imported on first use
    so that loading the plugin costs pytest nothing)."""
    from verify.strategies import configs as strategy

    return strategy(quantity, options, **ranges)


def measure(quantity: str, config: Mapping[str, Any], seed: int | None = None, **options: object):
    """One measurement (``numerics.experiment.Measurement``: value, values, interval) of ``quantity`` at
    ``config`` (a dict drawn by ``configs``; ``seed`` replaces the config's own)."""
    from verify.checker import measure_of

    found = measure_of(quantity)
    point = {**config, **({} if seed is None else {"seed": seed})}
    return found(found.quantity.read_config(point), found.quantity.resolve_options(options))


def assert_bound(bound, quantity: str, *, lower: bool = False, examples: int | None = None, seed: int | None = None,
                 domain: Mapping[str, tuple[float, float]] | None = None, **options: object) -> None:
    """Fail (AssertionError) when a measurement of ``quantity`` refutes ``bound`` somewhere in the domain.

    ``bound`` is text, a SymPy expression or a callable of the quantity's symbols; ``lower`` makes it a lower
    bound; ``options`` are the quantity's options (``p="2"``, ``arch="residual"``, ...).
    """
    from theory.papers import quantity as lookup
    from verify.bound_options import BoundRequest
    from verify.checker import check_bound

    result = check_bound(bound, quantity, options=options, lower=lower, examples=examples,
                         seed=_SEED["value"] if seed is None else seed, domain=domain)
    if result.found:
        request = BoundRequest(lookup(result.quantity), result.expression, result.options, lower, {}, None)
        interval = "" if result.interval is None else f" (interval {result.interval[0]:.6g}..{result.interval[1]:.6g})"
        raise AssertionError(
            f"{result.quantity}: measured {result.observed:.6g}{interval} {result.relation} bound {result.bound:.6g} "
            f"(ratio {result.ratio:.4g}) at "
            + ", ".join(f"{k}={v!r}" for k, v in result.config.items())
            + f" after {result.examples} configuration(s); replay: {request.replay(result.config)}")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--atv-seed", type=int, default=0,
                     help="atv: the search seed of assert_bound calls that give none (default 0)")


def pytest_configure(config: pytest.Config) -> None:
    _SEED["value"] = config.getoption("--atv-seed", default=0)


@pytest.fixture
def atv_seed(request: pytest.FixtureRequest) -> int:
    """The ``--atv-seed`` of this session."""
    return request.config.getoption("--atv-seed")


__all__ = ["assert_bound", "configs", "measure"]
