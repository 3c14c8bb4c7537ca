"""kiln-pad-conv-channels: convolutions with odd channel counts compute padded channels.

A convolution's register block is mr pixels x nr output channels, the vector
dimension (``schedules.conv``), and its innermost op reduces ``ku`` input
channels, a divisor of the input channels. Channel counts that are no
multiple of the vector width (ReXNet's 61, 162, 366, ...; pruned or
width-multiplied models) took odd blocks: 366 output channels ran blocks of
61 lanes (six instructions a row of 61 lanes, with masked rest pieces), 61
input channels (prime) a reduction step of one channel beside such blocks (the
accumulator rebuilt after every FMA), and depthwise convolutions of 366 channels 6 GFLOP/s where 368 run
23. Here such a convolution computes padded channels instead:

- output channels (dense and depthwise): up to a multiple of the vector
  width. The filter gets zero filters, the destination (bias) the extra
  channels, and the result is sliced back; its elementwise consumers run over
  the padded channels too (``padded_slices.pad_consumers``), so the fusion
  groups keep them with the convolution;
- input channels of a dense convolution whose reduction step would be under
  ``MIN_STEP`` channels: up to a multiple of ``MIN_STEP``, the input widened
  with zero channels (a copy, or a wider zero fill where the input was
  inserted into one for spatial padding) and the filter with zero rows.

A channel count is padded only when that adds at most ``1 / MAX_WASTE`` of its
work (61 -> 64, 366 -> 368, 162 -> 176; not 27 -> 32). Padded channels are
never summed into real ones: padded input channels are zeros times zero
filter rows, and padded output channels are sliced away (a depthwise
convolution's channels are independent).

    %y = linalg.conv_2d_nhwc_hwcf ins(%x : 1x28x28x61, %w : 1x1x61x366) outs(%b : 1x28x28x366)
    ->
    %y0 = linalg.conv_2d_nhwc_hwcf ins(pad(%x) : 1x28x28x64, %w' : 1x1x64x368) outs(%b' : 1x28x28x368)
    %y = tensor.extract_slice %y0[0, 0, 0, 0] [1, 28, 28, 366] [1, 1, 1, 1]

Pre: linalg on tensors, after ``kiln-conv-to-nhwc`` (and ``kiln-pad-conv-rows``).
Post: every f32 ``linalg.conv_2d_nhwc_hwcf`` / ``linalg.depthwise_conv_2d_nhwc_hwc``
with static shapes has its output channels a multiple of the vector width, or
padding them would waste more than ``1 / MAX_WASTE``; likewise a dense one's
input channels and ``MIN_STEP``. Results are unchanged.
"""

from __future__ import annotations

import numpy as np
from kiln.lowering.cpu.schedules.conv import reduction_step
from kiln.passes.common import (
    collect_ops,
    constant_array,
    dense_constant,
    element_type,
    pad_high,
    static_shape,
    window_attr,
)
from kiln.passes.padded_slices import padded_init, replace_with_padded, widened_input
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir, linalg

DENSE, DEPTHWISE = "linalg.conv_2d_nhwc_hwcf", "linalg.depthwise_conv_2d_nhwc_hwc"
# Padding may add at most 1/MAX_WASTE of a convolution's work.
MAX_WASTE = 8
# Input channels per innermost op below which a dense convolution's input is padded.
MIN_STEP = 8


@register
class PadConvChannels(KilnPass):
    """Pad odd channel counts of NHWC convolutions to whole vectors (outputs) and steps
    (inputs)."""

    name = "kiln-pad-conv-channels"
    vector_width: int = 16

    def validate(self) -> None:
        if self.vector_width not in (4, 8, 16):
            raise ValueError(
                f"kiln-pad-conv-channels: vector-width must be 4, 8 or 16, got {self.vector_width}"
            )

    def run(self, module: ir.Operation) -> None:
        for conv in collect_ops(module, (DENSE, DEPTHWISE)):
            shapes = [static_shape(v) for v in (*conv.operands, conv.results[0])]
            if any(shape is None for shape in shapes) or not _all_f32(conv):
                continue
            x_shape, out_shape = shapes[0], shapes[-1]
            outputs = _padded(out_shape[3], self.vector_width) or out_shape[3]
            if conv.name == DEPTHWISE:
                if outputs != out_shape[3]:
                    _pad(conv, outputs, outputs)
                continue
            inputs = x_shape[3]
            # The step the schedule takes for the block the (padded) outputs give.
            if reduction_step(inputs, outputs, self.vector_width) < MIN_STEP:
                inputs = _padded(inputs, MIN_STEP) or inputs
            if (inputs, outputs) != (x_shape[3], out_shape[3]):
                _pad(conv, inputs, outputs)


def _all_f32(conv: ir.Operation) -> bool:
    return all(isinstance(element_type(v), ir.F32Type) for v in conv.operands)


def _padded(channels: int, multiple: int) -> int | None:
    """``channels`` rounded up to ``multiple`` if that is another count adding at most
    1/MAX_WASTE of them, else None."""
    padded = -(-channels // multiple) * multiple
    if padded == channels or (padded - channels) * MAX_WASTE > channels:
        return None
    return padded


def _pad(conv: ir.Operation, inputs: int, outputs: int) -> None:
    """Rebuilds ``conv`` over ``inputs`` input and ``outputs`` output channels (a
    depthwise convolution: both the same), its result sliced back."""
    x, w, init = conv.operands
    x_shape, w_shape, out_shape = static_shape(x), static_shape(w), static_shape(init)
    w_padded = (
        [*w_shape[:2], outputs] if conv.name == DEPTHWISE else [*w_shape[:2], inputs, outputs]
    )
    attrs = {name: window_attr(conv, name, 2) for name in ("strides", "dilations")}
    build = (
        linalg.depthwise_conv_2d_nhwc_hwc if conv.name == DEPTHWISE else linalg.conv_2d_nhwc_hwcf
    )
    with ir.InsertionPoint(conv), conv.location:
        padded = build(
            widened_input(x, [*x_shape[:3], inputs]),
            _padded_filter(w, w_padded),
            outs=[padded_init(init, [*out_shape[:3], outputs])],
            **attrs,
        )
    replace_with_padded(conv, padded)


def _padded_filter(w: ir.Value, shape: list[int]) -> ir.Value:
    """The filter with zero entries up to ``shape``: a new constant for a constant one
    (packed at compile time like any), else padded at run time."""
    array = constant_array(w)
    if array is None:
        return pad_high(w, shape)
    extra = [(0, new - old) for new, old in zip(shape, array.shape, strict=True)]
    return dense_constant(np.pad(array, extra), element_type(w))
