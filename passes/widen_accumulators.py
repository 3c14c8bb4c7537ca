"""kiln-widen-accumulators: sums of bf16 and f16 values accumulate in f32.

PyTorch reduces half-precision tensors in f32 (its ``acc_type``: ``sum``,
``mean``, ``prod``, ``norm``, ``cumsum``, ``avg_pool``, ...) and rounds once at the
end. torch-mlir's lowerings of these ops accumulate in the tensor's own type, so
a bf16 sum over 4096 values rounds 4096 times (``cumsum`` of 4096 bf16 values
came out 16x further from the exact answer than eager's). Its contractions and
convolutions already accumulate in f32 and truncate after; this pass brings
every other reduction to that form:

    linalg.generic {reduction} ins(%x : bf16) outs(%init : bf16) {addf}
      ->  truncf(linalg.generic {reduction} ins(%x : bf16) outs(extf(%init) : f32) {extf, addf f32})

It rewrites ``linalg.generic`` ops with a reduction loop, the named pooling sums
and ``tm_tensor.scan``. Their bodies compute in f32: each low-precision operand
is extended where it is used, constants are rebuilt in f32, an ``arith.truncf``
whose only user is the yield (a body that itself rounds each partial sum) is
dropped, and one used elsewhere keeps its rounding. Reductions without
rounding arithmetic (max, min, argmax: exact in any precision) are left alone.

Pre: linalg on tensors (before elementwise fusion, so the conversions fuse into
the producers and consumers).
Post: no reduction with float arithmetic in its body has a bf16 or f16
accumulator; results keep their types.
"""

from __future__ import annotations

from kiln.passes.common import (
    build_generic,
    collect_ops,
    defining_op,
    element_type,
    iterator_types,
    single_result,
)
from kiln.passes.registry import KilnPass, register

from kiln.ir import arith, ir, linalg, tensor

# Body ops that round their result: a reduction containing one is widened.
ROUNDING = {
    "arith.addf",
    "arith.subf",
    "arith.mulf",
    "arith.divf",
    "arith.remf",
    "math.fma",
}
# Float ops recomputed in f32 with their operands extended (same name, same attributes).
RETYPED_PREFIXES = ("arith.", "math.")
NOT_RETYPED = {"arith.constant", "arith.extf", "arith.truncf", "arith.bitcast"}
POOLING_SUMS = (
    "linalg.pooling_nchw_sum",
    "linalg.pooling_nhwc_sum",
    "linalg.pooling_ncw_sum",
    "linalg.pooling_nwc_sum",
    "linalg.pooling_ndhwc_sum",
)
SCAN = "tm_tensor.scan"


def _is_narrow(ty: ir.Type) -> bool:
    return isinstance(ty, ir.BF16Type | ir.F16Type)


def _narrow_element(value: ir.Value) -> bool:
    return isinstance(value.type, ir.ShapedType) and _is_narrow(element_type(value))


@register
class WidenAccumulators(KilnPass):
    """Reductions of bf16/f16 values accumulate in f32 and round once."""

    name = "kiln-widen-accumulators"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["linalg.generic", *POOLING_SUMS, SCAN]):
            if not _wanted(op):
                continue
            with ir.InsertionPoint(op), op.location:
                results = _widen(op)
            for old, new in zip(op.results, results, strict=True):
                old.replace_all_uses_with(new)
            op.erase()


def _wanted(op: ir.Operation) -> bool:
    _, outs = _ins_outs(op)
    if not any(_narrow_element(v) for v in outs):
        return False
    if any(not isinstance(v.type, ir.RankedTensorType) for v in op.operands):
        return False
    if op.name == "linalg.generic" and "reduction" not in iterator_types(op):
        return False
    body = op.regions[0].blocks[0]
    return any(inner.operation.name in ROUNDING for inner in body.operations)


def _ins_outs(op: ir.Operation) -> tuple[list[ir.Value], list[ir.Value]]:
    """The inputs and the destination operands (the last ones, one per result)."""
    operands = list(op.operands)
    n_ins = len(operands) - len(op.results)
    return operands[:n_ins], operands[n_ins:]


def _widen(op: ir.Operation) -> list[ir.Value]:
    """Builds the f32 version of ``op`` before it; returns values replacing its results."""
    f32 = ir.F32Type.get()
    ins, outs = _ins_outs(op)
    if op.name == SCAN:
        # The scan's input and accumulator share one element type.
        ins = [_convert(v, f32) if _narrow_element(v) else v for v in ins]
    wide_outs = [_convert(v, f32) if _narrow_element(v) else v for v in outs]
    new = ir.Operation.create(
        op.name,
        results=[v.type for v in wide_outs],
        operands=[*ins, *wide_outs],
        attributes=_attrs(op),
        regions=1,
    )
    body = op.regions[0].blocks[0]
    if op.name == SCAN:  # arguments (input, accumulator): both widened
        elements = [f32 if _is_narrow(a.type) else a.type for a in body.arguments]
    else:  # one argument per operand
        elements = [element_type(v) for v in (*ins, *wide_outs)]
    _widen_body(body, new.regions[0], elements)
    return [
        _convert(wide, element_type(old)) if wide.type != old.type else wide
        for wide, old in zip(new.results, op.results, strict=True)
    ]


def _widen_body(old: ir.Block, region: ir.Region, elements: list[ir.Type]) -> None:
    """Clones ``old`` into ``region`` with block arguments of types ``elements``,
    computing every float value in f32 where the old body computed it in bf16/f16."""
    block = region.blocks.append(*elements)
    body = _Body(dict(zip(old.arguments, block.arguments, strict=True)))
    ops = [inner.operation for inner in old.operations]
    terminator = ops[-1]
    with ir.InsertionPoint(block):
        for inner in ops[:-1]:
            body.widen(inner, terminator)
        targets = elements[len(elements) - len(terminator.operands) :]
        yielded = [body.get(v, t) for v, t in zip(terminator.operands, targets, strict=True)]
        ir.Operation.create(terminator.name, operands=yielded, attributes=_attrs(terminator))


class _Body:
    """The values of a body being cloned: old value -> new value, and each new value's
    conversions (built once, where first needed)."""

    def __init__(self, mapping: dict):
        self.mapping = mapping
        self.converted: dict = {}

    def get(self, old: ir.Value, ty: ir.Type | None = None) -> ir.Value:
        """The new value of ``old`` (a value from outside the body is itself), as ``ty``."""
        value = self.mapping.get(old, old)
        if ty is None or value.type == ty:
            return value
        key = (value, str(ty))
        if key not in self.converted:
            self.converted[key] = _to(value, ty)
        return self.converted[key]

    def widen(self, op: ir.Operation, terminator: ir.Operation) -> None:
        """Adds the widened form of one body op and records its results."""
        f32 = ir.F32Type.get()
        name, result = op.name, op.results[0] if op.results else None
        if name == "arith.constant" and _is_narrow(result.type):
            value = ir.FloatAttr(op.attributes["value"]).value
            self.mapping[result] = arith.constant(f32, value)
            return
        if name == "arith.extf" and isinstance(result.type, ir.F32Type):
            self.mapping[result] = self.get(op.operands[0], f32)
            return
        if name == "arith.truncf" and _feeds_only(op, terminator):
            # The body rounds its own partial sum: the f32 value accumulates now.
            self.mapping[result] = self.get(op.operands[0])
            return
        if _retyped(op):
            operands = [self.get(v, f32 if _is_narrow(v.type) else None) for v in op.operands]
            results = [f32 if _is_narrow(r.type) else r.type for r in op.results]
        else:
            operands = [self.get(v, v.type) for v in op.operands]
            results = [r.type for r in op.results]
        new = ir.Operation.create(name, results=results, operands=operands, attributes=_attrs(op))
        for old_result, new_result in zip(op.results, new.results, strict=True):
            self.mapping[old_result] = new_result


def _retyped(op: ir.Operation) -> bool:
    """An arith/math op on scalars with a bf16/f16 operand or result: computed in f32."""
    scalars = all(isinstance(v.type, ir.FloatType | ir.IntegerType) for v in op.operands)
    narrow = any(_is_narrow(v.type) for v in (*op.operands, *op.results))
    return (
        op.name.startswith(RETYPED_PREFIXES)
        and op.name not in NOT_RETYPED
        and not op.regions
        and scalars
        and narrow
    )


def _feeds_only(op: ir.Operation, terminator: ir.Operation) -> bool:
    uses = list(op.results[0].uses)
    return bool(uses) and all(use.owner.operation == terminator for use in uses)


def _attrs(op: ir.Operation) -> dict:
    return {name: op.attributes[name] for name in op.attributes}


def _to(value: ir.Value, ty: ir.Type) -> ir.Value:
    """``value`` as a scalar of float type ``ty`` (extended or truncated)."""
    if value.type == ty:
        return value
    if _is_narrow(value.type) and isinstance(ty, ir.F32Type):
        return arith.extf(ty, value)
    return arith.truncf(ty, value)


def _convert(value: ir.Value, element: ir.Type) -> ir.Value:
    """``value`` (a ranked tensor) with its elements converted to ``element``; a
    ``linalg.fill`` of a constant is rebuilt as a fill of ``element``."""
    shape = ir.RankedTensorType(value.type)
    sizes = [
        tensor.dim(value, arith.constant(ir.IndexType.get(), i))
        if ir.ShapedType.is_dynamic_size(size)
        else size
        for i, size in enumerate(shape.shape)
    ]
    empty = tensor.empty(sizes, element)
    fill = defining_op(value)
    if fill is not None and fill.name == "linalg.fill":
        constant = defining_op(fill.operands[0])
        if constant is not None and constant.name == "arith.constant":
            scalar = arith.constant(element, ir.FloatAttr(constant.attributes["value"]).value)
            return single_result(linalg.fill(scalar, outs=[empty]))
    identity = ir.AffineMap.get_identity(shape.rank)
    return build_generic(
        [value],
        empty,
        [identity, identity],
        ["parallel"] * shape.rank,
        lambda args: _to(args[0], element),
    )
