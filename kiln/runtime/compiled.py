"""``CompiledModel``: a JIT-compiled entry point called with torch tensors or numpy arrays.

Inputs are passed by pointer (contiguous inputs are not copied); outputs are
allocated by the caller side here and written in place by the compiled code
(its results are out-params). Wrong input counts, shapes or dtypes raise
``InputMismatchError`` before any native code runs.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Sequence

import numpy as np

from kiln.buffer_sizes import human_bytes, machine_memory_bytes
from kiln.errors import BufferTooLargeError, InputMismatchError, KilnError
from kiln.lowering.cpu.result_shapes import PREFIX as RESULT_SHAPES_PREFIX
from kiln.runtime.arguments import (
    TorchFastPath,
    checked_input,
    data_pointer,
    empty_output,
    is_torch,
)
from kiln.runtime.descriptors import input_descriptor, results_type, take_result
from kiln.runtime.jit import JitModule, set_num_threads
from kiln.runtime.signature import Signature


class CompiledModel:
    """A compiled model: call it like the original (see module docstring)."""

    def __init__(
        self,
        jit: JitModule,
        signature: Signature,
        threads: int,
        stages: dict | None = None,
        profile_regions: list[str] | None = None,
        assertions: list[str] | None = None,
    ):
        self._jit = jit
        self._profile_regions = profile_regions
        self._assertions = assertions or []
        self._read_errors = None
        if self._assertions:
            from kiln.lowering.cpu.assertions_to_errors import READ_FUNCTION

            self._read_errors = jit.packed_function(READ_FUNCTION)
        # Calls share the module's static buffers (kiln-static-buffers): one at a time.
        self._lock = threading.Lock()
        self.signature = signature
        self.threads = threads
        self.stages = stages or {}
        self._result_shapes = None
        if signature.dynamic:
            # Descriptors through MLIR's C interface (see kiln.runtime.descriptors).
            self._fn = jit.packed_function(f"_mlir_ciface_{signature.name}")
            self._result_shapes = _optional_function(
                jit, f"_mlir_ciface_{RESULT_SHAPES_PREFIX}{signature.name}"
            )
            self._memory_limit = machine_memory_bytes()
        else:
            self._fn = jit.packed_function(signature.name)
        self._n_args = len(signature.inputs) + len(signature.outputs)
        # One argument array, reused by every call (calls are serialized by the lock).
        self._values = (ctypes.c_void_p * self._n_args)()
        size = ctypes.sizeof(ctypes.c_void_p)
        base = ctypes.addressof(self._values)
        self._packed = (ctypes.c_void_p * self._n_args)(
            *[base + i * size for i in range(self._n_args)]
        )
        self._fast = TorchFastPath(signature)
        self.cache_status = "off"  # JIT code is never cached
        self._dynamic = signature.dynamic

    def __call__(self, *args):
        if not self._dynamic:
            outputs = self._call_torch_fast(args)
            if outputs is not None:
                return outputs
        inputs = self._check_inputs(args)
        use_torch = any(is_torch(a) for a in args)
        if self.signature.dynamic:
            return self._call_with_descriptors(inputs, use_torch)
        outputs = [empty_output(spec, use_torch) for spec in self.signature.outputs]
        pointers = [data_pointer(x) for x in inputs] + [data_pointer(o) for o in outputs]
        self.run_raw(pointers)
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def _call_torch_fast(self, args):
        """The common case (``TorchFastPath``); None (nothing done) for anything else,
        which the general path then checks, converts or reports."""
        results = self._fast.outputs(args)
        if results is None:
            return None
        with self._lock:
            values = self._values
            for i, arg in enumerate(args):
                values[i] = arg.data_ptr()
            for j, out in enumerate(results, len(args)):
                values[j] = out.data_ptr()
            set_num_threads(self.threads)
            self._fn(self._packed)
            self._raise_failed_checks()
        return results[0] if len(results) == 1 else tuple(results)

    def run_raw(self, pointers: Sequence[int]) -> None:
        """Calls the compiled code on raw data pointers (inputs, then outputs)."""
        with self._lock:
            self._values[:] = list(pointers)
            set_num_threads(self.threads)
            self._fn(self._packed)
            self._raise_failed_checks()

    def _raise_failed_checks(self) -> None:
        """Raises KilnError if a runtime check (a torch-mlir assertion) failed in the last call."""
        if self._read_errors is None:
            return
        flags = np.zeros(len(self._assertions), np.int32)
        _call_with_buffer(self._read_errors, flags, self.signature.dynamic)
        failed = [message for message, flag in zip(self._assertions, flags, strict=True) if flag]
        if failed:
            raise KilnError("kiln: a runtime check failed: " + "; ".join(failed))

    def _call_with_descriptors(self, inputs: list, use_torch: bool):
        """Calls an entry point with dynamic shapes: descriptors in, owned buffers out."""
        descs = [input_descriptor(data_pointer(x), tuple(x.shape)) for x in inputs]
        ranks = [len(spec.shape) for spec in self.signature.outputs]
        results = results_type(ranks)()
        pointers = [ctypes.pointer(results)] + [ctypes.pointer(d) for d in descs]
        slots = (ctypes.c_void_p * len(pointers))(*[ctypes.addressof(p) for p in pointers])
        with self._lock:
            set_num_threads(self.threads)
            self._check_output_sizes(descs)
            self._fn(slots)
            self._raise_failed_checks()
        fields = (
            [results] if len(ranks) == 1 else [getattr(results, f"r{i}") for i in range(len(ranks))]
        )
        arrays = [
            take_result(desc, rank, np.dtype(spec.numpy_dtype))
            for desc, rank, spec in zip(fields, ranks, self.signature.outputs, strict=True)
        ]
        if use_torch:
            import torch

            arrays = [torch.from_numpy(a) for a in arrays]
        return arrays[0] if len(arrays) == 1 else tuple(arrays)

    def _check_output_sizes(self, descs: list) -> None:
        """Raises BufferTooLargeError, before the call, for an output the machine cannot hold.

        The compiled code ``malloc``s its dynamically shaped outputs and cannot
        survive a failure; the shape function (``kiln-result-shapes``) tells
        their sizes from the inputs' first.
        """
        if self._result_shapes is None:
            return
        ranks = [len(spec.shape) for spec in self.signature.outputs]
        shape_desc = results_type([1])()
        pointers = [ctypes.pointer(shape_desc)] + [ctypes.pointer(d) for d in descs]
        self._result_shapes(
            (ctypes.c_void_p * len(pointers))(*[ctypes.addressof(p) for p in pointers])
        )
        sizes = take_result(shape_desc, 1, np.dtype(np.int64)).tolist()
        limit = self._memory_limit
        for index, spec in enumerate(self.signature.outputs):
            shape = sizes[sum(ranks[:index]) : sum(ranks[: index + 1])]
            if any(size < 0 for size in shape):
                continue  # unknown before the call (depends on data)
            nbytes = int(np.prod(shape, dtype=object)) * np.dtype(spec.numpy_dtype).itemsize
            if nbytes > limit:
                raise BufferTooLargeError(
                    f"{self.signature.name}: output {index} of shape {shape} and dtype "
                    f"{spec.dtype} needs {human_bytes(nbytes)}, more than this machine's "
                    f"memory ({human_bytes(limit)}); nothing was run"
                )
        # Then the byte counts of the dynamic intermediates (-1: depends on data).
        for index, nbytes in enumerate(sizes[sum(ranks) :]):
            if nbytes > limit:
                raise BufferTooLargeError(
                    f"{self.signature.name}: for these input shapes, intermediate tensor "
                    f"{index} of the computation needs {human_bytes(nbytes)}, more than this "
                    f"machine's memory ({human_bytes(limit)}); nothing was run"
                )

    def profile(self) -> list[tuple[str, float]]:
        """(region, share of all counted cycles) per loop nest, largest first.

        Needs ``kiln.compile(..., profile=True)``; counters accumulate over calls.
        """
        cycles = self.profile_cycles()
        total = max(sum(c for _, c in cycles), 1)
        shares = [(name, c / total) for name, c in cycles]
        return sorted(shares, key=lambda item: -item[1])

    def profile_cycles(self) -> list[tuple[str, int]]:
        """(region, cycles counted so far) per loop nest, in the module's order.

        Needs ``kiln.compile(..., profile=True)``; the cycles are those of
        ``llvm.readcyclecounter`` (on x86 the constant-rate TSC).
        """
        if self._profile_regions is None:
            raise ValueError("compile with kiln.compile(..., profile=True) to profile")
        counters = np.zeros(len(self._profile_regions), np.int64)
        if len(counters):
            from kiln.lowering.cpu.profile_regions import READ_FUNCTION

            _call_with_buffer(
                self._jit.packed_function(READ_FUNCTION), counters, self.signature.dynamic
            )
        return [(name, int(c)) for name, c in zip(self._profile_regions, counters, strict=True)]

    def save(self, path) -> None:
        """JIT-compiled code stays in this process: only libraries can be saved."""
        raise KilnError(
            "kiln: this model was compiled in the JIT (dynamic shapes, profile=True, or no "
            "library toolchain), which cannot be saved; compile it with static shapes and "
            "without profile=True (or use kiln-compile) to get a library"
        )

    def set_threads(self, threads: int) -> None:
        """Changes the number of threads the compiled code runs on (up to the compiled split)."""
        if threads < 1:
            raise ValueError("threads must be >= 1")
        self.threads = threads

    def _check_inputs(self, args) -> list:
        specs = self.signature.inputs
        if len(args) != len(specs):
            expected = ", ".join(str(s) for s in specs)
            raise InputMismatchError(
                f"{self.signature.name} takes {len(specs)} input(s) ({expected}), got {len(args)}"
            )
        return [
            checked_input(arg, spec, i)
            for i, (arg, spec) in enumerate(zip(args, specs, strict=True))
        ]


def _call_with_buffer(fn, array: np.ndarray, descriptors: bool) -> None:
    """Calls a packed ``void f(memref<N x T>)`` on a 1-D array, in either calling convention.

    With bare pointers the memref is one pointer; with descriptors it is
    exploded into (allocated, aligned, offset, size, stride).
    """
    if descriptors:
        fields = [
            ctypes.c_void_p(array.ctypes.data),
            ctypes.c_void_p(array.ctypes.data),
            ctypes.c_int64(0),
            ctypes.c_int64(array.shape[0]),
            ctypes.c_int64(1),
        ]
    else:
        fields = [ctypes.c_void_p(array.ctypes.data)]
    fn((ctypes.c_void_p * len(fields))(*[ctypes.addressof(f) for f in fields]))


def _optional_function(jit: JitModule, name: str):
    """The packed entry of function ``name``, None if the module has none."""
    try:
        return jit.packed_function(name)
    except KilnError:
        return None
