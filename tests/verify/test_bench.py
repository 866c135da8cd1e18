"""The benchmark runs end to end, interleaves the two sides of every ratio, reports every figure with its spread
in the documented JSON schema, and its baseline computes the same Jacobians (no timing is asserted here:
performance is shown by `atv bench`, not by timed tests)."""
from __future__ import annotations

import json
import math

import jsonschema
import pytest
import torch
from typer.testing import CliRunner

from numerics.papers.meanfield import samples
from numerics.papers.meanfield.samples import auto_chunk, sample_jacobians
from numerics.random import Draws
from theory.papers.meanfield.network import NetworkSpec
from verify import cli
from verify.bench import BENCH_SCHEMA, MEASUREMENTS, Setting, interleaved, run_bench

QUICK = NetworkSpec("vanilla", d=6, K=3, N=32, L=2, sigma_w2=2.0, sigma_b2=0.01)
SIZES = {"generation": {"spec": QUICK, "networks": 4}, "chain": {"spec": QUICK, "networks": 4},
         "naive": {"spec": QUICK, "min_seconds": 0.02},
         "paper": {"spec": NetworkSpec("vanilla", d=20, K=1, N=64, L=3, sigma_w2=2.0, sigma_b2=0.01)},
         "cost": {"spec": QUICK, "widths": (16, 32, 64), "depths": (1, 2, 4), "networks": 4},
         "slope": {"shape": (4, 8, 16)}}


def test_every_measurement_reports_medians_with_their_spread_in_the_documented_schema():
    result = run_bench("cpu", torch.float64, rounds=3, min_run_time=0.01, sizes=SIZES)
    data = result.to_json()
    jsonschema.validate(data, BENCH_SCHEMA)
    assert set(data["measurements"]) == set(MEASUREMENTS)
    for name, measurement in data["measurements"].items():
        for key, figure in measurement["figures"].items():
            assert figure["low"] <= figure["median"] <= figure["high"] and math.isfinite(figure["median"]), key
            assert figure["threads"] == torch.get_num_threads() and figure["device"].startswith("cpu")
    figures = data["measurements"]
    for name, key in (("naive", "speedup"), ("chain", "fraction_of_bmm"), ("generation", "fraction_of_randn")):
        ratio = figures[name]["figures"][key]
        assert ratio["spread"] == "range over interleaved rounds" and ratio["repeats"] == 3 and ratio["median"] > 0
    assert figures["naive"]["sizes"]["max_abs_difference"] < 1e-12  # the baseline gets the same Jacobians
    assert figures["slope"]["sizes"]["max_abs_difference"] == 0  # and the slope the same values, exactly
    assert len(result.rows()) == len(MEASUREMENTS)


def test_the_slope_measurement_reports_a_planted_error(monkeypatch):
    """A slope off by a fifth shows as a difference from SymPy's printing of the same Piecewise."""
    import verify.bench as bench

    true_slope = bench.network_slope
    monkeypatch.setattr(bench, "network_slope", lambda pre, spec: 0.8 * true_slope(pre, spec))
    planted = run_bench("cpu", rounds=2, min_run_time=0.01, only=("slope",), sizes=SIZES)
    assert planted.measurements["slope"][1]["max_abs_difference"] > 0.1


def test_the_sides_of_a_ratio_are_interleaved():
    calls = []
    interleaved(Setting("cpu", rounds=3, min_run_time=0.001),
                {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")})
    blocks = [calls[0]] + [now for before, now in zip(calls, calls[1:]) if now != before]
    assert blocks[-6:] == ["a", "b"] * 3  # after the timers' own warm-up: A, B, A, B, A, B


def test_only_runs_the_chosen_measurements_and_refuses_unknown_ones():
    result = run_bench("cpu", rounds=2, min_run_time=0.01, only=("chain",), sizes=SIZES)
    assert list(result.measurements) == ["chain"]
    with pytest.raises(ValueError, match="--only takes"):
        run_bench("cpu", only=("nosuch",))
    refused = CliRunner().invoke(cli.app, ["bench", "--only", "chain,nosuch"])
    assert refused.exit_code == 2


def test_auto_chunk_fits_the_budget(monkeypatch):
    spec = NetworkSpec("vanilla", d=1000, K=1, N=5000, L=10, sigma_w2=2.0, sigma_b2=0.01)
    assert auto_chunk(spec, 2, torch.float32, "cpu", 256) == 1  # a 1 GB network never shares a 1 GiB budget
    small = NetworkSpec("vanilla", d=8, K=4, N=64, L=2, sigma_w2=2.0, sigma_b2=0.01)
    assert auto_chunk(small, 2, torch.float64, "cpu", 100) == 100
    monkeypatch.setattr(samples, "memory_budget", lambda device: 2**20)
    assert 1 < auto_chunk(small, 2, torch.float64, "cpu", 10**9) < 10**9


def test_auto_chunked_and_float32_samples():
    spec = NetworkSpec("residual", d=4, K=3, N=32, L=2, sigma_w2=1.0, sigma_b2=0.1)
    auto = sample_jacobians(spec, 10, (1.0, 10.0), Draws(3), chunk=0)
    fixed = sample_jacobians(spec, 10, (1.0, 10.0), Draws(3), chunk=3)
    assert (auto.J == fixed.J).all()  # networks do not depend on the chunk size
    fast = sample_jacobians(spec, 10, (1.0, 10.0), Draws(3), chunk=10, dtype=torch.float32)
    assert fast.J.dtype == "float32"
    torch.testing.assert_close(torch.from_numpy(fast.J).double(), torch.from_numpy(fixed.J), rtol=1e-4, atol=1e-5)


def test_the_json_of_the_cli_follows_the_schema(monkeypatch):
    import verify.bench as bench

    monkeypatch.setattr(bench, "run_bench", lambda *args, **kwargs: run_bench(
        "cpu", rounds=2, min_run_time=0.01, only=kwargs["only"], sizes=SIZES))
    out = CliRunner().invoke(cli.app, ["bench", "--device", "cpu", "--only", "generation,cost", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    jsonschema.validate(data, BENCH_SCHEMA)
    assert set(data["measurements"]) == {"generation", "cost"}
