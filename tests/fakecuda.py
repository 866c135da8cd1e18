"""A fake CUDA device for CPU-only CI: ``with fake_cuda() as fc: ...`` runs GPU code paths on the CPU.

CPU-only tests cannot see the device bugs the GPU path has had: a generator of one device paired with a
tensor of another, an op mixing a CUDA tensor with a CPU tensor, ``.numpy()`` on a CUDA tensor.  This module
emulates one device, ``cuda:0``, with a ``torch.overrides.TorchFunctionMode``:

- all data stays on the CPU; the mode remembers, by object identity, which tensors "live on the GPU";
- ``device="cuda"`` (factories, ``new_*``, ``.to``, ``.cuda()``) makes such tensors, ``.cpu()`` / ``.to("cpu")``
  copies them back, and every op whose inputs include one marks its tensor outputs;
- ``t.device``, ``t.is_cuda`` and ``t.get_device()`` answer as on a GPU, and ``torch.cuda``'s queries say that
  one device exists, so code that asks for a GPU takes its GPU path;
- the checks real CUDA makes raise the errors it raises, with the same messages (see ``FakeCuda``).

Generators cannot be intercepted by the mode, so device generators come from ``fake_generator`` (a CPU
generator whose ``device`` says cuda:0); inside ``fake_cuda()``, ``numerics.random._new_generator`` (the one
place the package makes a generator) returns one for a CUDA device.
"""
from __future__ import annotations

import contextlib
import re
import types
import weakref
from typing import Any, Callable
from unittest import mock

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten, tree_map

import numerics.random

CUDA = torch.device("cuda", 0)
DEVICE_NAME = "fake CUDA (CPU emulation)"
TOTAL_MEMORY = 8 * 2**30
FREE_MEMORY = 4 * 2**30

MIXED_DEVICES = "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"
NUMPY_ON_CUDA = ("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host "
                 "memory first.")

# In-place methods (``add_``) and augmented assignments (``+=``): their output is their first argument, which
# real CUDA also checks when it is a CPU scalar.
_IN_PLACE = re.compile(r"[a-z]\w*_|__i(add|sub|mul|truediv|floordiv|mod|pow|matmul|and|or|xor|lshift|rshift)__")

_active: list["FakeCuda"] = []


class FakeCudaGenerator(torch.Generator):
    """A CPU generator that reports ``device == cuda:0``: what ``torch.Generator(device="cuda")`` would be.

    torch draws with it on the CPU (its C++ device is the CPU); the emulator reads the Python ``device`` to
    check that it is only paired with fake-CUDA tensors.
    """

    @property
    def device(self) -> torch.device:
        return CUDA


def fake_generator(seed: int) -> torch.Generator:
    """A fake-CUDA generator seeded with ``seed``."""
    generator = FakeCudaGenerator()
    generator.manual_seed(seed)
    return generator


def on_fake_cuda(t: object) -> bool:
    """Whether ``t`` is a tensor on the fake GPU of the active ``fake_cuda()`` (False outside one)."""
    return any(mode.is_fake(t) for mode in _active)


def fake_cuda() -> "FakeCuda":
    """The emulator, to use as ``with fake_cuda() as fc:``."""
    return FakeCuda()


def _device_type(device: object) -> str:
    """The type of a ``device=`` value ("cuda", "cpu", ...), refusing CUDA devices other than cuda:0."""
    if isinstance(device, int) and not isinstance(device, bool):
        device = torch.device("cuda", device)
    device = torch.device(device)
    if device.type == "cuda" and device.index not in (None, 0):
        raise RuntimeError("CUDA error: invalid device ordinal")
    return device.type


def _tensors(tree: object) -> list[torch.Tensor]:
    """The tensors in nested lists, tuples, dicts and named tuples."""
    return [leaf for leaf in tree_flatten(tree)[0] if isinstance(leaf, torch.Tensor)]


def _as_tuple(x: object) -> tuple:
    return () if x is None else (x,) if isinstance(x, torch.Tensor) else tuple(x)


class FakeCuda(TorchFunctionMode):
    """The torch-function mode that emulates cuda:0; see the module docstring and ``__torch_function__``.

    Marks are held per mode in a ``WeakValueDictionary`` keyed by ``id``: identity, not tensor ``==``, and a
    tensor that dies leaves the registry, so a later tensor reusing its id is not mistaken for it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._fake: weakref.WeakValueDictionary[int, torch.Tensor] = weakref.WeakValueDictionary()
        self._undo = contextlib.ExitStack()
        self._special: dict[Callable, Callable] = {
            torch.Tensor.to: self._to, torch.Tensor.cuda: self._cuda, torch.Tensor.cpu: self._cpu,
            torch.Tensor.numpy: self._numpy, torch.Tensor.__array__: self._numpy,
            torch.Tensor.get_device: self._get_device, torch.Tensor.type: self._type,
            torch.Tensor.__getitem__: self._getitem, torch.Tensor.__setitem__: self._setitem,
            torch.Tensor.index_put_: self._setitem, torch.Tensor.index_put: self._setitem,
            torch.Tensor.copy_: self._unchecked, torch.autograd.grad: self._grad,
            torch.autograd.backward: self._backward, torch.Tensor.backward: self._backward,
            # queries that compare tensors of any devices (nn.Module.to asks the first one)
            torch._has_compatible_shallow_copy_type: self._unchecked, torch.Tensor.is_same_size: self._unchecked,
            **{getattr(torch.Tensor, name): self._new for name in
               ("new_tensor", "new_empty", "new_empty_strided", "new_zeros", "new_ones", "new_full")},
        }

    # ----- marks -----

    def is_fake(self, t: object) -> bool:
        """Whether ``t`` is a tensor on this fake GPU."""
        return isinstance(t, torch.Tensor) and self._fake.get(id(t)) is t

    def _mark(self, t: torch.Tensor, fake: bool) -> None:
        if fake:
            self._fake[id(t)] = t
        elif self.is_fake(t):
            del self._fake[id(t)]

    def _mark_outputs(self, out: Any, fake: bool, inputs: list[torch.Tensor]) -> Any:
        """Marks the new tensors of ``out`` when an input was fake; an input returned as is keeps its mark."""
        if fake:
            for t in _tensors(out):
                if not any(t is i for i in inputs):
                    self._mark(t, True)
        return out

    def _place(self, out: Any, fake: bool, inputs: list[torch.Tensor]) -> Any:
        """``out`` put on the fake GPU (``fake``) or the CPU, as after a device transfer.

        On the CPU a transfer to "cpu" may return its input itself; when that input is on the other (fake)
        device, a copy stands in for it, as real torch makes one.
        """
        def place(t: Any) -> Any:
            if not isinstance(t, torch.Tensor):
                return t
            if any(t is i for i in inputs):
                if self.is_fake(t) == fake:
                    return t
                t = t.clone()
            self._mark(t, fake)
            return t
        return tree_map(place, out)

    def _device(self, t: torch.Tensor) -> torch.device:
        return CUDA if self.is_fake(t) else t.device

    # ----- entering and leaving -----

    def __enter__(self) -> "FakeCuda":
        """Patches ``torch.cuda``'s queries, the generator factory and ``_make_subclass``, then pushes the mode."""
        if _active:
            raise RuntimeError("fake_cuda() does not nest")
        with contextlib.ExitStack() as stack:
            for target, name, value in self._replacements():
                stack.enter_context(mock.patch.object(target, name, value))
            super().__enter__()
            self._undo = stack.pop_all()
        _active.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        """Pops the mode and restores every patch, also when the block raised."""
        _active.remove(self)
        try:
            super().__exit__(*exc)
        finally:
            self._undo.close()

    def _replacements(self) -> list[tuple[object, str, object]]:
        properties = types.SimpleNamespace(name=DEVICE_NAME, total_memory=TOTAL_MEMORY, major=8, minor=0,
                                           multi_processor_count=1)
        new_generator = numerics.random._new_generator
        make_subclass = torch.Tensor._make_subclass

        def fake_new_generator(device: torch.device, seed: int) -> torch.Generator:
            return fake_generator(seed) if _device_type(device) == "cuda" else new_generator(device, seed)

        def fake_make_subclass(cls: type, data: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
            # nn.Parameter(fake) wraps the data without a torch function: keep the parameter on the fake GPU.
            out = make_subclass(cls, data, *args, **kwargs)
            self._mark(out, self.is_fake(data))
            return out

        return [
            (torch.cuda, "is_available", lambda: True),
            (torch.cuda, "device_count", lambda: 1),
            (torch.cuda, "current_device", lambda: 0),
            (torch.cuda, "synchronize", lambda device=None: None),
            (torch.cuda, "get_device_name", lambda device=None: DEVICE_NAME),
            (torch.cuda, "get_device_properties", lambda device=None: properties),
            (torch.cuda, "mem_get_info", lambda device=None: (FREE_MEMORY, TOTAL_MEMORY)),
            (numerics.random, "_new_generator", fake_new_generator),
            (torch.Tensor, "_make_subclass", staticmethod(fake_make_subclass)),
        ]

    # ----- dispatch -----

    def __torch_function__(self, func, _types, args=(), kwargs=None):
        """Checks a call as real CUDA would, runs it on the CPU (the mode is off in here) and marks its outputs.

        Rules, in order: a generator must claim the device of the draw; attribute reads and writes; the special
        functions of ``self._special``; a call with ``device=`` puts its outputs there; any other call may not
        mix fake tensors with CPU tensors of one or more dimensions (CPU scalars are allowed) and marks its
        outputs when an input is fake.
        """
        kwargs = dict(kwargs or {})
        self._check_generators(args, kwargs)
        name = getattr(func, "__name__", "")
        if name in ("__get__", "__set__"):
            return self._attribute(func, name, getattr(func.__self__, "__name__", ""), args, kwargs)
        try:
            special = self._special.get(func)
        except TypeError:  # an unhashable callable
            special = None
        if special is not None:
            return special(func, args, kwargs)
        if kwargs.get("device") is not None:
            return self._factory(func, args, kwargs)
        return self._generic(func, name, args, kwargs)

    def _check_generators(self, args: tuple, kwargs: dict) -> None:
        """A draw's generator must be on the draw's device: ``device=`` or, without it, that of its tensors."""
        leaves = tree_flatten((args, kwargs))[0]
        generators = [leaf for leaf in leaves if isinstance(leaf, torch.Generator)]
        if not generators:
            return
        if kwargs.get("device") is not None:
            target = _device_type(kwargs["device"])
        else:
            target = "cuda" if any(self.is_fake(leaf) for leaf in leaves) else "cpu"
        for generator in generators:
            if generator.device.type != target:
                raise RuntimeError(f"Expected a '{target}' device type for generator but found "
                                   f"'{generator.device.type}'")

    def _generic(self, func, name: str, args: tuple, kwargs: dict) -> Any:
        tensors = _tensors((args, kwargs))
        fake = any(self.is_fake(t) for t in tensors)
        if fake:
            written = _tensors(kwargs.get("out"))
            if _IN_PLACE.fullmatch(name) and args and isinstance(args[0], torch.Tensor):
                written.append(args[0])
            # a CPU scalar may be read together with CUDA tensors, but not written
            if any(not self.is_fake(t) and (t.dim() > 0 or any(t is w for w in written)) for t in tensors):
                raise RuntimeError(MIXED_DEVICES)
        return self._mark_outputs(func(*args, **kwargs), fake, tensors)

    def _factory(self, func, args: tuple, kwargs: dict) -> Any:
        """``device=`` decides where the outputs are, whatever the devices of tensor arguments (``*_like``)."""
        fake = _device_type(kwargs["device"]) == "cuda"
        if fake:
            kwargs["device"] = "cpu"
        return self._place(func(*args, **kwargs), fake, _tensors((args, kwargs)))

    def _attribute(self, func, action: str, attribute: str, args: tuple, kwargs: dict) -> Any:
        """Reads of ``device``/``is_cuda``/``is_cpu`` answer as on a GPU; ``.data =`` moves; ``.grad =`` checks."""
        owner = args[0]
        if action == "__get__":
            if self.is_fake(owner) and attribute in ("device", "is_cuda", "is_cpu"):
                return {"device": CUDA, "is_cuda": True, "is_cpu": False}[attribute]
            return self._mark_outputs(func(*args, **kwargs), self.is_fake(owner), [owner])
        value = args[1]
        if attribute == "grad" and isinstance(value, torch.Tensor) and self.is_fake(value) != self.is_fake(owner):
            raise RuntimeError("assigned grad has data located on a different device")
        out = func(*args, **kwargs)
        if attribute == "data" and isinstance(value, torch.Tensor):
            self._mark(owner, self.is_fake(value))
        return out

    # ----- special functions -----

    def _to(self, func, args: tuple, kwargs: dict) -> Any:
        """``to(device)``, ``to(tensor)``, ``to(device=..., dtype=...)``, ``to(dtype)``: no device keeps it."""
        src, rest = args[0], list(args[1:])
        other = rest[0] if rest else kwargs.get("other")
        target = None
        if kwargs.get("device") is not None:
            target = _device_type(kwargs["device"])
            if target == "cuda":
                kwargs["device"] = "cpu"
        elif isinstance(other, torch.Tensor):
            target = "cuda" if self.is_fake(other) else other.device.type
        elif rest and isinstance(rest[0], (str, int, torch.device)) and not isinstance(rest[0], bool):
            target = _device_type(rest[0])
            if target == "cuda":
                rest[0] = "cpu"
        out = func(src, *rest, **kwargs)
        return self._place(out, self.is_fake(src) if target is None else target == "cuda", [src])

    def _cuda(self, func, args: tuple, kwargs: dict) -> Any:
        """``.cuda()`` copies a CPU tensor to the fake GPU and returns a fake tensor itself (as real torch)."""
        device = args[1] if len(args) > 1 else kwargs.get("device")
        if device is not None and _device_type(device) != "cuda":
            raise RuntimeError(f"Invalid device, must be cuda device, got {device}")
        return self._place(args[0], True, [args[0]])

    def _cpu(self, func, args: tuple, kwargs: dict) -> Any:
        return self._place(func(*args, **kwargs), False, [args[0]])

    def _numpy(self, func, args: tuple, kwargs: dict) -> Any:
        if self.is_fake(args[0]) and not kwargs.get("force"):
            raise TypeError(NUMPY_ON_CUDA)
        return func(*args, **kwargs)

    def _get_device(self, func, args: tuple, kwargs: dict) -> Any:
        return 0 if self.is_fake(args[0]) else func(*args, **kwargs)

    def _type(self, func, args: tuple, kwargs: dict) -> Any:
        """``t.type()`` names the CUDA tensor type ("torch.cuda.FloatTensor"); conversions are ordinary ops."""
        if len(args) == 1 and not kwargs and self.is_fake(args[0]):
            return func(*args).replace("torch.", "torch.cuda.", 1)
        return self._generic(func, "type", args, kwargs)

    def _check_indices(self, src: torch.Tensor, index: object) -> None:
        """CPU index tensors may index a CUDA tensor (torch moves them), CUDA ones may not index a CPU tensor."""
        if not self.is_fake(src) and any(self.is_fake(i) and i.dim() > 0 for i in _tensors(index)):
            raise IndexError("indices should be either on cpu or on the same device as the indexed tensor (cpu)")

    def _getitem(self, func, args: tuple, kwargs: dict) -> Any:
        self._check_indices(args[0], args[1])
        return self._mark_outputs(func(*args, **kwargs), self.is_fake(args[0]), [args[0]])

    def _setitem(self, func, args: tuple, kwargs: dict) -> Any:
        """``t[index] = value`` and ``index_put(_)``: with tensor indices, a value of >= 1 dimension must be on
        ``t``'s device; basic indexing copies (``copy_``), which may cross devices."""
        dst, index = args[0], args[1]
        value = args[2] if len(args) > 2 else kwargs.get("values")
        self._check_indices(dst, index)
        advanced = func is not torch.Tensor.__setitem__ or bool(_tensors(index))
        if advanced and isinstance(value, torch.Tensor) and value.dim() > 0 \
                and self.is_fake(value) != self.is_fake(dst):
            raise RuntimeError(MIXED_DEVICES)
        return self._mark_outputs(func(*args, **kwargs), self.is_fake(dst), [dst])

    def _unchecked(self, func, args: tuple, kwargs: dict) -> Any:
        """``dst.copy_(src)`` crosses devices freely (``dst`` stays where it is), and so do device-blind queries."""
        return func(*args, **kwargs)

    def _new(self, func, args: tuple, kwargs: dict) -> Any:
        """``t.new_*(...)`` is on ``t``'s device unless ``device=`` says otherwise; ``new_tensor`` copies data
        from any device."""
        fake = self.is_fake(args[0])
        if kwargs.get("device") is not None:
            fake = _device_type(kwargs["device"]) == "cuda"
            if fake:
                kwargs["device"] = "cpu"
        return self._place(func(*args, **kwargs), fake, _tensors((args, kwargs)))

    def _check_root_gradients(self, roots: object, gradients: object) -> None:
        """A gradient given for an output must be on its device (torch moves 0-dim ones)."""
        for i, (root, gradient) in enumerate(zip(_as_tuple(roots), _as_tuple(gradients))):
            if isinstance(gradient, torch.Tensor) and isinstance(root, torch.Tensor) and gradient.dim() > 0 \
                    and self.is_fake(gradient) != self.is_fake(root):
                raise RuntimeError(f"invalid gradient at index {i} - expected device {self._device(root)} but "
                                   f"got {self._device(gradient)}")

    def _grad(self, func, args: tuple, kwargs: dict) -> Any:
        """``torch.autograd.grad``: each gradient is on the device of its input."""
        self._check_root_gradients(args[0], kwargs.get("grad_outputs"))
        grads = func(*args, **kwargs)
        for inp, grad in zip(_as_tuple(args[1]), grads):
            if isinstance(grad, torch.Tensor) and not any(grad is t for t in _tensors((args, kwargs))):
                self._mark(grad, self.is_fake(inp))
        return grads

    def _backward(self, func, args: tuple, kwargs: dict) -> Any:
        """``backward``: checks the given gradients; ``.grad`` reads are marked by ``_attribute``."""
        key = "gradient" if func is torch.Tensor.backward else "grad_tensors"
        self._check_root_gradients(args[0], args[1] if len(args) > 1 else kwargs.get(key))
        return func(*args, **kwargs)
