"""How a compiled PyTorch model is called like the module it came from.

The compiled function takes and returns tensors only. A PyTorch ``forward``
may also take Python scalars, ``None`` or nested lists, return Python
numbers, constants or dicts, and mutate its inputs and buffers in place. A
``TorchBoundary`` records how one maps onto the other; ``TorchCall`` applies
it around each call:

- inputs are flattened like torch.export flattens them (``pytree``);
- non-tensor inputs are fixed at compile time (torch.export specializes the
  graph on their values): a call with another value raises
  ``InputMismatchError`` (pass a 0-d tensor to make a number a run-time input);
- inputs and buffers the model mutates come back from the compiled code as
  extra results that are copied into the caller's tensors, as eager does;
- Python numbers are returned as 0-d tensors and turned back into numbers,
  constants are re-inserted, and the result is rebuilt in eager's structure;
- complex tensors cross as their real pairs (``kiln/frontend/complex_pairs.py``):
  a complex input is checked against the user's dtype and shape and passed as
  ``view_as_real`` (conjugation resolved, the caller's tensor untouched); a
  complex result comes back as a contiguous complex tensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.utils._pytree as pytree

from kiln.errors import InputMismatchError


@dataclass(frozen=True)
class Output:
    """One flattened output of ``forward``: where its value comes from.

    ``kind`` is ``result`` (result ``index`` of the compiled function),
    ``number`` (result ``index``, a 0-d tensor returned as a Python number),
    ``input`` (flattened input ``index`` itself, after the result written into
    it: an ``out=`` or in-place op's return) or ``constant`` (``value``, known
    at compile time).
    """

    kind: str
    index: int = -1
    value: Any = None


@dataclass(frozen=True)
class TorchBoundary:
    """The calling convention of a compiled PyTorch model (see the module docstring).

    ``arguments``: per argument of the compiled function, the index of a
    flattened input, or the buffer tensor it reads. ``fixed``: (input index,
    value) of the inputs fixed at compile time. ``write_backs``: (result
    index, input index or buffer tensor) for every in-place mutation.
    ``complex_inputs``: (input index, complex dtype, shape with None for a
    symbolic size) of each complex input; ``complex_results``: the results
    that are complex values' pairs.
    """

    in_spec: pytree.TreeSpec
    out_spec: pytree.TreeSpec
    arguments: tuple[int | torch.Tensor, ...]
    fixed: tuple[tuple[int, Any], ...]
    outputs: tuple[Output, ...]
    write_backs: tuple[tuple[int, int | torch.Tensor, bool], ...]
    complex_inputs: tuple[tuple[int, torch.dtype, tuple], ...] = ()
    complex_results: frozenset[int] = frozenset()

    @property
    def is_plain(self) -> bool:
        """True if tensors map one to one onto the compiled function's arguments and results."""
        n_in, n_out = len(self.arguments), len(self.outputs)
        return (
            self.in_spec == _flat_spec(((0,) * n_in, {}))
            and self.out_spec == _flat_spec(0 if n_out == 1 else (0,) * n_out)
            and all(type(a) is int and a == i for i, a in enumerate(self.arguments))
            and not self.fixed
            and not self.write_backs
            and not self.complex_inputs
            and not self.complex_results
            and self.outputs == tuple(Output("result", i) for i in range(n_out))
        )


class TorchCall:
    """A compiled model called like the PyTorch module it came from.

    Everything else (``signature``, ``profile()``, ``set_threads()``...) is the
    wrapped compiled model's.
    """

    def __init__(self, compiled, boundary: TorchBoundary):
        self.compiled = compiled
        self.boundary = boundary
        # pytree costs ~20 us a call: skip it for flat tuples, the common case.
        n_in, n_out = boundary.in_spec.num_leaves, boundary.out_spec.num_leaves
        self._flat_in = n_in if boundary.in_spec == _flat_spec(((0,) * n_in, {})) else None
        self._flat_out = boundary.out_spec == _flat_spec((0,) * n_out)
        self._leaf_out = boundary.out_spec == _flat_spec(0)

    def __getattr__(self, name: str):
        if name in ("compiled", "boundary"):  # not set yet (copy, pickle): no recursion
            raise AttributeError(name)
        return getattr(self.compiled, name)

    def __call__(self, *args):
        boundary = self.boundary
        if len(args) == self._flat_in:
            leaves = _check_fixed(boundary, list(args))
        else:
            leaves = _flat_inputs(boundary, args)
        if boundary.complex_inputs:
            leaves = _checked_complex(boundary, leaves)
        arguments = [a if isinstance(a, torch.Tensor) else leaves[a] for a in boundary.arguments]
        results = self.compiled(*[_pair_of(a) for a in arguments])
        if not isinstance(results, tuple):
            results = (results,)
        if boundary.complex_results:
            results = _as_complex(boundary, results)
        for index, target, keep_shape in boundary.write_backs:
            _copy_into(
                target if isinstance(target, torch.Tensor) else leaves[target],
                results[index],
                target if isinstance(target, int) else None,
                keep_shape,
            )
        flat = [_output_value(out, results, leaves) for out in boundary.outputs]
        if self._leaf_out:
            return flat[0]
        return tuple(flat) if self._flat_out else pytree.tree_unflatten(flat, boundary.out_spec)


def _checked_complex(boundary: TorchBoundary, leaves: list) -> list:
    """``leaves``, NumPy complex inputs as tensors sharing their memory; InputMismatchError
    naming the user's dtype and shape (not the pair's) for a complex input that differs."""
    leaves = list(leaves)
    for index, dtype, shape in boundary.complex_inputs:
        value = leaves[index]
        if isinstance(value, np.ndarray) and np.iscomplexobj(value):
            value = leaves[index] = torch.from_numpy(value)
        if (
            not isinstance(value, torch.Tensor)
            or value.dtype != dtype
            or value.dim() != len(shape)
            or any(
                want is not None and want != got
                for want, got in zip(shape, value.shape, strict=True)
            )
        ):
            raise InputMismatchError(
                f"input {index}: expected {_describe(dtype, shape)}, got {_described(value)}"
            )
    return leaves


def _pair_of(value):
    """A complex tensor as its real pair (conjugation resolved); anything else as it is."""
    if isinstance(value, torch.Tensor) and value.is_complex():
        return torch.view_as_real(value.resolve_conj())
    return value


def _as_complex(boundary: TorchBoundary, results: tuple) -> tuple:
    """The results, complex ones turned back from their pairs (contiguous complex tensors)."""
    return tuple(
        torch.view_as_complex(torch.as_tensor(r).contiguous())
        if index in boundary.complex_results
        else r
        for index, r in enumerate(results)
    )


def _describe(dtype, shape) -> str:
    sizes = ", ".join("?" if size is None else str(size) for size in shape)
    return f"{str(dtype).removeprefix('torch.')}[{sizes}]"


def _described(value) -> str:
    if isinstance(value, torch.Tensor):
        return _describe(value.dtype, tuple(value.shape))
    if isinstance(value, np.ndarray):
        return f"numpy {value.dtype.name}[{', '.join(map(str, value.shape))}]"
    return type(value).__name__


def _flat_spec(tree) -> pytree.TreeSpec:
    return pytree.tree_flatten(tree)[1]


def _flat_inputs(boundary: TorchBoundary, args: tuple) -> list:
    """The flattened inputs; InputMismatchError if their structure or fixed values differ."""
    leaves, spec = pytree.tree_flatten((args, {}))
    if spec != boundary.in_spec:
        raise InputMismatchError(
            f"the inputs are structured as {spec}; the model was compiled for {boundary.in_spec}"
        )
    return _check_fixed(boundary, leaves)


def _check_fixed(boundary: TorchBoundary, leaves: list) -> list:
    """``leaves``; InputMismatchError if an input fixed at compile time has another value."""
    for index, value in boundary.fixed:
        if not _same_value(leaves[index], value):
            raise InputMismatchError(
                f"input {index}: the model was compiled for the value {value!r} (Python values "
                f"are fixed at compile time), got {leaves[index]!r}; compile again, or pass a "
                "0-d tensor to make a number a run-time input"
            )
    return leaves


def _same_value(got, expected) -> bool:
    if type(got) is not type(expected):
        return False
    if isinstance(expected, float) and math.isnan(expected):
        return math.isnan(got)
    return got == expected


def _copy_into(target, value, index=None, keep_shape=False) -> None:
    """Writes a mutated input's new value into the caller's tensor or array.

    An ``out=`` tensor of another shape is resized first, as PyTorch's
    ``out=`` ops resize theirs (``torch.add(a, b, out=x)`` leaves ``x`` of the
    sum's shape); with ``keep_shape`` (a factory's ``out=``: arange, linspace)
    an ``x`` with as many elements keeps its shape, as eager's kernels do. A
    NumPy array cannot be resized in place behind its views: that raises
    ``InputMismatchError``.
    """
    if isinstance(target, np.ndarray):
        value = np.asarray(value)
        if keep_shape and target.size == value.size:
            value = value.reshape(target.shape)
        if target.shape != value.shape:
            raise InputMismatchError(
                f"input {index}: the model writes a {value.shape} result into this "
                f"{target.shape} array (an out= argument resized by the model); NumPy arrays "
                "cannot be resized in place: pass a torch tensor, or an array of that shape"
            )
        np.copyto(target, value)
        return
    value = torch.as_tensor(value)
    if keep_shape and target.numel() == value.numel():
        value = value.reshape(target.shape)
    with torch.no_grad():
        if target.shape != value.shape:
            target.resize_(value.shape)
        target.copy_(value)


def _output_value(out: Output, results: tuple, leaves: list):
    if out.kind == "result":
        return results[out.index]
    if out.kind == "input":  # written back into the caller's tensor, which eager returns
        return leaves[out.index]
    if out.kind == "number":
        return results[out.index].item()
    return out.value
