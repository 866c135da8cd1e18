"""The fake CUDA device (tests/fakecuda.py): GPU code paths run on the CPU, and GPU-only bugs raise.

Each negative test is a twin: one function of ``device`` that runs fine on the CPU (all that CPU-only CI used to
run) and raises under ``fake_cuda()`` with device "cuda", as it would on a real GPU.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import numerics.random
from tests.fakecuda import CUDA, FakeCudaGenerator, fake_cuda, fake_generator, on_fake_cuda
from numerics.random import Draws

MIXED = "Expected all tensors to be on the same device"


def gpu_style(device: str) -> dict[str, np.ndarray]:
    """A small, correct computation written for any device; every intermediate stays on ``device``."""
    draws = Draws(0, device)
    weights = draws.standard_normal((2, 3, 3))
    inputs = draws.standard_normal((2, 3, 4), portable=True)
    hidden = torch.tanh(weights @ inputs)
    scores = torch.zeros(2, 4, dtype=hidden.dtype, device=inputs.device) + hidden.sum(dim=1)
    best, where = scores.max(dim=1)
    picked = scores[torch.arange(2), where]                      # CPU index tensors may index a GPU tensor
    input_norms = inputs.square().sum(dim=1).sqrt() * torch.tensor(2.0)   # a CPU scalar with a GPU tensor
    leaf = weights.clone().requires_grad_()
    (grad,) = torch.autograd.grad(torch.tanh(leaf @ inputs).square().sum(), leaf)
    out = {"inputs": inputs, "input_norms": input_norms, "weights": weights, "best": best, "picked": picked,
           "where": where, "grad": grad}
    if device == "cuda":
        assert all(on_fake_cuda(t) and t.device == CUDA for t in out.values())
    return {name: t.cpu().numpy() for name, t in out.items()}


def test_gpu_style_computation_runs_and_portable_draws_do_not_depend_on_the_device() -> None:
    on_cpu = gpu_style("cpu")
    with fake_cuda():
        on_gpu = gpu_style("cuda")
        again = gpu_style("cuda")
    for name in ("inputs", "input_norms"):
        np.testing.assert_array_equal(on_gpu[name], on_cpu[name])
    for name in on_gpu:
        np.testing.assert_array_equal(again[name], on_gpu[name])
    np.testing.assert_array_equal(on_gpu["best"], on_gpu["picked"])


def test_every_draw_lands_on_the_device_and_is_reproducible() -> None:
    def draws(device: str) -> list[torch.Tensor]:
        d = Draws(7, device)
        return [method(portable=portable) for portable in (False, True) for method in
                (lambda **k: d.standard_normal((2, 3), **k), lambda **k: d.uniform(4, **k),
                 lambda **k: d.exponential(4, **k), lambda **k: d.integers(0, 5, 6, **k), lambda **k: d.signs(3, **k))]

    with fake_cuda() as fc:
        first, second = draws("cuda"), draws("cuda")
        assert all(fc.is_fake(t) and t.is_cuda for t in first)
        first = [t.cpu() for t in first]
        second = [t.cpu() for t in second]
    on_cpu = draws("cpu")
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    assert all(torch.equal(a, c) for a, c in zip(first[5:], on_cpu[5:]))   # portable: the same on every device


# ----- negative twins: fine on the CPU, an error on the (fake) GPU -----

def cpu_tensor_from_device_generator(device: str) -> None:
    """The old ``fixed_inputs`` bug: a CPU tensor drawn from the device's generator."""
    torch.randn(3, generator=numerics.random._new_generator(torch.device(device), 0))


def device_tensor_from_cpu_generator(device: str) -> None:
    torch.empty(3, device=device).normal_(generator=numerics.random._new_generator(torch.device("cpu"), 0))


def matmul_with_cpu_matrix(device: str) -> None:
    Draws(0, device).standard_normal((3, 3)) @ torch.ones(3, 3, dtype=torch.float64)


def numpy_of_device_tensor(device: str) -> None:
    Draws(0, device).standard_normal(3).numpy()


def where_with_cpu_mask(device: str) -> None:
    w = Draws(0, device).standard_normal(3)
    torch.where(torch.ones(3, dtype=torch.bool), w, w)


def cat_with_cpu_tensor(device: str) -> None:
    torch.cat([Draws(0, device).standard_normal(3), torch.zeros(3)])


def accumulate_into_cpu_scalar(device: str) -> None:
    total = torch.tensor(0.0, dtype=torch.float64)
    total += Draws(0, device).standard_normal(3).sum()


TWINS = [
    (cpu_tensor_from_device_generator, RuntimeError, "Expected a 'cpu' device type for generator but found 'cuda'"),
    (device_tensor_from_cpu_generator, RuntimeError, "Expected a 'cuda' device type for generator but found 'cpu'"),
    (matmul_with_cpu_matrix, RuntimeError, MIXED),
    (numpy_of_device_tensor, TypeError, "can't convert cuda:0 device type tensor to numpy"),
    (where_with_cpu_mask, RuntimeError, MIXED),
    (cat_with_cpu_tensor, RuntimeError, MIXED),
    (accumulate_into_cpu_scalar, RuntimeError, MIXED),
]


@pytest.mark.parametrize(("buggy", "error", "message"), TWINS, ids=[twin[0].__name__ for twin in TWINS])
def test_device_bug_passes_on_cpu_and_raises_on_fake_cuda(buggy, error, message) -> None:
    buggy("cpu")
    with fake_cuda(), pytest.raises(error, match=message):
        buggy("cuda")


def test_what_real_cuda_allows_is_allowed() -> None:
    with fake_cuda():
        w = Draws(0, "cuda").standard_normal((3, 3))
        assert on_fake_cuda(w * torch.tensor(2.0))                  # a 0-dim CPU tensor
        assert on_fake_cuda(w[torch.tensor([0, 2])])                # CPU index tensors
        w[torch.tensor([0])] = torch.tensor(1.0, dtype=w.dtype)     # a 0-dim CPU value
        w[0] = torch.zeros(3, dtype=w.dtype)                        # basic indexing copies across devices
        w.copy_(torch.ones(3, 3, dtype=w.dtype))
        assert w.sum().item() == 9.0 and float(w[0, 0]) == 1.0 and w.tolist()[0] == [1.0, 1.0, 1.0]
        assert not on_fake_cuda(w.cpu()) and on_fake_cuda(w)


# ----- transfers and the torch.cuda queries -----

def test_transfers_copy_and_leave_their_input_where_it_was() -> None:
    with fake_cuda() as fc:
        cpu = torch.ones(3)
        gpu = cpu.to("cuda")
        assert fc.is_fake(gpu) and not fc.is_fake(cpu) and gpu is not cpu
        for moved in (cpu.cuda(), cpu.to(torch.device("cuda", 0)), cpu.to(gpu),
                      cpu.to(device="cuda", dtype=torch.float64), torch.as_tensor(cpu, device="cuda"),
                      torch.zeros_like(cpu, device="cuda"), gpu.new_zeros(2), gpu.to(torch.float64),
                      gpu.type(torch.float64)):
            assert fc.is_fake(moved), moved
        back = gpu.cpu()
        assert not fc.is_fake(back) and fc.is_fake(gpu) and back.device.type == "cpu"
        assert not fc.is_fake(gpu.to("cpu")) and not fc.is_fake(torch.ones(2))
        assert gpu.get_device() == 0 and cpu.get_device() == -1 and gpu.type() == "torch.cuda.FloatTensor"
        with pytest.raises(RuntimeError, match="invalid device ordinal"):
            torch.ones(2, device="cuda:1")


def test_gradients_are_on_the_device_of_their_inputs() -> None:
    with fake_cuda() as fc:
        leaf = torch.ones(3, device="cuda", requires_grad=True)
        (grad,) = torch.autograd.grad((leaf ** 2).sum(), leaf)
        (leaf ** 2).sum().backward()
        assert fc.is_fake(grad) and fc.is_fake(leaf.grad)
        with pytest.raises(RuntimeError, match="invalid gradient at index 0"):
            (leaf * 2).backward(torch.ones(3))
        layer = torch.nn.Linear(3, 2).to("cuda")
        assert fc.is_fake(layer.weight) and fc.is_fake(layer(leaf))


def test_generators_and_cuda_queries_say_there_is_one_gpu() -> None:
    assert fake_generator(3).device == CUDA and isinstance(fake_generator(3), torch.Generator)
    with fake_cuda():
        generator = numerics.random._new_generator(torch.device("cuda"), 5)
        assert isinstance(generator, FakeCudaGenerator)
        assert torch.cuda.is_available() and torch.cuda.device_count() == 1 and torch.cuda.current_device() == 0
        assert torch.cuda.get_device_properties(0).total_memory == 8 * 2**30
        assert torch.cuda.mem_get_info() == (4 * 2**30, 8 * 2**30)
        assert "fake" in torch.cuda.get_device_name(0)
        torch.cuda.synchronize()


def _patched() -> list[object]:
    return [torch.cuda.is_available, torch.cuda.device_count, torch.cuda.current_device, torch.cuda.synchronize,
            torch.cuda.get_device_name, torch.cuda.get_device_properties, torch.cuda.mem_get_info,
            numerics.random._new_generator, torch.Tensor._make_subclass]


def test_everything_is_restored_after_the_block_and_after_an_exception() -> None:
    before = _patched()
    with fake_cuda():
        gpu = torch.ones(2, device="cuda")
        assert _patched() != before
    assert _patched() == before and gpu.device.type == "cpu" and not on_fake_cuda(gpu)
    gpu.numpy()                                   # the mode is gone
    with pytest.raises(ZeroDivisionError), fake_cuda():
        1 / 0
    assert _patched() == before
    with fake_cuda(), pytest.raises(RuntimeError, match="does not nest"), fake_cuda():
        pass
    assert _patched() == before and torch.ones(1).device.type == "cpu"
