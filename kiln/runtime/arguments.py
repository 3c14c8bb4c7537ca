"""Checking and converting the arguments of a compiled model's call (numpy or torch, CPU).

Shared by the JIT's ``CompiledModel`` and ``kiln.load``'s ``LoadedModel``; it
imports neither MLIR nor torch (a torch tensor is recognized by its type's
module, and torch is imported only to allocate torch outputs).
"""

from __future__ import annotations

import sys

import numpy as np

from kiln.errors import BufferTooLargeError, InputMismatchError
from kiln.runtime.signature import TensorSpec


def is_torch(x) -> bool:
    """True for a torch tensor (without importing torch)."""
    return type(x).__module__.startswith("torch")


def checked_input(arg, spec: TensorSpec, index: int):
    """The argument as a contiguous array of the right shape and dtype, else an error."""
    if is_torch(arg):
        dtype = str(arg.dtype).removeprefix("torch.")
        shape = tuple(arg.shape)
    elif isinstance(arg, np.ndarray):
        dtype, shape = arg.dtype.name, arg.shape
    else:
        raise InputMismatchError(
            f"input {index}: expected a torch.Tensor or numpy.ndarray {spec}, got {type(arg).__name__}"
        )
    if not spec.matches(tuple(shape)) or dtype != spec.dtype:
        got = f"{dtype}[{', '.join(map(str, shape))}]"
        raise InputMismatchError(f"input {index}: expected {spec}, got {got}")
    if is_torch(arg):
        if arg.device.type != "cpu":
            raise InputMismatchError(
                f"input {index}: expected a CPU tensor, got one on {arg.device}"
            )
        # A lazily negated view (torch._neg_view) holds the un-negated values in memory.
        arg = arg.resolve_neg()
        return arg if arg.is_contiguous() else _copy(arg.contiguous, index, dtype, shape)
    if not arg.dtype.isnative:
        # Compiled code reads the host's byte order: a big-endian array is converted.
        native = arg.dtype.newbyteorder("=")
        arg = _copy(lambda: arg.astype(native), index, dtype, shape)
    return (
        arg
        if arg.flags.c_contiguous
        else _copy(lambda: np.ascontiguousarray(arg), index, dtype, shape)
    )


def _copy(make, index: int, dtype: str, shape: tuple):
    """``make()``: a copy of an input that cannot be passed as it is (a broadcast view
    may be far larger as a copy); BufferTooLargeError naming the input if it cannot be made."""
    try:
        return make()
    except (MemoryError, RuntimeError) as err:
        size = f"{dtype}[{', '.join(map(str, shape))}]"
        raise BufferTooLargeError(
            f"input {index}: {size} must be copied (it is strided or big-endian) and the copy "
            f"cannot be allocated: {err}"
        ) from None


def empty_output(spec: TensorSpec, use_torch: bool):
    """An uninitialized output buffer; BufferTooLargeError if it cannot be allocated."""
    try:
        if use_torch:
            import torch

            return torch.empty(spec.shape, dtype=getattr(torch, spec.dtype))
        return np.empty(spec.shape, dtype=spec.numpy_dtype)
    except (MemoryError, RuntimeError) as err:
        raise BufferTooLargeError(
            f"cannot allocate an output of shape {list(spec.shape)} and dtype {spec.dtype}: {err}"
        ) from None


def data_pointer(x) -> int:
    """The address of the first element of a contiguous array or tensor."""
    if is_torch(x):
        return x.data_ptr()
    return x.ctypes.data


class TorchFastPath:
    """The common call in a few microseconds: contiguous CPU torch tensors of exactly the
    expected shapes and dtypes, outputs allocated by torch.

    One check for both runtimes (the JIT's and ``kiln.load``'s): a tensor that needs
    anything more (a copy, a conversion, a negated view whose bit pattern is not its
    value) is left to the general path, ``checked_input``.
    """

    def __init__(self, signature) -> None:
        self.signature = signature
        self._specs = None  # built on the first call with torch tensors

    def outputs(self, args) -> list | None:
        """The torch outputs to write when ``args`` can be passed by pointer as they are,
        else None (nothing done)."""
        torch = sys.modules.get("torch")  # torch tensors exist only if the caller imported it
        if torch is None or len(args) != len(self.signature.inputs):
            return None
        if self._specs is None:
            self._specs = (
                [(torch.Size(s.shape), getattr(torch, s.dtype)) for s in self.signature.inputs],
                [(tuple(s.shape), getattr(torch, s.dtype)) for s in self.signature.outputs],
            )
        inputs, outputs = self._specs
        for arg, (shape, dtype) in zip(args, inputs, strict=True):
            if (
                type(arg) is not torch.Tensor
                or arg.dtype is not dtype
                or arg.shape != shape
                or not arg.is_cpu
                or not arg.is_contiguous()
                or arg.is_neg()  # torch._neg_view: memory holds -x
                or arg.is_conj()
            ):
                return None
        try:
            return [torch.empty(shape, dtype=dtype) for shape, dtype in outputs]
        except RuntimeError:
            return None  # the general path reports it
