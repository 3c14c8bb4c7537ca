"""kiln-conv-to-nhwc: NCHW convolutions and poolings run in NHWC, filters in HWCF.

PyTorch models are NCHW. In NHWC the output channels of a convolution are
the innermost dimension, which the register block vectorizes (channel counts
are multiples of the vector width), and a 1-D convolution along a row is a
small matmul (pixels x input channels) x (input channels x output channels).
Each ``linalg.conv_2d_nchw_fchw`` becomes

    transpose(NHWC -> NCHW) (conv_2d_nhwc_hwcf(pad(transpose(x)), transpose(w)))

with any ``tensor.pad`` of the input redone after the transpose as a fill
and an ``insert_slice`` (so the producer can write in place), and each
``linalg.pooling_nchw_max``/``sum`` likewise. Depthwise convolutions
(``linalg.depthwise_conv_2d_nchw_chw``) become
``linalg.depthwise_conv_2d_nhwc_hwc`` (filter C x KH x KW -> KH x KW x C: a
pixel's channels are one vector, each multiplied by its own tap). Grouped
convolutions (``linalg.conv_2d_ngchw_gfchw``, whose input torch-mlir splits
as N x G x C x H x W) become kiln's grouped form (``grouped_conv.py``): the
input is the NHWC tensor split into N x H x W x G x C, the filter
G x KH x KW x C x F, the output N x OH x OW x G x F, collapsed back to NHWC
and transposed to NCHW.

The filter transposes fold into constants (``kiln-fold-constant-layout``);
activation transposes fuse into neighbouring elementwise ops
(``kiln-fuse-elementwise``), so most of them disappear.

Pre: linalg-on-tensors.
Post: no statically shaped ``linalg.conv_2d_nchw_fchw``,
``linalg.depthwise_conv_2d_nchw_chw``, ``linalg.conv_2d_ngchw_gfchw`` or
``linalg.pooling_nchw_{max,sum}`` remains; results keep their NCHW types.
"""

from __future__ import annotations

from kiln.lowering.cpu.grouped_conv import GroupedWindow, build_grouped_conv
from kiln.passes.common import (
    collapse_to,
    collect_ops,
    defining_op,
    single_result,
    split_dim,
    static_shape,
    tensor_type,
)
from kiln.passes.registry import KilnPass, register

from kiln.ir import bufferization, ir, linalg, tensor

TO_NHWC = [0, 2, 3, 1]
TO_NCHW = [0, 3, 1, 2]
CONVS = {"linalg.conv_2d_nchw_fchw": linalg.conv_2d_nhwc_hwcf}
DEPTHWISE = "linalg.depthwise_conv_2d_nchw_chw"
GROUPED = "linalg.conv_2d_ngchw_gfchw"
POOLS = {
    "linalg.pooling_nchw_max": linalg.pooling_nhwc_max,
    "linalg.pooling_nchw_sum": linalg.pooling_nhwc_sum,
}


@register
class ConvToNHWC(KilnPass):
    """Rewrite NCHW convolutions and poolings into NHWC ones between transposes."""

    name = "kiln-conv-to-nhwc"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, [*CONVS, DEPTHWISE, GROUPED, *POOLS]):
            if any(static_shape(v) is None for v in op.operands):
                continue
            with ir.InsertionPoint(op), op.location:
                result = _grouped(op) if op.name == GROUPED else _rewrite(op)
            op.results[0].replace_all_uses_with(result)
            op.erase()


def _window_attrs(op: ir.Operation) -> dict[str, list[int]]:
    return {
        "strides": list(ir.DenseIntElementsAttr(op.attributes["strides"])),
        "dilations": list(ir.DenseIntElementsAttr(op.attributes["dilations"])),
    }


def _rewrite(op: ir.Operation) -> ir.Value:
    x, window, init = op.operands[0], op.operands[1], op.operands[2]
    attrs = _window_attrs(op)
    x_nhwc = _input_nhwc(x)
    init_nhwc = _transpose(init, TO_NHWC)
    if op.name in CONVS:
        filter_hwcf = _transpose(window, [2, 3, 1, 0])
        out = CONVS[op.name](x_nhwc, filter_hwcf, outs=[init_nhwc], **attrs)
    elif op.name == DEPTHWISE:
        filter_hwc = _transpose(window, [1, 2, 0])
        out = linalg.depthwise_conv_2d_nhwc_hwc(x_nhwc, filter_hwc, outs=[init_nhwc], **attrs)
    else:
        out = POOLS[op.name](x_nhwc, window, outs=[init_nhwc], **attrs)
    return _transpose(single_result(out), TO_NCHW)


def _grouped(op: ir.Operation) -> ir.Value:
    """conv_2d_ngchw_gfchw -> transpose(expand(grouped(split(pad(transpose(x)))))).

    The 5-D tensors are reshapes of the 4-D NHWC ones, so the transposes are
    the same NCHW <-> NHWC ones as around the other convolutions and cancel
    with theirs.
    """
    x, w, init = op.operands[0], op.operands[1], op.operands[2]
    attrs = _window_attrs(op)
    groups, channels = static_shape(x)[1:3]
    features = static_shape(init)[2]
    x_nhwgc = split_dim(_input_nhwc(_collapse_groups(x)), 3, [groups, channels])
    w_ghwcf = _transpose(w, [0, 3, 4, 2, 1])
    init_nhwc = _transpose(collapse_to(init, [[0], [1, 2], [3], [4]]), TO_NHWC)
    init_nhwgf = split_dim(init_nhwc, 3, [groups, features])
    window = GroupedWindow(tuple(attrs["strides"]), tuple(attrs["dilations"]))
    out = build_grouped_conv(x_nhwgc, w_ghwcf, init_nhwgf, window)
    out_nchw = _transpose(collapse_to(out, [[0], [1], [2], [3, 4]]), TO_NCHW)
    return split_dim(out_nchw, 1, [groups, features])


def _collapse_groups(x: ir.Value) -> ir.Value:
    """N x G x C x H x W as N x (G*C) x H x W: the source of torch-mlir's split if there is one.

    torch-mlir pads the 4-D input and splits its channels after, so the pad
    is found (and redone in NHWC) on the source of the split.
    """
    split = defining_op(x)
    if split is not None and split.name == "tensor.expand_shape":
        source = split.operands[0]
        if static_shape(source) is not None and len(static_shape(source)) == 4:
            return source
    return collapse_to(x, [[0], [1, 2], [3], [4]])


def _input_nhwc(x: ir.Value) -> ir.Value:
    """transpose(x); a ``tensor.pad`` of H and W only is redone after the transpose."""
    pad = defining_op(x)
    if pad is not None and pad.name == "tensor.pad" and len(pad.operands) == 1:
        low = list(ir.DenseI64ArrayAttr(pad.attributes["static_low"]))
        high = list(ir.DenseI64ArrayAttr(pad.attributes["static_high"]))
        if low[:2] == [0, 0] and high[:2] == [0, 0]:
            inner = _transpose(pad.operands[0], TO_NHWC)
            return _pad_like(pad, inner, [low[i] for i in TO_NHWC], [high[i] for i in TO_NHWC])
    return _transpose(x, TO_NHWC)


def _pad_like(pad: ir.Operation, source: ir.Value, low: list[int], high: list[int]) -> ir.Value:
    """The padding as ``insert_slice(source, fill(empty, value))``.

    Unlike ``tensor.pad`` (a copy), this lets bufferization's empty-tensor
    elimination make the producer of ``source`` write straight into the
    padded buffer.
    """
    shape = static_shape(source)
    out_shape = [s + lo + hi for s, lo, hi in zip(shape, low, high, strict=True)]
    elt = ir.ShapedType(source.type).element_type
    pad_value = list(pad.regions[0].blocks[0].operations)[-1].operands[0]
    owner = pad_value.owner
    if hasattr(owner, "operation") and owner.operation.parent == pad:
        pad_value = owner.operation.clone(ip=ir.InsertionPoint(pad)).results[
            0
        ]  # a constant in the region
    # alloc_tensor, not tensor.empty: CSE must not merge the padded buffers of
    # different convolutions (each would then start as a copy of a shared one).
    buffer = bufferization.AllocTensorOp(tensor_type(out_shape, elt), []).result
    filled = single_result(linalg.fill(pad_value, outs=[buffer]))
    return tensor.insert_slice(source, filled, [], [], [], low, shape, [1] * len(shape))


def _transpose(value: ir.Value, perm: list[int]) -> ir.Value:
    shape = static_shape(value)
    elt = ir.ShapedType(value.type).element_type
    empty = tensor.empty([shape[p] for p in perm], elt)
    return single_result(linalg.transpose(value, outs=[empty], permutation=perm))
