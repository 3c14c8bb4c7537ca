"""kiln-decompose-grouped-convs: a grouped convolution tile of one group and one row is a 1-D convolution.

What ``structured.decompose`` does for ``linalg.conv_2d_nhwc_hwcf``, for kiln's
grouped convolution (``grouped_conv.py``, loops n, oh, ow, g, f, kh, kw, c),
which MLIR has no named op for. A tile with one image, one output row, one
group and one kernel row reads one input row of the group's channels and one
row of the group's HWCF filter, and is a ``linalg.conv_1d_nwc_wcf`` on
rank-reducing slices of them (MLIR vectorizes that, strides and dilations
included):

    %r = linalg.generic {grouped} ins(%x, %w : tensor<1x1xWx1xCxf32>, tensor<1x1xKWxCxFxf32>)
           outs(%o : tensor<1x1xOWx1xFxf32>)
      ->
    %r1 = linalg.conv_1d_nwc_wcf {strides = [sw], dilations = [dw]}
           ins(%x[0,0,0,0,0][1,1,W,1,C], %w[0,0,0,0,0][1,1,KW,C,F] : tensor<1xWxCxf32>, tensor<KWxCxFxf32>)
           outs(%o[0,0,0,0,0][1,1,OW,1,F] : tensor<1xOWxFxf32>)
    %r = tensor.insert_slice %r1 into %o[0,0,0,0,0][1,1,OW,1,F]

The tile's discardable attributes (``kiln.vectorize``) move to the 1-D op.

Pre: the ``tiled`` stage's output (``kiln-tile-and-fuse`` tiled grouped
convolutions to such tiles).
Post: no grouped convolution generic with unit n, oh, g and kh extents
remains; larger ones (not tiled) are left alone.
"""

from __future__ import annotations

from kiln.lowering.cpu.grouped_conv import grouped_loop_sizes, grouped_window
from kiln.passes.common import collect_ops, element_type, static_shape, tensor_type
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir, linalg, tensor


@register
class DecomposeGroupedConvs(KilnPass):
    """Rewrite one-group, one-row tiles of grouped convolutions as linalg.conv_1d_nwc_wcf."""

    name = "kiln-decompose-grouped-convs"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["linalg.generic"]):
            window = grouped_window(op)
            if window is None:
                continue
            n, oh, _, g, _, kh, _, _ = grouped_loop_sizes(op)
            if (n, oh, g, kh) != (1, 1, 1, 1):
                continue
            with ir.InsertionPoint(op), op.location:
                result = _one_d(op, window.strides[1], window.dilations[1])
            op.results[0].replace_all_uses_with(result)
            op.erase()


def _one_d(op: ir.Operation, stride: int, dilation: int) -> ir.Value:
    x, w, out = op.operands
    row = _drop_unit_dims(x, [1, 3])  # N x W x C
    taps = _drop_unit_dims(w, [0, 1])  # KW x C x F
    acc = _drop_unit_dims(out, [1, 3])  # N x OW x F
    conv = linalg.conv_1d_nwc_wcf(
        row, taps, outs=[acc], strides=[stride], dilations=[dilation]
    ).owner
    for name in [n for n in op.attributes if n.startswith("kiln.")]:
        conv.attributes[name] = op.attributes[name]
    shape = static_shape(out)
    return tensor.insert_slice(conv.results[0], out, [], [], [], [0] * 5, shape, [1] * 5)


def _drop_unit_dims(value: ir.Value, dims: list[int]) -> ir.Value:
    """A rank-reducing ``extract_slice`` of the whole of ``value`` without its unit ``dims``."""
    shape = static_shape(value)
    kept = [s for d, s in enumerate(shape) if d not in dims]
    result = tensor_type(kept, element_type(value))
    rank = len(shape)
    return tensor.extract_slice(result, value, [], [], [], [0] * rank, shape, [1] * rank)
