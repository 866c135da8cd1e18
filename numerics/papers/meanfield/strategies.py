"""Hypothesis strategies for consistent configurations of the mean-field paper's networks (re-exported for
users' own tests as ``verify.strategies``; the check-bound quantities sample from them).

The domain is the mean-field regime the paper states (width well above depth, moderate variances); every
bound is narrowed or widened by keyword arguments.
"""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from theory.papers.meanfield.bounds import NETWORK_OPTIONS
from theory.papers.meanfield.network import ARCHITECTURES, NetworkSpec

#: the norm orders in the order the search draws them (the seed of a search reproduces its configurations)
NORMS = tuple(sorted(NETWORK_OPTIONS["p"]))


@st.composite
def network_specs(draw, d=(2, 16), K=(1, 8), N=(64, 256), L=(1, 6), sigma_w2=(0.5, 2.5), sigma_b2=(0.0, 0.5),
                  u=(0.5, 1.5), v=(-0.5, 0.5), archs=ARCHITECTURES, min_width_per_layer: int = 16) -> NetworkSpec:
    """A NetworkSpec with N >= min_width_per_layer * L (the regime N >> L where mean-field claims are made),
    unless the N range itself sits below that."""
    depth = draw(st.integers(*L))
    floor = min(max(N[0], min_width_per_layer * depth), N[1])
    width = draw(st.integers(floor, N[1]))
    return NetworkSpec(
        arch=draw(st.sampled_from(archs)), d=draw(st.integers(*d)), K=draw(st.integers(*K)), N=width, L=depth,
        sigma_w2=draw(st.floats(*sigma_w2)), sigma_b2=draw(st.floats(*sigma_b2)),
        u=draw(st.floats(*u)), v=draw(st.floats(*v)),
    )


def norm_pairs(pairs=None) -> st.SearchStrategy[tuple[str, str]]:
    """(p, q) in {1, 2, oo}^2 (or among ``pairs``), written as the strings claim ids use."""
    if pairs:
        return st.sampled_from(list(pairs))
    return st.tuples(st.sampled_from(NORMS), st.sampled_from(NORMS))


@dataclass(frozen=True)
class AttackConfig:
    """One adversarial-loss experiment: a network, a norm pair, a radius eps = eps_fraction ||x||_p, a seed."""

    spec: NetworkSpec
    p: str
    q: str
    eps_fraction: float
    seed: int


@st.composite
def attack_configs(draw, eps_fraction=(0.01, 0.25), norms=None, **spec_ranges) -> AttackConfig:
    p, q = draw(norm_pairs(norms))
    return AttackConfig(draw(network_specs(**spec_ranges)), p, q, draw(st.floats(*eps_fraction)),
                        draw(st.integers(0, 2**31 - 1)))
