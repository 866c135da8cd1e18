"""Exact comparison of samples: what must not move when a job runs elsewhere (another executor, worker or thread
count), every number bit for bit, the wall-clock seconds a sample records left out."""
from __future__ import annotations

import dataclasses

import numpy as np
import torch


def untimed(value):
    """A sample as plain data compared exactly (arrays by dtype, shape and bytes, floats by their bits), without
    the wall-clock seconds it records (every field named ``seconds``, at any depth)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__qualname__, {field.name: untimed(getattr(value, field.name))
                                           for field in dataclasses.fields(value) if field.name != "seconds"})
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, (np.ndarray, np.generic)):
        value = np.ascontiguousarray(value)
        if value.dtype == object:
            return ("objects", value.shape, [untimed(item) for item in value.ravel().tolist()])
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, dict):
        return (type(value).__qualname__, [(untimed(key), untimed(item)) for key, item in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__qualname__, [untimed(item) for item in value])
    if isinstance(value, float):
        return ("float", value.hex())
    if value is None or isinstance(value, (bool, int, str, bytes)):
        return value
    raise TypeError(f"untimed does not know how to compare a {type(value).__qualname__}")
