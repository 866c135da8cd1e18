"""The command line under hostile input (Hypothesis): random argument lists built from the real options, with
negative, huge, non-numeric, unicode and malformed values, unwritable paths, malformed TOML and hostile bound
expressions.  Whatever the arguments, ``atv`` exits 0, 1 or 2 within a time limit, never with a traceback, and
every exit 2 is one line that names a bad value.

Each example runs in this process (``verify.cli.main``); a SIGALRM timer turns a hang into a failure.  Options
whose valid use is expensive (a Ray cluster, a PDF, a benchmark) always get at least one hostile value, and a
valid ``run`` is kept to tiny sizes and a valid ``check-bound`` to one or two examples (its default of dozens took
20 s of PGD in one example), so every example takes seconds.
"""
from __future__ import annotations

import itertools
import re
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verify.cli import main

#: the longest one example may take (a valid tiny run takes a few seconds on a busy 2-core machine)
LIMIT_S = 60
HOSTILE_TEXT = ["", " ", "-1", "0", "-5", "1e400", "nan", "inf", "-inf", "9" * 40, "abc", "3.5", "0x10", "1_000",
                "é", "\u202e", "日本", "$(rm -rf /)", "__import__('os')", "None", "[]", "{}", "\x00"]
HOSTILE_EXPR = ["__import__('os').system('true')", "9**9**9**9", "exp(exp(exp(d)))", "eps*exp(exp(exp(d)))",
                "gamma(exp(exp(d)))", "zoo", "nan", "oo", "log(0)*eps", "eps/(L-L)", "sqrt(-1)*eps", "eps*",
                "lambda: 1", "eps.__class__", "N**N**N", "eps*d**(10**10)", "eps if d else 1", "é*eps", "",
                "(" * 200 + "eps" + ")" * 200, "eps*" * 3000 + "eps", "exp(1000000)*eps"]
VALID_EXPR = ["eps*(1 + sqrt(K/d))*sqrt(omega**L)", "eps", "10*eps*sqrt(omega**L)"]
CHEAP_CLAIMS = ["meanfield.thm4_1.jacobian_variance.vanilla", "meanfield.beta.1_1.chevet", "meanfield.thm4_1.*gaussian.vanilla"]
TINY_TOML = ("networks = 6\nN = 16\nd = 4\nK = 3\nL = 2\n[meanfield.gaussian]\nmatrices = 20\n"
             "beta_shapes = [[2, 3]]\n")
BAD_TOML = ["networks = \n", "[meanfield.jacobian\nN = 3", "N = -4\n", "[nosuch]\nx = 1\n", "N = 'é'\n",
            "networks = 1e400\n", "\x00\x01", "N = [1, 2, [3]]\n", "delta = 2\n"]


@st.composite
def option(draw, name: str, valid: list[str], hostile: list[str], path=None):
    """(arguments, hostile texts): ``--name VALUE`` with a valid or a hostile value."""
    bad = draw(st.booleans())
    value = draw(st.sampled_from(hostile if bad else valid))
    return [name, value], ([name, value] if bad else [])


def _file(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return str(path)


@st.composite
def run_arguments(draw, folder: Path):
    parts = [option("--profile", ["quick", "paper-cpu"], ["nope", "QUICK", "../quick", "é", ""]),
             option("--seed", ["0", "7"], [text for text in HOSTILE_TEXT if text != "0"]),  # 0 is a seed
             option("--only", CHEAP_CLAIMS, ["nosuch", "*nosuch*", ",", "é", "[", "meanfield.thm4_1.jacobian_variance."]),
             option("--device", ["cpu", "auto"], ["tpu", "cuda:x", "cuda:99", "gpu", "", "cpu "]),
             option("--executor", ["local"], ["dask", "", "RAY", "é"]),
             option("--threads", ["1", "2"], ["0", "-1", "abc", "1e3", "100000"]),
             option("--set", ["N=16", "networks=6"], ["N=-5", "N=0", "N=abc", "N=1e30", "networks=1", "bogus=1",
                                                      "N", "=3", "sigma_b2=-1", "sigma_w2=nan", "N=99999999999",
                                                      "dtype=float16", "delta=2", "K=é", "u=inf"])]
    chosen = draw(st.lists(st.sampled_from(range(len(parts))), unique=True, max_size=len(parts)))
    args, hostile = ["run", "--no-figures", "--out", str(folder / f"out{draw(st.integers(0, 10**6))}")], []
    if 2 not in chosen:
        args += ["--only", CHEAP_CLAIMS[0]]
    for index in sorted(chosen):
        a, h = draw(parts[index])
        args += a
        hostile += h
    if draw(st.booleans()):
        text = draw(st.sampled_from([TINY_TOML, *BAD_TOML]))
        path = _file(folder, f"config{draw(st.integers(0, 10**6))}.toml", text)
        args += ["--config", path]
        hostile += [path, *re.findall(r"[\w.'-]+", text)] if text != TINY_TOML else []
    else:
        args += ["--config", _file(folder, "tiny.toml", TINY_TOML)]
    if draw(st.booleans()):
        out = draw(st.sampled_from(["/proc/version/x", "/dev/null/out", "/proc/atv-out"]))
        args += ["--out", out]
        hostile += [out]
    return args, hostile


@st.composite
def check_bound_arguments(draw):
    bad_expr = draw(st.booleans())
    expr = draw(st.sampled_from(HOSTILE_EXPR if bad_expr else VALID_EXPR))
    args, hostile = ["check-bound", expr], [expr] if bad_expr else []
    for name, valid, bad in (("--quantity", ["adv_loss", "meanfield.jacobian_opnorm"], ["nosuch", "", "é", "meanfield."]),
                             ("--p", ["2", "oo"], ["3", "0", "-1", "inf2", "é", ""]),
                             ("--q", ["1", "2"], ["7", "nan", ""]),
                             ("--arch", ["vanilla", "residual"], ["cnn", "é", ""]),
                             ("--examples", ["1", "2"], ["0", "-3", "abc", "1e9"]),
                             ("--seed", ["0"], ["-1", "x", "9" * 30]),
                             ("--domain", ["d=2:4"], ["d=5:1", "d=a:b", "zz=1:2", "d=0:3", "d=1:1e400", "d"])):
        if name in ("--quantity", "--p", "--q", "--examples") or draw(st.booleans()):  # a valid one: 1 or 2 examples
            a, h = draw(option(name, valid, bad))
            args += a
            hostile += h
    return args, hostile


@st.composite
def other_arguments(draw, folder: Path):
    """claims, latex and bench, each with at least one hostile value (their valid use is slow)."""
    command = draw(st.sampled_from(["claims", "latex", "bench"]))
    if command == "claims":
        value = draw(st.sampled_from(["nosuch", "é", "[", "*nosuch"]))
        return ["claims", "--only", value], [value]
    if command == "latex":
        results = draw(st.sampled_from([
            str(folder / "missing.json"), _file(folder, "bad.json", "{not json"), str(folder),
            _file(folder, "list.json", "[1, 2]"), _file(folder, "text.json", '"a string"')]))
        return ["latex", "--results", results, "--out", str(folder / "tex")], [results]
    hostile = {"--device": ["tpu", "cuda:99", ""], "--dtype": ["float16", "int", ""],
               "--only": ["nosuch", "generation,nosuch", ""]}
    name = draw(st.sampled_from(sorted(hostile)))
    value = draw(st.sampled_from(hostile[name]))
    return ["bench", name, value], [name, value]


class Timeout(Exception):
    pass


def _invoke(args: list[str], capsys) -> tuple[int, str, str]:
    def expire(signum, frame):
        raise Timeout(f"atv {args} ran past {LIMIT_S} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(LIMIT_S)
    try:
        main(args)
    except SystemExit as done:
        code = done.code
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    out, err = capsys.readouterr()
    return code, out, err


def _names_a_bad_value(line: str, hostile: list[str]) -> bool:
    """The line quotes a hostile value, a fragment of it (a sub-expression, a key) or the option it was given to."""
    texts = [t for value in hostile for t in (value, repr(value), value.strip(), value.split("=")[0],
                                              *re.findall(r"[\w.]{2,}", value))]
    quoted = re.findall(r"'([^']+)'|\"([^\"]+)\"", line)
    return any(t and t in line for t in texts) or any(
        part and part in value for pair in quoted for part in pair for value in hostile)


counter = itertools.count()


@pytest.mark.slow
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                               HealthCheck.nested_given],
          deadline=None)
@given(data=st.data())
def test_any_argument_list_exits_0_1_or_2_in_time_without_a_traceback(data, tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp(f"fuzz{next(counter)}")
    args, hostile = data.draw(st.one_of(run_arguments(folder), check_bound_arguments(), other_arguments(folder)))
    code, out, err = _invoke(args, capsys)
    assert code in (0, 1, 2), (args, code, err[-2000:])
    assert "Traceback" not in out + err, (args, err[-2000:])
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("atv: error: "), (args, err)
        assert _names_a_bad_value(lines[0], hostile), (args, hostile, lines[0])
    elif hostile:
        pytest.fail(f"atv {args} accepted the hostile value(s) {hostile} (exit {code})")
