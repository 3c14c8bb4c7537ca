"""Entry-point signatures: the shapes and dtypes a compiled function takes and returns.

``TensorSpec`` and ``Signature`` import no MLIR (``kiln.load`` uses them);
reading a signature off a module imports the bindings when called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from kiln.ir import ir

# MLIR element type (as printed) -> numpy dtype name.
_NUMPY = {
    "f32": "float32",
    "f64": "float64",
    "f16": "float16",
    "bf16": "bfloat16",
    "i64": "int64",
    "i32": "int32",
    "i16": "int16",
    "i8": "int8",
    "i1": "bool",
    "ui8": "uint8",
}


@dataclass(frozen=True)
class TensorSpec:
    """One input or output: its shape (None for a dynamic dimension) and dtype name (numpy spelling)."""

    shape: tuple[int | None, ...]
    dtype: str

    def __str__(self) -> str:
        return f"{self.dtype}[{', '.join('?' if d is None else str(d) for d in self.shape)}]"

    @property
    def dynamic(self) -> bool:
        """True if some dimension is only known at run time."""
        return None in self.shape

    def matches(self, shape: tuple[int, ...]) -> bool:
        """True if a concrete ``shape`` fits this spec."""
        return len(shape) == len(self.shape) and all(
            d is None or d == s for d, s in zip(self.shape, shape, strict=True)
        )

    @property
    def nbytes(self) -> int:
        """Size of the tensor in bytes (static shapes only)."""
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.numpy_dtype).itemsize

    @property
    def numpy_dtype(self):
        """The numpy dtype (bfloat16 maps to uint16 storage)."""
        return np.uint16 if self.dtype == "bfloat16" else np.dtype(self.dtype)


@dataclass(frozen=True)
class Signature:
    """The inputs and outputs of an entry function."""

    name: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]

    @property
    def dynamic(self) -> bool:
        """True if any input or output has a dynamic dimension."""
        return any(spec.dynamic for spec in (*self.inputs, *self.outputs))


def tensor_spec(ty: ir.Type) -> TensorSpec:
    """The spec of a ranked, statically shaped tensor type."""
    from kiln.ir import ir

    if not isinstance(ty, ir.RankedTensorType):
        raise ValueError(f"kiln entry points take and return ranked tensors, got {ty}")
    shaped = ir.RankedTensorType(ty)
    elt = str(shaped.element_type)
    if elt not in _NUMPY:
        raise ValueError(f"kiln does not support element type {elt} at function boundaries")
    shape = tuple(
        None if shaped.is_dynamic_dim(i) else shaped.get_dim_size(i) for i in range(shaped.rank)
    )
    return TensorSpec(shape, _NUMPY[elt])


# torch dtypes that share a linalg element type with another (signedness is lost).
_SAME_STORAGE = {"uint8": "int8", "int8": "int8", "bool": "bool"}


def with_torch_dtypes(signature: Signature, inputs: list[str], outputs: list[str]) -> Signature:
    """The signature with torch's dtypes where linalg lost the distinction (uint8 vs int8)."""

    def fix(specs, dtypes):
        fixed = []
        for spec, dtype in zip(specs, list(dtypes) + [""] * len(specs), strict=False):
            if dtype in _SAME_STORAGE and _SAME_STORAGE[dtype] == _SAME_STORAGE.get(
                spec.dtype, spec.dtype
            ):
                spec = TensorSpec(spec.shape, dtype)
            fixed.append(spec)
        return tuple(fixed)

    return Signature(signature.name, fix(signature.inputs, inputs), fix(signature.outputs, outputs))


def entry_signature(module: ir.Module, name: str | None = None) -> Signature:
    """The signature of function ``name`` (default: the only public function)."""
    from kiln.ir import ir

    funcs = [op for op in module.body.operations if op.operation.name == "func.func"]
    public = [
        f
        for f in funcs
        if "sym_visibility" not in f.attributes
        or ir.StringAttr(f.attributes["sym_visibility"]).value == "public"
    ]
    if name is None:
        if len(public) != 1:
            names = ", ".join(ir.StringAttr(f.attributes["sym_name"]).value for f in public)
            raise ValueError(f"kiln needs one entry function; found {len(public)}: {names}")
        func = public[0]
    else:
        matches = [f for f in funcs if ir.StringAttr(f.attributes["sym_name"]).value == name]
        if not matches:
            raise ValueError(f"no function '{name}' in the module")
        func = matches[0]
    ftype = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
    return Signature(
        ir.StringAttr(func.attributes["sym_name"]).value,
        tuple(tensor_spec(t) for t in ftype.inputs),
        tuple(tensor_spec(t) for t in ftype.results),
    )
