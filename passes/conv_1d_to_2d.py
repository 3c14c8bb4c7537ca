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

from kiln.passes.common import (
    collect_ops,
    single_result,
    split_dim,
    static_shape,
    window_attr,
)
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
        out = _unit_dim(init, at_output)
        conv = build(
            _unit_dim(x, at_input),
            _unit_dim(w, at_filter),
            outs=[out],
            strides=[1, *window_attr(op, "strides", 1)],
            dilations=[1, *window_attr(op, "dilations", 1)],
        )
        # Collapsed back by the reshape that made the unit dim, reversed.
        reassociation = out.owner.attributes["reassociation"]
        result = tensor.collapse_shape(op.results[0].type, single_result(conv), reassociation)
    op.results[0].replace_all_uses_with(result)
    op.erase()


def _unit_dim(value: ir.Value, at: int) -> ir.Value:
    """``value`` with a dimension of size 1 inserted before dim ``at`` (a free reshape)."""
    return split_dim(value, at, [1, static_shape(value)[at]])
