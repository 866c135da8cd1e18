"""Bound expressions are parsed against a whitelist, never evaluated; injection and resource attacks are refused."""
from __future__ import annotations

import math
import signal
import subprocess
import sys
import threading
import time

import pytest
import sympy as sp

from theory.papers.meanfield.network import ALPHA, OMEGA
from theory.symbols import K, L, N, d, eps, v
from theory.papers.meanfield.bounds import ADV_LOSS, SYMBOLS
from verify.expr import MAX_LENGTH, ExpressionError, NotFinite, enclose, parse, parse_bound, time_limit

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
    "deep brackets": "(" * 200 + "d" + ")" * 200,
    "matmul": "d @ K",
    "tower": "9**9**9**9",
    "factorial": "factorial(N)",
    "huge literal": "1e999",
    "huge integer literal": "9" * 40,
    "unicode name": "\u03b5 * d",
    "exp of a huge number": "exp(1e12)",  # SymPy evaluates exp of a Float at once
    "numeric exp tower": "exp(exp(exp(100)))",
    "numeric tower compared": "Max(exp(exp(exp(100))), 2)",  # SymPy's comparison would never finish
    "gamma of a large integer": "gamma(3000)",  # SymPy computes 2999! exactly
    "gamma of a huge half-integer": "gamma(999999999999/2)",
    "product of literals": "*".join(["1e12"] * 28),
}

NOT_FINITE = {  # refused at parse time, naming what the value is
    "log of 0": ("log(0)*eps", "'log(0)' is -oo"),
    "division by a zero difference": ("eps/(L-L)", "zoo"),
    "square root of -1": ("sqrt(-1)*eps", "'sqrt(-1)' is complex"),
    "I after simplification": ("sqrt(-d)", "I = sqrt(-1)"),
    "complex for every configuration": ("log(-d)", "complex for every configuration"),
    "pole of gamma": ("gamma(0)*eps", "pole of gamma"),
    "zero times log(0)": ("0*log(0)", "-oo"),  # SymPy would make it nan
    "comparison with a complex number": ("Max(sqrt(-1), 1)", "complex"),
    "cube root of a negative number": ("(-8)**(1/3)", "complex"),
    "zero to a negative power": ("0**-d", "zoo"),
    "complex exponent": ("2**sqrt(-1)", "complex"),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attacks_are_refused_with_one_sentence_and_never_hang(name, deadline):
    with pytest.raises(ExpressionError) as info:  # refused before any expensive arithmetic; deadline: a hang guard
        parse(ATTACKS[name], SYMBOLS)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", sorted(NOT_FINITE))
def test_bounds_that_are_not_finite_real_numbers_are_refused_at_parse_time(name, deadline):
    text, what = NOT_FINITE[name]
    with pytest.raises(ExpressionError, match="not a finite real number") as info:
        parse(text, SYMBOLS)
    assert what in str(info.value) and "\n" not in str(info.value)


def test_a_bound_that_is_infinite_only_once_expanded_is_refused_by_parse_bound():
    text = "1/(omega - sigma_w2*alpha)"  # vanilla omega = alpha sigma_w2
    with pytest.raises(ExpressionError, match="for arch=vanilla: it contains zoo"):
        parse_bound(text, ADV_LOSS, {"arch": "vanilla"})
    assert parse_bound(text, ADV_LOSS, {"arch": "residual"}) == 1


def test_numbers_within_the_size_limit_are_still_allowed():
    assert parse("exp(690) + gamma(100) + 2**-3 + 0**0", SYMBOLS) == sp.exp(690) + sp.factorial(99) + sp.Rational(9, 8)
    assert parse("(-1)**d * eps", SYMBOLS) == (-1) ** d * eps


def test_enclosure_decides_astronomical_bounds_without_computing_them(deadline):
    """Each value below has more digits than atoms in the universe: deciding it at all (within the hang guard)
    shows the enclosure never computes it."""
    huge = enclose(parse_bound("eps*exp(exp(exp(d)))", ADV_LOSS, {"arch": "vanilla"}), {d: 10, eps: 0.1})
    assert huge.astronomical and huge.settle() == math.inf  # e^(e^(e^10)): never computed
    assert enclose(parse_bound("-exp(exp(exp(exp(N))))", ADV_LOSS, {"arch": "vanilla"}), {N: 256}).settle() == -math.inf
    assert enclose(parse_bound("N**N**N", ADV_LOSS, {"arch": "vanilla"}), {N: 64}).settle() == math.inf
    assert enclose(parse_bound("gamma(exp(exp(d)))", ADV_LOSS, {"arch": "vanilla"}), {d: 16}).settle() == math.inf
    tiny = parse_bound("eps + exp(-exp(exp(exp(d))))", ADV_LOSS, {"arch": "vanilla"})
    assert enclose(tiny, {d: 10, eps: 0.1}).settle() == 0.1
    cancelling = parse_bound("exp(exp(exp(d))) - exp(exp(exp(d)) + 1)", ADV_LOSS, {"arch": "vanilla"})
    assert enclose(cancelling, {d: 10}).settle() is None  # too wide to decide: refused by the checker


def test_enclosure_names_the_subexpression_that_is_not_finite():
    with pytest.raises(NotFinite, match=r"log\(d - 2\) is -oo"):
        enclose(parse_bound("eps*log(d - 2)", ADV_LOSS, {"arch": "vanilla"}), {d: 2, eps: 0.1})
    with pytest.raises(NotFinite, match="is complex"):
        enclose(parse_bound("sqrt(v)", ADV_LOSS, {"arch": "vanilla"}), {v: -0.5})
    with pytest.raises(NotFinite, match="pole of gamma"):
        enclose(parse_bound("gamma(1 - d)", ADV_LOSS, {"arch": "vanilla"}), {d: 3})


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="SIGALRM timers are POSIX-only")
def test_time_limit_interrupts_the_main_thread_and_is_a_no_op_elsewhere(deadline):
    with pytest.raises(TimeoutError):  # the loop ends only by the limit; deadline fails the test if it never fires
        with time_limit(0.2):
            while True:
                pass
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL  # the handler is restored
    done = []
    worker = threading.Thread(target=lambda: done.append(_sleep_under(time_limit(0.01), 0.05)))
    worker.start()
    worker.join(5)
    assert done == [True]


def _sleep_under(limit, seconds: float) -> bool:
    with limit:
        time.sleep(seconds)
    return True


def test_parsing_does_not_import_torch():
    code = ("import sys; from theory.papers.meanfield.bounds import SYMBOLS; from verify.expr import parse\n"
            "try: parse('log(0)*eps', SYMBOLS)\nexcept ValueError: pass\nprint('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.parametrize("text", ["log(0)*eps", "eps/(L-L)", "sqrt(-1)*eps"])
def test_the_cli_refuses_them_in_one_line_without_a_traceback(text):
    result = subprocess.run([sys.executable, "-m", "verify", "check-bound", text, "--quantity", "adv_loss",
                             "--p", "2", "--q", "2", "--examples", "5"], capture_output=True, text=True, timeout=20)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("atv: error:"), result.stderr
    assert "not a finite real number" in lines[0] and "Traceback" not in result.stdout + result.stderr


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
        assert sp.simplify(parse_bound(text, ADV_LOSS, {"arch": arch}) - sp.sqrt(OMEGA[arch] ** L) * ALPHA) == 0
