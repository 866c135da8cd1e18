"""Hypothesis strategies for the configurations of every declared quantity, for users' own property tests:

    from hypothesis import given
    from verify.strategies import configs

    @given(configs("meanfield.adv_loss", N=(64, 128)))
    def test_my_bound(config): ...

``configs`` draws dicts with one value per domain key of the quantity and a ``seed``, the form
``verify.testing.measure`` and ``verify.check_bound`` take.  The mean-field paper's network strategies
(``attack_configs``, ``network_specs``) are re-exported as they were.
"""
from __future__ import annotations

import math
from typing import Mapping

from hypothesis import strategies as st

from numerics.papers.meanfield.strategies import NORMS, AttackConfig, attack_configs, network_specs, norm_pairs
from theory.quantities import Quantity, Range

#: the seeds of a measurement (every random draw of one configuration comes from it)
SEEDS = st.integers(0, 2**31 - 1)


def configs(quantity: str | Quantity, options: Mapping[str, object] | None = None,
            **ranges: tuple[float, float]) -> st.SearchStrategy[dict]:
    """Configurations of ``quantity`` (an id or the object), its domain narrowed by ``ranges`` (KEY=(LO, HI)),
    drawn as its measurement's column draws them for ``options``."""
    from numerics.experiment import MEASURES
    from numerics.papers import load_all
    from theory.papers import quantity as lookup

    found = lookup(quantity) if isinstance(quantity, str) else quantity
    load_all()
    chosen = found.resolve_options(options)
    domain = found.narrow(ranges)
    custom = MEASURES[found.id].strategy if found.id in MEASURES else None
    return custom(domain, chosen) if custom is not None else domain_configs(found, domain)


def domain_configs(quantity: Quantity, domain: Mapping[str, Range]) -> st.SearchStrategy[dict]:
    """One value per key from its range (shrinking toward the low end), filtered by the constraints."""
    keys = {key: values(span) for key, span in domain.items()}
    strategy = st.fixed_dictionaries({**keys, "seed": SEEDS})
    return strategy.filter(quantity.satisfies) if quantity.constraints else strategy


def values(span: Range) -> st.SearchStrategy:
    """A range's values: uniform, or log-uniform (drawn in log space) where ``log`` is set."""
    if not span.log:
        return st.integers(int(span.low), int(span.high)) if span.integer else st.floats(span.low, span.high)
    logs = st.floats(math.log(span.low), math.log(span.high))
    if span.integer:
        return logs.map(lambda x: min(max(round(math.exp(x)), int(span.low)), int(span.high)))
    return logs.map(lambda x: min(max(math.exp(x), span.low), span.high))


__all__ = ["NORMS", "AttackConfig", "attack_configs", "configs", "domain_configs", "network_specs", "norm_pairs"]
