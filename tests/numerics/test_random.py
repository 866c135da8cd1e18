"""numerics.random: derived seeds are stable and name-keyed, child streams independent and reproducible,
portable draws equal across calls and devices' generators kept apart."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats as sst

from numerics.random import Draws, derive_seed


def test_derived_seeds_are_stable_distinct_and_63_bit():
    assert derive_seed(0, "a") == derive_seed(0, "a")
    seeds = {derive_seed(s, name) for s in range(4) for name in ("a", "b", "job:1", "job:2")}
    assert len(seeds) == 16 and all(0 <= s < 2**63 for s in seeds)


def test_a_child_stream_depends_on_its_name_not_on_the_order_of_calls():
    first = Draws(7)
    a_then_b = (first.child("a").standard_normal(5), first.child("b").standard_normal(5))
    second = Draws(7)
    b = second.child("b").standard_normal(5)
    a = second.child("a").standard_normal(5)
    assert torch.equal(a, a_then_b[0]) and torch.equal(b, a_then_b[1])
    assert not torch.equal(a, b)


def test_child_streams_are_independent():
    """Draws of two sibling streams and of a parent and its child are uncorrelated (|r| < 4.5 / sqrt(n): a
    failure rate under 1e-5 per pair for independent streams, while a shared or shifted stream gives r = 1)."""
    n = 20_000
    parent = Draws(3)
    streams = [parent.standard_normal(n), parent.child("x").standard_normal(n), parent.child("y").standard_normal(n),
               parent.child("x").child("y").standard_normal(n)]
    for i in range(len(streams)):
        for j in range(i + 1, len(streams)):
            r = np.corrcoef(streams[i].numpy(), streams[j].numpy())[0, 1]
            assert abs(r) < 4.5 / np.sqrt(n), (i, j, r)


def test_draws_follow_their_laws():
    draws = Draws(11)
    assert sst.kstest(draws.standard_normal(4000).numpy(), "norm").pvalue > 1e-4
    assert sst.kstest(draws.uniform(4000).numpy(), "uniform").pvalue > 1e-4
    assert sst.kstest(draws.exponential(4000).numpy(), "expon").pvalue > 1e-4
    assert sst.kstest((draws.normal(3.0, 4000) / 3.0).numpy(), "norm").pvalue > 1e-4
    signs = draws.signs(4000)
    assert set(signs.tolist()) == {-1.0, 1.0} and abs(float(signs.mean())) < 4.5 / np.sqrt(4000)
    ints = draws.integers(2, 5, 1000)
    assert ints.dtype == torch.int64 and set(ints.tolist()) == {2, 3, 4}


def test_the_same_seed_reproduces_every_draw_and_another_seed_does_not():
    def sequence(seed):
        d = Draws(seed)
        return torch.cat([d.standard_normal(3), d.uniform(3), d.standard_normal(2, portable=True)])

    assert torch.equal(sequence(5), sequence(5))
    assert not torch.equal(sequence(5), sequence(6))


def test_portable_draws_come_from_their_own_stream_and_are_equal_across_calls():
    """A portable draw does not depend on how many device draws came before it (inputs stay the same when the
    weights' draws change), and two objects with one seed give equal portable draws."""
    plain = Draws(9)
    busy = Draws(9)
    busy.standard_normal(100)  # device draws in between
    busy.normal(2.0, 50)
    assert torch.equal(plain.standard_normal((4, 3), portable=True), busy.standard_normal((4, 3), portable=True))
    assert torch.equal(plain.uniform(6, portable=True), busy.uniform(6, portable=True))
    assert not torch.equal(Draws(9).standard_normal(6, portable=True), Draws(9).standard_normal(6))


def test_shapes_dtypes_and_out():
    draws = Draws(1)
    assert draws.standard_normal((2, 3)).shape == (2, 3) and draws.standard_normal(4).dtype == torch.float64
    assert draws.uniform(np.int64(3), dtype=torch.float32).dtype == torch.float32
    out = torch.empty(5, dtype=torch.float64)
    assert draws.normal(1.0, 5, out=out) is out
    with pytest.raises(ValueError, match="device draws only"):
        draws.normal(1.0, 5, portable=True, out=out)


def test_a_bad_seed_is_refused():
    for bad in (-1, 2**63, 1.5, True):
        with pytest.raises(ValueError, match=r"a seed must be an integer in \[0, 2\^63\)"):
            Draws(bad)
