"""kiln-bitcast-views: ``Tensor.view(dtype)`` becomes a bit reinterpretation in linalg.

torch-mlir has no lowering for ``aten.view.dtype`` (``torch.signbit`` and
``torch.copysign`` decompose into it). Each element's bits are reinterpreted:
with equal element widths by an elementwise ``arith.bitcast``; to a narrower
type (f32 -> int8) every element splits into its little-endian parts along a new
last dimension, merged into the last one as PyTorch does ([12, 1] f32 -> [12, 4]
int8); to a wider type the last dimension's groups of parts are shifted and or-ed
into one element.

    torch.aten.view.dtype %x, %int3 : [8],f32 -> [8],si32  ->  linalg.generic { arith.bitcast }

Pre: torch-mlir's backend contract (the frontends' ``torch`` stage).
Post: no ``torch.aten.view.dtype`` remains, except one involving bool or complex
elements, or changing the element width of a tensor whose shape is not static:
torch-mlir then reports it as an unsupported op at its source line.
"""

from __future__ import annotations

import re

from kiln.ir import arith, ir, linalg, tensor
from kiln.passes.common import (
    affine_map,
    build_generic,
    collapse_to,
    collect_ops,
    split_dim,
    tensor_type,
)
from kiln.passes.registry import KilnPass, register

VTENSOR = re.compile(r"!torch\.vtensor<\[([0-9?,]*)\],([a-z0-9]+)>")
# torch dtype spelling -> (builtin element type, width in bits); signedness is dropped,
# as in torch-mlir's backend type conversion.
ELEMENTS = {
    "f16": ("f16", 16),
    "bf16": ("bf16", 16),
    "f32": ("f32", 32),
    "f64": ("f64", 64),
    "si8": ("i8", 8),
    "ui8": ("i8", 8),
    "si16": ("i16", 16),
    "si32": ("i32", 32),
    "si64": ("i64", 64),
}


@register
class BitcastViews(KilnPass):
    """Lower ``aten.view.dtype`` to linalg bit reinterpretations."""

    name = "kiln-bitcast-views"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["torch.aten.view.dtype"]):
            _lower(op)


def _parse(vtensor: ir.Type) -> tuple[list[int], str, int] | None:
    """(shape, builtin element, bits) of a ``!torch.vtensor``; None for other elements."""
    match = VTENSOR.fullmatch(str(vtensor))
    if match is None or match.group(2) not in ELEMENTS:
        return None
    dims = [d for d in match.group(1).split(",") if d]
    shape = [ir.ShapedType.get_dynamic_size() if d == "?" else int(d) for d in dims]
    element, bits = ELEMENTS[match.group(2)]
    return shape, element, bits


def _lower(op: ir.Operation) -> None:
    """Replaces one ``view.dtype`` by casts around linalg ops; leaves what it cannot lower."""
    source, result = _parse(op.operands[0].type), _parse(op.results[0].type)
    if source is None or result is None:
        return
    (in_shape, in_elt, in_bits), (_, out_elt, out_bits) = source, result
    static = all(d >= 0 for d in in_shape)
    if in_bits != out_bits and (not static or not in_shape):
        return
    with ir.InsertionPoint(op), op.location:
        x = _to_builtin(op.operands[0], tensor_type(in_shape, ir.Type.parse(in_elt)))
        out_type = ir.Type.parse(out_elt)
        if in_bits == out_bits:
            y = _bitcast(x, out_type)
        elif in_bits > out_bits:
            y = _split(x, out_type, in_bits, out_bits)
        else:
            y = _merge(x, out_type, in_bits, out_bits)
        new = ir.Operation.create(
            "torch_c.from_builtin_tensor", results=[op.results[0].type], operands=[y]
        )
    op.results[0].replace_all_uses_with(new.results[0])
    op.erase()


def _to_builtin(value: ir.Value, builtin: ir.Type) -> ir.Value:
    cast = ir.Operation.create("torch_c.to_builtin_tensor", results=[builtin], operands=[value])
    return cast.results[0]


def _int(bits: int) -> ir.Type:
    return ir.IntegerType.get_signless(bits)


def _empty_like(x: ir.Value, element: ir.Type) -> ir.Value:
    """``tensor.empty`` of ``x``'s shape (dynamic sizes read with ``tensor.dim``)."""
    ty = ir.RankedTensorType(x.type)
    sizes = [
        tensor.dim(x, arith.constant(ir.IndexType.get(), d)) if size < 0 else size
        for d, size in enumerate(ty.shape)
    ]
    return tensor.empty(sizes, element)


def _bitcast(x: ir.Value, element: ir.Type) -> ir.Value:
    """Elementwise ``arith.bitcast`` of ``x`` to ``element`` (same width)."""
    if ir.RankedTensorType(x.type).element_type == element:
        return x
    rank = ir.RankedTensorType(x.type).rank
    identity = affine_map(rank, list(range(rank)))
    return build_generic(
        [x],
        _empty_like(x, element),
        [identity, identity],
        ["parallel"] * rank,
        lambda args: arith.bitcast(element, args[0]),
    )


def _split(x: ir.Value, element: ir.Type, in_bits: int, out_bits: int) -> ir.Value:
    """[..., n] wide elements -> [..., n * r] narrow ones, part k = bits [k*w, (k+1)*w)."""
    parts = in_bits // out_bits
    wide = _bitcast(x, _int(in_bits))
    shape = ir.RankedTensorType(x.type).shape
    rank = len(shape) + 1

    def body(args):
        index = arith.index_cast(_int(in_bits), linalg.IndexOp(rank - 1).result)
        shift = arith.muli(index, arith.constant(_int(in_bits), out_bits))
        return arith.trunci(_int(out_bits), arith.shrui(args[0], shift))

    init = tensor.empty([*shape, parts], _int(out_bits))
    split = build_generic(
        [wide],
        init,
        [affine_map(rank, list(range(rank - 1))), affine_map(rank, list(range(rank)))],
        ["parallel"] * rank,
        body,
    )
    groups = [[d] for d in range(rank - 2)] + [[rank - 2, rank - 1]]
    return _bitcast(collapse_to(split, groups), element)


def _merge(x: ir.Value, element: ir.Type, in_bits: int, out_bits: int) -> ir.Value:
    """[..., n * r] narrow elements -> [..., n] wide ones: part k or-ed in at bit k*w."""
    parts = out_bits // in_bits
    shape = ir.RankedTensorType(x.type).shape
    grouped = split_dim(_bitcast(x, _int(in_bits)), len(shape) - 1, [shape[-1] // parts, parts])
    rank = len(shape) + 1
    wide = _int(out_bits)

    def body(args):
        index = arith.index_cast(wide, linalg.IndexOp(rank - 1).result)
        shift = arith.muli(index, arith.constant(wide, in_bits))
        return arith.ori(args[1], arith.shli(arith.extui(wide, args[0]), shift))

    out_shape = [*shape[:-1], shape[-1] // parts]
    zero = arith.constant(wide, 0)
    init = linalg.fill(zero, outs=[tensor.empty(out_shape, wide)])
    merged = build_generic(
        [grouped],
        init,
        [affine_map(rank, list(range(rank))), affine_map(rank, list(range(rank - 1)))],
        ["parallel"] * (rank - 1) + ["reduction"],
        body,
    )
    return _bitcast(merged, element)
