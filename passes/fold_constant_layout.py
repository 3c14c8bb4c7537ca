"""kiln-fold-constant-layout: evaluate layout changes and elementwise math on constants.

Weights arrive as constants; torch-mlir wraps them in ``linalg.transpose``
(``nn.Linear``), reshapes, and elementwise chains (BatchNorm's
``weight / sqrt(var + eps)``). This pass computes those at compile time with
numpy so the runtime code reads pre-transposed, pre-scaled weights.

Pre: linalg-on-tensors.
Post: no ``linalg.transpose``, ``tensor.expand_shape``/``collapse_shape``,
``tensor.pad`` or elementwise ``linalg.generic`` has only constant operands
(up to ``max-elements`` per result, and except broadcasts that would make a
much larger constant); results keep their types, so users are unchanged.
Result-less generics asserting a condition that holds on constants (torch-
mlir's BatchNorm checks) are removed. Unsupported body ops leave the op alone.
"""

from __future__ import annotations

import numpy as np
from kiln.passes.common import (
    body_op_names,
    broadcast_dims,
    collect_ops,
    constant_array,
    dense_constant,
    element_type,
    indexing_maps,
    iterator_types,
    map_dims,
    static_shape,
)
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir

FOLDABLE = (
    "linalg.transpose",
    "linalg.generic",
    "tensor.expand_shape",
    "tensor.collapse_shape",
    "tensor.pad",
    "linalg.fill",
)


@register
class FoldConstantLayout(KilnPass):
    """Fold transposes, reshapes, pads and elementwise math of constants into constants."""

    name = "kiln-fold-constant-layout"
    max_elements: int = 1 << 26

    def run(self, module: ir.Operation) -> None:
        changed = True
        while changed:
            changed = False
            # Folding makes more operands constant, which settles more asserts.
            for op in collect_ops(module, ["linalg.generic"]):
                _drop_true_assertions(op)
            for op in collect_ops(module, FOLDABLE):
                if self._fold(op):
                    changed = True

    def _fold(self, op: ir.Operation) -> bool:
        if len(op.results) != 1:
            return False
        shape = static_shape(op.results[0])
        if shape is None or int(np.prod(shape)) > self.max_elements:
            return False
        if op.name == "linalg.generic" and _expands(op, int(np.prod(shape))):
            return False  # a broadcast: computing it beats reading a bigger constant
        value = _evaluate(op)
        if value is None:
            return False
        with ir.InsertionPoint(op), op.location:
            new = dense_constant(value.reshape(shape), element_type(op.results[0]))
        op.results[0].replace_all_uses_with(new)
        op.erase()
        return True


def _squeeze_units(array: np.ndarray, dims: list[int]) -> tuple[np.ndarray, list[int]]:
    """Drops the axes that a map indexes with constant 0."""
    keep = [i for i, d in enumerate(dims) if d >= 0]
    index = tuple(slice(None) if d >= 0 else 0 for d in dims)
    return array[index], [dims[i] for i in keep]


def _expands(op: ir.Operation, out_size: int) -> bool:
    """True if the generic's result is much larger than its largest input (a broadcast)."""
    sizes = [int(np.prod(static_shape(v) or [1])) for v in list(op.operands)[:-1]]
    return out_size > 4096 and out_size > 2 * max(sizes, default=1)


# arith.cmpf predicates (by number) as numpy functions.
_CMPF = {
    1: lambda a, b: a == b,  # oeq
    2: np.greater,  # ogt
    3: np.greater_equal,  # oge
    4: np.less,  # olt
    5: np.less_equal,  # ole
    6: lambda a, b: (a != b) & ~np.isnan(a) & ~np.isnan(b),  # one
    13: lambda a, b: ~((a == b) & ~np.isnan(a) & ~np.isnan(b)),  # une
}


def _drop_true_assertions(op: ir.Operation) -> None:
    """Erases ``cf.assert`` ops of a generic's body whose condition, computed from
    constant operands only, holds everywhere (torch-mlir's BatchNorm checks);
    then the generic itself if it has no results and nothing left to do."""
    block = op.regions[0].blocks[0]
    body = [o.operation for o in block.operations]
    asserts = [o for o in body if o.name == "cf.assert"]
    if not asserts:
        return
    values = _constant_block_values(op)
    if values is None:
        return
    for inner in body:
        if inner.name in ("cf.assert", "linalg.yield"):
            continue
        args = [values[v] if v in values else _captured_scalar(v) for v in inner.operands]
        if any(a is None for a in args):
            continue  # depends on runtime data: not evaluated
        if inner.name == "arith.cmpf":
            predicate = ir.IntegerAttr(inner.attributes["predicate"]).value
            if predicate in _CMPF:
                values[inner.results[0]] = _CMPF[predicate](args[0], args[1])
        elif inner.name in _BINARY:
            values[inner.results[0]] = _BINARY[inner.name](args[0], args[1])
    for assertion in asserts:
        condition = values.get(assertion.operands[0])
        if condition is not None and bool(np.all(condition)):
            producer = assertion.operands[0].owner
            assertion.erase()
            if hasattr(producer, "operation") and not list(producer.results[0].uses):
                producer.operation.erase()
    remaining = [o.operation.name for o in block.operations]
    if len(op.results) == 0 and remaining == ["linalg.yield"]:
        op.erase()


def _constant_block_values(op: ir.Operation) -> dict | None:
    """Block arguments of constant operands, as arrays broadcast over the loops."""
    maps = indexing_maps(op)
    if not maps:
        return {}  # no operands: conditions can only come from captured constants
    shapes = [static_shape(v) for v in op.operands]
    all_dims = [broadcast_dims(m) for m in maps]
    if any(s is None for s in shapes) or any(d is None for d in all_dims):
        return None
    loops = [1] * maps[0].n_dims
    for shape, dims in zip(shapes, all_dims, strict=True):
        for d, size in zip(dims, shape, strict=True):
            if d >= 0:
                loops[d] = size
    values = {}
    for arg, value, dims in zip(
        op.regions[0].blocks[0].arguments, op.operands, all_dims, strict=True
    ):
        array = constant_array(value)
        if array is not None:
            array, used = _squeeze_units(array, dims)
            values[arg] = _broadcast_to_loops(
                array, used, [loops[d] if d in used else 1 for d in range(len(loops))]
            )
    return values


def _evaluate(op: ir.Operation) -> np.ndarray | None:
    if op.name == "linalg.fill":
        return None  # fills stay: they fold into their consumers later
    if op.name == "linalg.transpose":
        src = constant_array(op.operands[0])
        if src is None:
            return None
        perm = list(ir.DenseI64ArrayAttr(op.attributes["permutation"]))
        return np.transpose(src, perm)
    if op.name in ("tensor.expand_shape", "tensor.collapse_shape"):
        src = constant_array(op.operands[0])
        return None if src is None else src.reshape(static_shape(op.results[0]))
    if op.name == "tensor.pad":
        return _evaluate_pad(op)
    if op.name == "linalg.generic":
        return _evaluate_elementwise(op)
    return None


def _evaluate_pad(op: ir.Operation) -> np.ndarray | None:
    src = constant_array(op.operands[0])
    if src is None or len(op.operands) != 1:
        return None  # dynamic padding amounts
    block = op.regions[0].blocks[0]
    yielded = list(block.operations)[-1].operands[0]
    pad_value = _scalar_constant(yielded)
    if pad_value is None:
        return None
    low = list(ir.DenseI64ArrayAttr(op.attributes["static_low"]))
    high = list(ir.DenseI64ArrayAttr(op.attributes["static_high"]))
    if any(amount < 0 for amount in low + high):
        return None  # negative padding crops: left to MLIR
    if src.ndim == 0:
        return src  # nothing to pad (np.pad rejects an empty pad width)
    return np.pad(src, list(zip(low, high, strict=True)), constant_values=pad_value)


def _scalar_constant(value: ir.Value):
    owner = value.owner
    if not hasattr(owner, "operation") or owner.operation.name != "arith.constant":
        return None
    attr = owner.attributes["value"]
    if isinstance(attr, ir.FloatAttr):
        return attr.value
    if isinstance(attr, ir.IntegerAttr):
        return attr.value
    return None


_BINARY = {
    "arith.addf": np.add,
    "arith.subf": np.subtract,
    "arith.mulf": np.multiply,
    "arith.divf": np.divide,
    "arith.maximumf": np.maximum,
    "arith.minimumf": np.minimum,
}
_UNARY = {
    "math.sqrt": np.sqrt,
    "math.rsqrt": lambda x: 1.0 / np.sqrt(x),
    "arith.negf": np.negative,
}
_CASTS = ("arith.truncf", "arith.extf", "arith.sitofp", "arith.extsi", "arith.trunci")
# Integer ops: numpy's wrap around as arith's do; operands keep their integer dtypes.
_INTEGER_BINARY = {"arith.addi": np.add, "arith.subi": np.subtract, "arith.muli": np.multiply}
# Casts that read the operand as unsigned: reinterpret its bits first.
_UNSIGNED_CASTS = ("arith.uitofp", "arith.extui")


def _evaluate_elementwise(op: ir.Operation) -> np.ndarray | None:
    """Evaluates an all-parallel generic whose inputs are all constants."""
    n_inputs = len(op.operands) - 1
    return evaluate_elementwise(op, [constant_array(v) for v in list(op.operands)[:n_inputs]])


def evaluate_elementwise(op: ir.Operation, inputs: list) -> np.ndarray | None:
    """An all-parallel generic evaluated with numpy on ``inputs`` (one array per input
    operand, shaped like it), else None (a body op or a map it cannot evaluate)."""
    if "reduction" in iterator_types(op):
        return None
    if not inputs or len(inputs) != len(op.operands) - 1:
        return None
    if any(a is None for a in inputs):
        return None
    out_shape = static_shape(op.results[0])
    maps = indexing_maps(op)
    if maps[-1].n_dims != len(out_shape) or map_dims(maps[-1]) != list(range(len(out_shape))):
        return None  # a loop the output does not index: not elementwise
    operands = []
    for array, amap in zip(inputs, maps, strict=False):
        dims = broadcast_dims(amap)
        if dims is None:
            return None
        array, dims = _squeeze_units(array, dims)
        if len(set(dims)) != len(dims):
            return None
        operands.append(_broadcast_to_loops(array, dims, out_shape))
    names = body_op_names(op)
    known = (*_BINARY, *_INTEGER_BINARY, *_UNARY, *_CASTS, *_UNSIGNED_CASTS)
    if any(n not in known and n not in ("linalg.yield", "arith.constant") for n in names):
        return None
    return _run_body(op.regions[0].blocks[0], operands, element_type(op.results[0]))


def evaluate_body(op: ir.Operation, operands: list[np.ndarray]) -> np.ndarray | None:
    """A generic's body run elementwise on ``operands`` (one array per input, broadcast
    together), else None (a body op it cannot evaluate)."""
    return _run_body(op.regions[0].blocks[0], operands, element_type(op.results[0]))


def _broadcast_to_loops(array: np.ndarray, dims: list[int], loop_shape: list[int]) -> np.ndarray:
    order = sorted(range(len(dims)), key=lambda i: dims[i])
    arranged = np.transpose(array, order)
    expanded_shape = [1] * len(loop_shape)
    for i, d in enumerate(sorted(dims)):
        expanded_shape[d] = arranged.shape[i]
    return np.broadcast_to(arranged.reshape(expanded_shape), loop_shape)


def _run_body(block: ir.Block, operands: list[np.ndarray], out_type: ir.Type) -> np.ndarray | None:
    values: dict = {}
    for arg, array in zip(block.arguments, operands, strict=False):
        values[arg] = array
    for inner in block.operations:
        inner = inner.operation
        if inner.name == "linalg.yield":
            result = values.get(inner.operands[0])
            dtype = _np_dtype(out_type)
            if result is None or dtype is None:
                return None
            return np.asarray(result, dtype=dtype)
        if inner.name == "arith.constant":
            scalar = _scalar_constant(inner.results[0])
            if scalar is None:
                return None
            values[inner.results[0]] = _numpy_scalar(scalar)
            continue
        args = [values[v] if v in values else _captured_scalar(v) for v in inner.operands]
        if any(a is None for a in args):
            return None
        if inner.name in _BINARY:
            out = _BINARY[inner.name](args[0], args[1])
        elif inner.name in _INTEGER_BINARY:
            out = _INTEGER_BINARY[inner.name](*_same_integer_dtype(args, inner.results[0].type))
        elif inner.name in _UNARY:
            out = _UNARY[inner.name](args[0])
        else:  # casts
            out = _cast(inner, args[0])
            if out is None:
                return None
        values[inner.results[0]] = out
    return None


def _cast(op: ir.Operation, array):
    """``op`` (a cast in ``_CASTS`` or ``_UNSIGNED_CASTS``) applied to ``array``."""
    dtype = _np_dtype(op.results[0].type)
    if dtype is None:
        return None
    array = np.asarray(array)
    if np.bool_ in (dtype, array.dtype):
        # i1 is signed in arith (true is -1 to extsi and sitofp) and trunci keeps the
        # low bit; numpy's bool casts say 1 and "nonzero": not evaluated here.
        return None
    if op.name in _UNSIGNED_CASTS:
        width = ir.IntegerType(op.operands[0].type).width
        unsigned = _UINT_DTYPES.get(width)
        if unsigned is None:
            return None
        array = array.astype(_INT_DTYPES[width]).view(unsigned)
    return array.astype(dtype)


def _same_integer_dtype(args: list, ty: ir.Type) -> list:
    """Integer operands as arrays of the result's width (a constant arrives as int64):
    numpy then wraps around at that width, as arith does."""
    dtype = _np_dtype(ty)
    return [np.asarray(a).astype(dtype) for a in args]


def _numpy_scalar(scalar):
    """Integer constants as int64 (exact past 2**53), float ones as float64."""
    return np.int64(scalar) if isinstance(scalar, int) else np.float64(scalar)


def _captured_scalar(value: ir.Value):
    """A scalar constant defined outside the body (``x + eps``), as ``_numpy_scalar``
    gives it, else None."""
    scalar = _scalar_constant(value)
    return None if scalar is None else _numpy_scalar(scalar)


_INT_DTYPES = {1: np.bool_, 8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}
_UINT_DTYPES = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}


def _np_dtype(ty: ir.Type):
    """The numpy dtype of an element type; None for those numpy lacks (bf16, f8, ...)."""
    if isinstance(ty, ir.F32Type):
        return np.float32
    if isinstance(ty, ir.F64Type):
        return np.float64
    if isinstance(ty, ir.F16Type):
        return np.float16
    if isinstance(ty, ir.IntegerType):
        return _INT_DTYPES.get(ir.IntegerType(ty).width)
    return None
