"""Hypothesis strategies for consistent configurations, for users' own property tests (README):

    from hypothesis import given
    from verify.strategies import attack_configs

    @given(attack_configs())
    def test_my_bound(config): ...

They are the mean-field paper's (``numerics.papers.meanfield.strategies``), re-exported here as the stable API.
"""
from numerics.papers.meanfield.strategies import NORMS, AttackConfig, attack_configs, network_specs, norm_pairs

__all__ = ["NORMS", "AttackConfig", "attack_configs", "network_specs", "norm_pairs"]
