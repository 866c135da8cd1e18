"""Bound expressions are parsed against a whitelist, never evaluated; injection and resource attacks are refused."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
import sympy as sp

from theory.papers.meanfield.network import ALPHA, OMEGA
from theory.symbols import K, L, d, eps
from theory.papers.meanfield.bounds import SYMBOLS, VOCABULARY
from verify.expr import MAX_LENGTH, ExpressionError, parse, parse_bound

ATTACKS = {
    "import": "__import__('os').system('touch SENTINEL')",
    "attribute": "d.__class__.__base__",
    "lambda": "(lambda: 1)()",
    "comprehension": "[x for x in (d, K)]",
    "generator": "sum(x for x in (d, K))",
    "string": "'abc'",
    "bytes": "b'abc'",
    "subscript": "d[0]",
    "walrus": "(x := 1)",
    "comparison": "d < K",
    "conditional": "d if K else N",
    "keyword": "sqrt(x=d)",
    "starred": "Max(*d)",
    "unknown name": "open",
    "unknown function": "eval('1')",
    "huge exponent": "9**9**9",
    "huge number": "(999999999999**64)**64",
    "long": "d+" * 50_000 + "d",
    "deep": "-" * 500 + "d",
    "matmul": "d @ K",
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attacks_are_refused_quickly_with_one_sentence(name):
    start = time.perf_counter()
    with pytest.raises(ExpressionError) as info:
        parse(ATTACKS[name], SYMBOLS)
    assert time.perf_counter() - start < 1.0  # refused before any expensive arithmetic
    assert "\n" not in str(info.value)


def test_refusal_names_the_offending_token():
    with pytest.raises(ExpressionError, match="'open'"):
        parse("sqrt(d) + open", SYMBOLS)
    with pytest.raises(ExpressionError, match="d.__class__"):
        parse("1 + d.__class__", SYMBOLS)
    with pytest.raises(ExpressionError, match=str(MAX_LENGTH)):
        parse("d" * (MAX_LENGTH + 1), SYMBOLS)


def test_injection_through_the_cli_executes_nothing(tmp_path):
    sentinel = tmp_path / "SENTINEL"
    for text in (f"__import__('os').system('touch {sentinel}')", f"open('{sentinel}', 'w')",
                 f"__import__('pathlib').Path('{sentinel}').touch()"):
        result = subprocess.run([sys.executable, "-m", "verify", "check-bound", text, "--quantity", "adv_loss",
                                 "--p", "2", "--q", "2"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
        assert not sentinel.exists()


def test_allowed_expressions_build_the_right_sympy():
    assert parse("eps*(1 + sqrt(K/d))", SYMBOLS) == eps * (1 + sp.sqrt(K / d))
    assert parse("Max(d, K) - Min(1, 2) + gamma(3) + pi + exp(0) + log(1)", SYMBOLS) == \
        sp.Max(d, K) - 1 + 2 + sp.pi + 1
    assert parse("2**-3", SYMBOLS) == sp.Rational(1, 8)
    assert parse("-d + +K", SYMBOLS) == K - d
    with pytest.raises(ExpressionError, match="'omega'"):  # a paper's vocabulary decides which names exist
        parse("omega", {"d": d})


def test_alpha_and_omega_expand_per_architecture():
    text = "sqrt(omega**L) * alpha"
    for arch in ("vanilla", "residual"):
        assert sp.simplify(parse_bound(text, VOCABULARY, arch) - sp.sqrt(OMEGA[arch] ** L) * ALPHA) == 0
