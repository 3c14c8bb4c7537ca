"""kiln-pad-to-generic: a constant-value ``tensor.pad`` becomes one elementwise ``linalg.generic``.

Bufferized, a ``tensor.pad`` is a fill of the whole padded buffer and a copy
of the source into its interior: loops and a strided ``memref.copy`` that,
in the cuda pipeline, would stay on the host between kernels. As a generic
over the padded shape that reads the source where the index falls inside
it, the pad is one more elementwise kernel the GPU schedules map to threads:

    %p = tensor.pad %x low[0, 1] high[0, 1] { yield %zero }
      ->
    %p = linalg.generic {parallel, parallel} outs(%empty) {
      %i, %j = linalg.index 0, 1
      %jj = %j - 1                                    (per padded dimension)
      %in = %jj <u dim(x, 1)                          (negative wraps: one compare)
      %v = tensor.extract %x[%i, select(%in, %jj, 0)]
      linalg.yield select(%in, %v, %zero)
    }

Pre: linalg-on-tensors. Pads with static shapes, static low/high amounts
and a pad value defined outside the pad's region are rewritten.
Post: no such ``tensor.pad`` remains; each result is bitwise what the pad gave.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, parallel_generic
from kiln.passes.registry import KilnPass, register

from kiln.ir import arith, ir, linalg, tensor


@register
class PadToGeneric(KilnPass):
    """Rewrite constant-value tensor.pad ops as elementwise linalg.generic ops."""

    name = "kiln-pad-to-generic"

    def run(self, module: ir.Operation) -> None:
        for pad in collect_ops(module, ["tensor.pad"]):
            value = _pad_value(pad)
            result_type = ir.RankedTensorType(pad.results[0].type)
            source_type = ir.RankedTensorType(pad.operands[0].type)
            if (
                value is None
                or len(pad.operands) != 1  # dynamic low/high amounts
                or not (result_type.has_static_shape and source_type.has_static_shape)
            ):
                continue
            with ir.InsertionPoint(pad), pad.location:
                result = _generic(pad, value, source_type, result_type)
            pad.results[0].replace_all_uses_with(result)
            pad.erase()


def _pad_value(pad: ir.Operation) -> ir.Value | None:
    """The value the pad's region yields, if it is defined outside the region.

    With the yield as the region's only op, a value from inside it can only
    be one of the block's index arguments.
    """
    ops = list(pad.regions[0].blocks[0].operations)
    if len(ops) != 1:
        return None
    yielded = ops[0].operands[0]
    return None if isinstance(yielded.owner, ir.Block) else yielded


def _generic(
    pad: ir.Operation,
    value: ir.Value,
    source_type: ir.RankedTensorType,
    result_type: ir.RankedTensorType,
) -> ir.Value:
    rank = result_type.rank
    low = list(ir.DenseI64ArrayAttr(pad.attributes["static_low"]))
    source = pad.operands[0]
    generic, block = parallel_generic(tensor.empty(result_type.shape, result_type.element_type))
    index = ir.IndexType.get()
    with ir.InsertionPoint(block):
        zero = arith.constant(index, 0)
        inside = None
        indices = []
        for dim in range(rank):
            position = linalg.IndexOp(dim).result
            if low[dim] == 0 and source_type.shape[dim] == result_type.shape[dim]:
                indices.append(position)
                continue
            shifted = arith.subi(position, arith.constant(index, low[dim]))
            within = arith.cmpi(
                arith.CmpIPredicate.ult, shifted, arith.constant(index, source_type.shape[dim])
            )
            indices.append(arith.select(within, shifted, zero))
            inside = within if inside is None else arith.andi(inside, within)
        element = tensor.extract(source, indices)
        linalg.yield_([element if inside is None else arith.select(inside, element, value)])
    return generic.result
