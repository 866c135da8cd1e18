"""Every random draw goes through ``numerics.random``, and every registered experiment runs on a GPU.

CI has no GPU, so the GPU path is run on an emulated one (``tests/fakecuda.py``): the checks real CUDA makes (a
generator of one device with a tensor of another, an op mixing devices, ``.numpy()`` of a GPU tensor) raise there
too.  The planted twins reproduce the bug class that reached a real GPU before (inputs drawn as CPU tensors from
the device's generator) and must be caught.
"""
from __future__ import annotations

import ast
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

import numerics.random
from tests.fakecuda import fake_cuda
from numerics.experiment import EXPERIMENTS, PROBES, members
from numerics.papers import load_all
from numerics.papers.meanfield import samples
from tests.tiny import TINY
from verify.catalog import catalog
from verify.executors import run_job
from verify.plan import Job, job_key
from verify.profiles import get_profile

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("theory", "numerics", "verify", "report")
#: torch functions and tensor methods that draw random numbers, and the generator type itself
RANDOM_CALLS = {"randn", "rand", "randint", "randperm", "randn_like", "rand_like", "randint_like", "normal",
                "bernoulli", "multinomial", "poisson", "normal_", "uniform_", "exponential_", "random_",
                "bernoulli_", "cauchy_", "log_normal_", "geometric_", "Generator", "manual_seed", "seed"}


def random_calls(source: str) -> list[str]:
    """``torch.<random function>``, ``<tensor>.<random method>_`` and NumPy's global RNG in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in RANDOM_CALLS:
            owner = ast.unparse(node.value)
            if owner in ("torch", "torch.random") or node.attr.endswith("_") or owner.endswith("random"):
                found.append(f"{owner}.{node.attr} (line {node.lineno})")
    return found


def test_no_module_outside_numerics_random_draws_random_numbers():
    offenders = {str(path.relative_to(ROOT)): calls for package in PACKAGES for path in (ROOT / package).rglob("*.py")
                 if path != ROOT / "numerics" / "random.py" and (calls := random_calls(path.read_text()))}
    assert offenders == {}


def test_the_lint_sees_the_calls_it_forbids():
    planted = "import torch\nx = torch.randn(3, generator=torch.Generator())\ny = x.normal_()\nz = np.random.rand(2)"
    assert len(random_calls(planted)) == 4
    assert random_calls((ROOT / "numerics" / "random.py").read_text())  # the one module allowed to


def tiny_jobs() -> list[Job]:
    """One job per registered experiment, at the first configuration a claim or probe of the tiny profile needs."""
    load_all()
    profile = get_profile("quick").with_overrides(TINY)
    first = {}
    for entry in catalog().values():
        point = entry.experiment.points(entry.claim, profile)[0]
        first.setdefault(entry.experiment.name, members(point)[0])
    for probe in PROBES.values():
        for name, point in probe.points(profile):
            first.setdefault(name, members(point)[0])
    assert set(first) == set(EXPERIMENTS)  # every experiment is exercised
    return [Job(job_key(EXPERIMENTS[name], config), name, config, profile[name], 7, "cuda", name, 1)
            for name, config in first.items()]


def leaves(sample) -> list:
    """The values reachable in a sample, in order, without its timings (``seconds``)."""
    found, stack = [], [sample]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif hasattr(item, "__dataclass_fields__"):
            stack.extend(getattr(item, name) for name in item.__dataclass_fields__ if name != "seconds")
        else:
            found.append(item)
    return found


def same(first, second) -> bool:
    a, b = leaves(first), leaves(second)
    return len(a) == len(b) and all(np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y
                                    for x, y in zip(a, b))


@pytest.mark.parametrize("job", tiny_jobs(), ids=lambda job: job.experiment)
def test_every_registered_experiment_runs_on_an_emulated_gpu(job):
    with fake_cuda():
        on_gpu = run_job(job)
    assert on_gpu.device == "cuda:0"
    # a sample crosses to the driver: plain data, no (GPU) tensors
    assert not any(isinstance(leaf, torch.Tensor) for leaf in leaves(on_gpu.sample))
    assert same(pickle.loads(pickle.dumps(on_gpu.sample)), on_gpu.sample)
    # the emulated device draws with a CPU generator of the same seed, so the numbers equal a CPU run: the GPU
    # path computes the same thing, however it moves tensors around
    assert same(on_gpu.sample, run_job(Job(**{**job.__dict__, "device": "cpu"})).sample)


def buggy_fixed_inputs(d, scales, draws, dtype=torch.float64):
    """The bug that crashed the paper profile on an H100: CPU inputs drawn from the device's generator."""
    generator = numerics.random._new_generator(draws.device, 0)
    directions = torch.randn(len(scales), d, generator=generator, dtype=dtype)
    return directions * torch.tensor(scales, dtype=dtype)[:, None]


def mixed_fixed_inputs(d, scales, draws, dtype=torch.float64):
    """A second twin: device inputs scaled by a CPU tensor (``torch.tensor`` without ``device=``)."""
    directions = draws.standard_normal((len(scales), d), dtype, portable=True)
    return directions * torch.tensor(scales, dtype=dtype)[:, None]


@pytest.mark.parametrize("bug", [buggy_fixed_inputs, mixed_fixed_inputs])
def test_planted_device_bugs_are_caught_on_the_emulated_gpu_and_invisible_on_the_cpu(monkeypatch, bug):
    job = next(job for job in tiny_jobs() if job.experiment == "meanfield.jacobian")
    monkeypatch.setattr(samples, "fixed_inputs", bug)
    run_job(Job(**{**job.__dict__, "device": "cpu"}))  # what CPU-only CI used to see: nothing wrong
    with fake_cuda(), pytest.raises((RuntimeError, TypeError), match="device"):
        run_job(job)


def test_portable_draws_do_not_depend_on_the_device():
    cpu = numerics.random.Draws(3, "cpu").child("inputs").standard_normal((4, 5), portable=True)
    with fake_cuda():
        gpu = numerics.random.Draws(3, "cuda").child("inputs").standard_normal((4, 5), portable=True).cpu()
    assert torch.equal(cpu, gpu)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a real GPU (the emulated one runs above)")
def test_a_real_gpu_draws_the_same_inputs_and_the_same_law():
    job = next(job for job in tiny_jobs() if job.experiment == "meanfield.jacobian")
    job = Job(**{**job.__dict__, "settings": job.settings.__class__(**{**job.settings.__dict__, "networks": 256})})
    gpu, cpu = run_job(job).sample, run_job(Job(**{**job.__dict__, "device": "cpu"})).sample
    assert gpu.input_norms == pytest.approx(cpu.input_norms, rel=1e-12)
    ratio = np.mean(gpu.J[:, 0] ** 2) / np.mean(cpu.J[:, 0] ** 2)  # 256 networks each: within 20%
    assert 0.8 < ratio < 1.25


@pytest.mark.parametrize("given, expected", [(None, "1"), ("0", "0")])
def test_importing_the_package_asks_for_huge_pages_unless_told_otherwise(given, expected):
    """torch reads THP_MEM_ALLOC_ENABLE at its first allocation, so ``numerics`` (imported by ``verify`` before
    anything else) sets it; a user's own value is kept."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "THP_MEM_ALLOC_ENABLE"}
    if given is not None:
        env["THP_MEM_ALLOC_ENABLE"] = given
    code = "import verify, os; print(os.environ['THP_MEM_ALLOC_ENABLE'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected
