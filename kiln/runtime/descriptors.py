"""MLIR memref descriptors for entry points with dynamic shapes.

Statically shaped entry points take bare data pointers. An entry point with a
dynamic dimension takes, for each memref, a descriptor {allocated pointer,
aligned pointer, offset, sizes[rank], strides[rank]}, and returns its
results as descriptors of buffers it allocated (with ``malloc``); the caller
owns those and frees them after copying the data out.
"""

from __future__ import annotations

import ctypes
from functools import cache, lru_cache

import numpy as np


@cache
def descriptor_type(rank: int) -> type[ctypes.Structure]:
    """The ctypes structure of a rank-``rank`` memref descriptor."""
    fields = [
        ("allocated", ctypes.c_void_p),
        ("aligned", ctypes.c_void_p),
        ("offset", ctypes.c_int64),
    ]
    if rank:
        fields += [("sizes", ctypes.c_int64 * rank), ("strides", ctypes.c_int64 * rank)]
    return type(f"MemRef{rank}D", (ctypes.Structure,), {"_fields_": fields})


def input_descriptor(pointer: int, shape: tuple[int, ...]) -> ctypes.Structure:
    """The descriptor of a contiguous buffer at ``pointer`` of ``shape``."""
    desc = descriptor_type(len(shape))()
    desc.allocated = desc.aligned = pointer
    desc.offset = 0
    if shape:
        strides, step = [], 1
        for size in reversed(shape):
            strides.append(step)
            step *= size
        desc.sizes[:] = list(shape)
        desc.strides[:] = list(reversed(strides))
    return desc


def results_type(ranks: list[int]) -> type[ctypes.Structure]:
    """The structure an entry point returns: one descriptor, or a struct of them."""
    if len(ranks) == 1:
        return descriptor_type(ranks[0])
    fields = [(f"r{i}", descriptor_type(rank)) for i, rank in enumerate(ranks)]
    return type("Results", (ctypes.Structure,), {"_fields_": fields})


def take_result(desc: ctypes.Structure, rank: int, dtype: np.dtype) -> np.ndarray:
    """Copies a returned buffer into a new numpy array and frees the buffer."""
    shape = tuple(desc.sizes[:rank]) if rank else ()
    strides = tuple(s * dtype.itemsize for s in desc.strides[:rank]) if rank else ()
    base = desc.aligned + desc.offset * dtype.itemsize
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if count:
        span = (
            max((size - 1) * stride for size, stride in zip(shape, strides, strict=True))
            + dtype.itemsize
            if shape
            else dtype.itemsize
        )
        raw = (ctypes.c_char * span).from_address(base)
        view = np.lib.stride_tricks.as_strided(
            np.frombuffer(raw, dtype=dtype, count=span // dtype.itemsize), shape, strides
        )
        array = np.array(view, copy=True)
    else:
        array = np.empty(shape, dtype)
    _libc().free(ctypes.c_void_p(desc.allocated))
    return array


@lru_cache(maxsize=1)
def _libc():
    libc = ctypes.CDLL(None)
    libc.free.argtypes = [ctypes.c_void_p]
    return libc
