"""How fast ``atv`` says no: each refusal (and ``atv claims``) run as a fresh process, the wall time's median
over repeats.  A refusal must come before torch loads or a claim is built (issue: under 1 s on an idle 2-core
machine; ``atv claims`` under 3 s).  A bound too large to evaluate is refused only once a measurement has given its
symbols their values (eps is a fraction of the drawn input's norm), so that case loads torch and has no limit here.

    python -m verify.refusals [--repeats 5] [--json]

Every command must exit with its expected code (2 for a refusal), or the script says so and exits 1: a
refusal that got slow because it started doing work is caught here, not in a timed test.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


#: a command still running after this long has hung (it is killed and reported)
LIMIT_S = 30


#: the limit of a refusal that needs no measurement, and of ``atv claims``
REFUSAL_S, LISTING_S = 1.0, 3.0


def cases(scratch: Path) -> list[tuple[str, list[str], int, float | None]]:
    """(label, arguments, expected exit code, the limit on the median in seconds or None)."""
    bad_toml = scratch / "bad.toml"
    bad_toml.write_text("[meanfield.jacobian\nN = 3\n")
    a_file = scratch / "a-file"
    a_file.write_text("")
    return [
        ("--profile nope", ["run", "--profile", "nope"], 2, REFUSAL_S),
        ("--set N=-5", ["run", "--set", "N=-5"], 2, REFUSAL_S),
        ("--only no.such.claim", ["run", "--only", "no.such.claim"], 2, REFUSAL_S),
        ("--device tpu", ["run", "--device", "tpu"], 2, REFUSAL_S),
        ("--config <malformed TOML>", ["run", "--config", str(bad_toml)], 2, REFUSAL_S),
        ("--seed -1", ["run", "--seed", "-1"], 2, REFUSAL_S),
        ("--out <a file>/x", ["run", "--out", str(a_file / "x")], 2, REFUSAL_S),
        ("check-bound 'eps*exp(exp(exp(d)))' (measured)",
         ["check-bound", "eps*exp(exp(exp(d)))", "--quantity", "adv_loss", "--p", "2", "--q", "2"], 2, None),
        ("check-bound 'log(0)*eps'",
         ["check-bound", "log(0)*eps", "--quantity", "adv_loss", "--p", "2", "--q", "2"], 2, REFUSAL_S),
        ("check-bound --quantity nosuch.q", ["check-bound", "eps", "--quantity", "nosuch.q"], 2, REFUSAL_S),
        ("check-bound --option p=7",
         ["check-bound", "eps", "--quantity", "meanfield.adv_loss", "--option", "p=7"], 2, REFUSAL_S),
        ("check-bound --domain N=1:99999",
         ["check-bound", "eps", "--quantity", "meanfield.adv_loss", "--domain", "N=1:99999"], 2, REFUSAL_S),
        ("check-bound 'eps**' (bad expression)",
         ["check-bound", "eps**", "--quantity", "meanfield.adv_loss"], 2, REFUSAL_S),
        ("check-bound --lower on a lower estimate",
         ["check-bound", "eps", "--quantity", "meanfield.adv_loss", "--lower"], 2, REFUSAL_S),
        ("atv --version", ["--version"], 0, REFUSAL_S),
        ("atv claims", ["claims"], 0, LISTING_S),
    ]


def measure(args: list[str], expected: int) -> tuple[float, str | None]:
    """Seconds of one fresh ``python -m verify ARGS``, and a problem if the exit code is not the expected one."""
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "verify", *args], capture_output=True, text=True,
                              timeout=LIMIT_S)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, f"still running after {LIMIT_S} s (killed)"
    seconds = time.perf_counter() - start
    if done.returncode != expected:
        return seconds, f"exit {done.returncode}, expected {expected}: {(done.stderr or done.stdout)[-300:]}"
    return seconds, None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args()
    rows, problems = [], []
    with tempfile.TemporaryDirectory() as folder:
        for label, args, expected, limit in cases(Path(folder)):
            times = []
            for _ in range(options.repeats):
                seconds, problem = measure(args, expected)
                times.append(seconds)
                if problem:
                    problems.append(f"{label}: {problem}")
            median = statistics.median(times)
            rows.append({"command": label, "median_s": median, "min_s": min(times), "max_s": max(times),
                         "repeats": options.repeats, "limit_s": limit,
                         "within": None if limit is None else median < limit})
    if options.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'command':<40} {'median':>8} {'min':>7} {'max':>7} {'limit':>7}   ({options.repeats} runs each, "
              "fresh processes)")
        for row in rows:
            limit = "-" if row["limit_s"] is None else f"{row['limit_s']:.0f}s " + ("ok" if row["within"] else "OVER")
            print(f"{row['command']:<40} {row['median_s']:>7.2f}s {row['min_s']:>6.2f}s {row['max_s']:>6.2f}s "
                  f"{limit:>9}")
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
