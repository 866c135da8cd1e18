"""The benchmark runs end to end and its baseline computes the same Jacobians (no timing is asserted here:
performance is shown by `atv bench`, not by timed tests)."""
from __future__ import annotations

import math

import torch

from numerics.papers.meanfield import samples
from numerics.papers.meanfield.samples import auto_chunk, sample_jacobians
from numerics.random import Draws
from theory.papers.meanfield.network import NetworkSpec
from verify.bench import run_bench


def test_bench_produces_every_figure_and_the_baseline_agrees():
    quick = NetworkSpec("vanilla", d=6, K=3, N=32, L=2, sigma_w2=2.0, sigma_b2=0.01)
    paper = NetworkSpec("vanilla", d=20, K=1, N=64, L=3, sigma_w2=2.0, sigma_b2=0.01)
    result = run_bench("cpu", torch.float64, networks=4, naive_networks=2, paper_networks=2, quick=quick,
                       paper=paper, widths=(16, 32, 64), depths=(1, 2, 4))
    f = result.figures
    for key in ("bmm_gflops", "chain_gflops", "chain_fraction_of_bmm", "generation_fraction_of_randn",
                "speedup_vs_naive", "paper_networks_per_s", "paper_bandwidth_fraction", "slope_N", "slope_L"):
        assert math.isfinite(f[key]) and (f[key] > 0 or key.startswith("slope")), key
    assert f["naive_max_abs_diff"] < 1e-12  # the naive baseline does the same work and gets the same answer
    assert len(result.rows()) == 6


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
