"""kiln-conv-1d-to-2d: 1-D convolutions become 2-D ones over a unit height.

kiln schedules 2-D convolutions (NHWC layout, packed filters, register blocks);
a named 1-D convolution reaches no schedule and runs as plain loops: an ONNX
model's Conv1d(80, 384, 3) + Conv1d(384, 384, 3, stride 2) ran 56x slower than
eager. (Models from PyTorch already arrive 2-D: kiln's frontend rewrites
``aten.convolution``; ONNX models and hand-written IR come here.) The same sums
over a unit height, with free reshapes around them:

    linalg.conv_1d_ncw_fcw {strides = [s], dilations = [d]}
        ins(%x : tensor<NxCxW>, %w : tensor<FxCxK>) outs(%o : tensor<NxFxV>)
    ->
    linalg.conv_2d_nchw_fchw {strides = [1, s], dilations = [1, d]}
        ins(expand(%x) : tensor<NxCx1xW>, expand(%w) : tensor<FxCx1xK>)
        outs(expand(%o) : tensor<NxFx1xV>)  then collapsed back to NxFxV

and likewise ``conv_1d_nwc_wcf`` (-> ``conv_2d_nhwc_hwcf``),
``depthwise_conv_1d_ncw_cw`` (-> ``depthwise_conv_2d_nchw_chw``) and
``depthwise_conv_1d_nwc_wc`` (-> ``depthwise_conv_2d_nhwc_hwc``).

Pre: linalg on tensors.
Post: no such 1-D convolution with static shapes remains (dynamic ones are left
as they are: correct, unscheduled).
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, static_shape
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir, linalg, tensor

# 1-D op -> (2-D builder, where the unit dim goes in input, filter, output).
REWRITES = {
    "linalg.conv_1d_ncw_fcw": (linalg.conv_2d_nchw_fchw, (2, 2, 2)),
    "linalg.conv_1d_nwc_wcf": (linalg.conv_2d_nhwc_hwcf, (1, 0, 1)),
    "linalg.depthwise_conv_1d_ncw_cw": (linalg.depthwise_conv_2d_nchw_chw, (2, 1, 2)),
    "linalg.depthwise_conv_1d_nwc_wc": (linalg.depthwise_conv_2d_nhwc_hwc, (1, 0, 1)),
}


@register
class Conv1dTo2d(KilnPass):
    """Rewrite named 1-D convolutions as 2-D ones over a unit height."""

    name = "kiln-conv-1d-to-2d"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, tuple(REWRITES)):
            if all(static_shape(v) is not None for v in (*op.operands, op.results[0])):
                _rewrite(op)


def _rewrite(op: ir.Operation) -> None:
    build, (at_input, at_filter, at_output) = REWRITES[op.name]
    x, w, init = op.operands
    with ir.InsertionPoint(op), op.location:
        conv = build(
            _unit_dim(x, at_input),
            _unit_dim(w, at_filter),
            outs=[_unit_dim(init, at_output)],
            strides=[1, *_values(op, "strides")],
            dilations=[1, *_values(op, "dilations")],
        )
        result = tensor.collapse_shape(op.results[0].type, conv, _groups(3, at_output))
    op.results[0].replace_all_uses_with(result)
    op.erase()


def _values(op: ir.Operation, name: str) -> list[int]:
    if name not in op.attributes:
        return [1]
    return [int(v) for v in ir.DenseIntElementsAttr(op.attributes[name])]


def _unit_dim(value: ir.Value, at: int) -> ir.Value:
    """``value`` with a dimension of size 1 inserted at ``at`` (a free reshape)."""
    shape = static_shape(value)
    new_shape = shape[:at] + [1] + shape[at:]
    element = ir.ShapedType(value.type).element_type
    result_type = ir.RankedTensorType.get(new_shape, element)
    return tensor.expand_shape(result_type, value, _groups(len(shape), at), [], new_shape)


def _groups(rank: int, at: int) -> ir.ArrayAttr:
    """Reassociation of ``rank`` dims onto ``rank + 1``: the unit dim ``at`` joins its
    neighbour (the next dim, or the previous one when it is last)."""
    groups, out = [], 0
    for d in range(rank):
        width = 2 if d == min(at, rank - 1) else 1
        groups.append(list(range(out, out + width)))
        out += width
    i64 = ir.IntegerType.get_signless(64)
    return ir.ArrayAttr.get(
        [ir.ArrayAttr.get([ir.IntegerAttr.get(i64, i) for i in g]) for g in groups]
    )
