"""kiln-pad-conv-rows: convolutions whose output rows no pixel block divides compute padded rows.

The convolution schedule's register block is mr output pixels along a row
(``schedules.conv._pixel_block``: 4, 7, 6, 8, 5, 3 or 2, dividing the row).
A row of 13 or 17 pixels (Inception's 17 x 17 stage, SqueezeNet's and
AlexNet's 13 x 13) has none, and ran one-pixel blocks: each filter vector
loaded fed one FMA, 2.5x slower than eager. Here such a convolution computes
rows padded to whole 4- or 6-pixel blocks: its input gets zero columns on the right
(as many as the extra output pixels read), its destination the extra pixels,
and the result is sliced back. Its elementwise consumers (bias, ReLU, residual
add) run over the padded rows too (``padded_slices``), so the fusion groups
keep them with the convolution.

    %y = linalg.conv_2d_nhwc_hwcf ins(%x : 1x17x17x128, %w) outs(%o : 1x17x17x192)
    ->
    %y0 = linalg.conv_2d_nhwc_hwcf ins(pad(%x) : 1x17x18x128, %w) outs(pad(%o) : 1x17x18x192)
    %y = tensor.extract_slice %y0[0, 0, 0, 0] [1, 17, 17, 192] [1, 1, 1, 1]

Pre: linalg on tensors, after ``kiln-conv-to-nhwc``.
Post: every ``linalg.conv_2d_nhwc_hwcf`` with static shapes has an output
width that some pixel block divides (or 1); results are unchanged.
"""

from __future__ import annotations

from kiln.lowering.cpu.schedules.conv import PIXEL_BLOCKS
from kiln.passes.common import collect_ops, static_shape, window_attr
from kiln.passes.padded_slices import padded_init, replace_with_padded, widened_input
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir, linalg

# Padded rows are whole blocks of these (at two vectors of channels, 6 pixels still
# fit 16 registers): the fewest extra pixels, 17 -> 18, 13 -> 16.
ROW_BLOCKS = (4, 6)


@register
class PadConvRows(KilnPass):
    """Pad NHWC convolution rows that no pixel block divides up to whole blocks."""

    name = "kiln-pad-conv-rows"

    def run(self, module: ir.Operation) -> None:
        for conv in collect_ops(module, ("linalg.conv_2d_nhwc_hwcf",)):
            shapes = [static_shape(v) for v in (*conv.operands, conv.results[0])]
            if any(shape is None for shape in shapes):
                continue
            width = shapes[-1][2]
            if width == 1 or any(width % block == 0 for block in PIXEL_BLOCKS):
                continue
            _pad(conv, _padded_width(width))


def _padded_width(width: int) -> int:
    """The fewest pixels >= ``width`` that one of ``ROW_BLOCKS`` divides."""
    return min(-(-width // block) * block for block in ROW_BLOCKS)


def _pad(conv: ir.Operation, width: int) -> None:
    x, w, init = conv.operands
    batch, height, in_width, channels = static_shape(x)
    kernel_width = static_shape(w)[1]
    strides, dilations = window_attr(conv, "strides", 2), window_attr(conv, "dilations", 2)
    stride, dilation = strides[1], dilations[1]
    needed = (width - 1) * stride + (kernel_width - 1) * dilation + 1
    out_shape = static_shape(init)
    padded_shape = [*out_shape[:2], width, out_shape[3]]
    with ir.InsertionPoint(conv), conv.location:
        x = widened_input(x, [batch, height, max(in_width, needed), channels])
        padded = linalg.conv_2d_nhwc_hwcf(
            x,
            w,
            outs=[padded_init(init, padded_shape)],
            strides=strides,
            dilations=dilations,
        )
    replace_with_padded(conv, padded)
