"""Operator norms against brute force, for all nine pairs; the brute force catches a planted bug."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from numerics.random import Draws
from numerics.opnorms import INF, PAIRS, _max_over_signs, opnorm, searched, sign_vertices, vector_norm


def brute_force(A: torch.Tensor, p: float, q: float) -> tuple[float, float]:
    """(lower, upper) for ||A||_{p->q} of one small matrix from first principles.

    p = 1 and p = oo: the maximum of a convex function over the ball is at a vertex (+-e_j, or sign vectors),
    so enumerating them is exact.  p = 2: the maximum over 200k random points of the sphere is a lower bound
    within 1e-3 (relative) of the true maximum for d <= 3, which gives the upper end.
    """
    K, d = A.shape
    if p == 1:
        points = torch.cat([torch.eye(d), -torch.eye(d)]).to(A.dtype)
    elif p == INF:
        points = torch.tensor(list(itertools.product((1.0, -1.0), repeat=d)), dtype=A.dtype)
    else:
        g = torch.Generator().manual_seed(0)
        points = torch.randn(200_000, d, generator=g, dtype=A.dtype)
        points /= points.norm(dim=1, keepdim=True)
    best = vector_norm(points @ A.T, q).max().item()
    return best, best * (1.0 if p != 2 else 1.0 + 1e-3)


def check_against_brute_force(norm_fn, A: torch.Tensor) -> None:
    for p, q in PAIRS:
        value = norm_fn(A[None], p, q)
        low, high = brute_force(A, p, q)
        assert value >= low * (1 - 1e-9) - 1e-12, (p, q)
        assert value <= high * (1 + 1e-9) + 1e-12, (p, q)


def routine(A, p, q) -> float:
    result = opnorm(A, p, q)
    assert result.exact
    return result.value.item()


@given(K=st.integers(1, 3), d=st.integers(1, 3), seed=st.integers(0, 2**31))
def test_all_pairs_match_brute_force(K, d, seed):
    A = torch.randn(K, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    check_against_brute_force(routine, A)


def test_brute_force_catches_a_routine_that_drops_the_max_over_columns():
    A = torch.tensor([[1.0, 3.0], [0.5, -2.0]], dtype=torch.float64)

    def first_column_only(M, p, q):
        if p == 1:  # planted bug: the norm of column 0 instead of the max over columns
            return vector_norm(M[..., :, 0], q).item()
        return routine(M, p, q)

    check_against_brute_force(routine, A)
    with pytest.raises(AssertionError):
        check_against_brute_force(first_column_only, A)


def test_sandwich_contains_the_exact_value_and_is_flagged():
    g = torch.Generator().manual_seed(1)
    A = torch.randn(20, 4, 9, generator=g, dtype=torch.float64)
    for p, q in ((INF, 2), (2, 1), (INF, 1)):
        exact = opnorm(A, p, q)
        sandwich = opnorm(A, p, q, max_vertices=4, draws=Draws(1))
        assert exact.exact and not sandwich.exact
        assert (sandwich.low <= exact.value * (1 + 1e-12)).all()
        assert (sandwich.high >= exact.value * (1 - 1e-12)).all()
        with pytest.raises(ValueError, match="sandwich"):
            sandwich.value


def test_one_row_is_exact_at_any_width_and_the_search_predicate_matches_opnorm():
    """K = 1 is the dual norm of the row for every pair, with no sign search (d = 40 has 2^39 sign vectors), so
    a batch's norms do not depend on random starts; ``searched`` says exactly when opnorm would search."""
    A = torch.randn(3, 1, 40, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    for p, q in PAIRS:
        found = opnorm(A, p, q)  # no draws given: a search would raise
        dual = {1: INF, 2: 2, INF: 1}[p]
        assert found.exact and torch.allclose(found.value, vector_norm(A[:, 0], dual), rtol=1e-12)
    for (p, q), K, d in itertools.product(PAIRS, (1, 2, 20), (2, 20)):
        M = torch.randn(1, K, d, dtype=torch.float64)
        assert searched(p, q, K, d) is (not opnorm(M, p, q, draws=Draws(0)).exact), (p, q, K, d)


@pytest.mark.parametrize("r", [1, 2, INF])
def test_enumeration_in_chunks_is_the_norm_of_every_image(r):
    """The enumeration's reductions over the short axis (no generic norm there) give the largest r-norm of the
    images M s, whatever the chunking (the brute-force test above is the routine's planted-bug check)."""
    M = torch.randn(5, 3, 7, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    expected = vector_norm(M @ sign_vertices(7, M.dtype, M.device).T, r, dim=-2).amax(dim=-1)
    for chunk in (5, 64):
        torch.testing.assert_close(_max_over_signs(M, r, chunk=chunk), expected, rtol=1e-14, atol=0)


def test_sign_vertices_are_all_sign_patterns_up_to_global_sign():
    V = sign_vertices(4, torch.float64, "cpu")
    assert V.shape == (8, 4) and (V[:, 0] == 1).all()
    assert len({tuple(r.tolist()) for r in V} | {tuple((-r).tolist()) for r in V}) == 16


def test_duality_and_transpose_identity():
    # ||A||_{p->q} = ||A^T||_{q*->p*}
    g = torch.Generator().manual_seed(2)
    A = torch.randn(5, 3, 6, generator=g, dtype=torch.float64)
    dual = {1.0: INF, 2.0: 2.0, INF: 1.0}
    for p, q in PAIRS:
        torch.testing.assert_close(opnorm(A, p, q).low, opnorm(A.transpose(-1, -2), dual[q], dual[p]).low)


def test_bad_orders_are_refused():
    with pytest.raises(ValueError, match="1, 2 or oo"):
        opnorm(torch.ones(2, 2), 3, 2)
    assert math.isclose(opnorm(torch.eye(2, dtype=torch.float64), "oo", "oo").value.item(), 1.0)
