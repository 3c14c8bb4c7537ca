"""kiln-conv-to-nhwc: NCHW convolutions and poolings run in NHWC, filters in HWCF.

PyTorch models are NCHW. In NHWC the output channels of a convolution are
the innermost dimension, which the register block vectorizes (channel counts
are multiples of the vector width), and a 1-D convolution along a row is a
small matmul (pixels x input channels) x (input channels x output channels).
Each ``linalg.conv_2d_nchw_fchw`` becomes

    transpose(NHWC -> NCHW) (conv_2d_nhwc_hwcf(pad(transpose(x)), transpose(w)))

with any ``tensor.pad`` of the input redone after the transpose as a fill
and an ``insert_slice`` (so the producer can write in place), and each
``linalg.pooling_nchw_max``/``sum`` likewise. The filter transposes fold
into constants (``kiln-fold-constant-layout``); activation transposes fuse
into neighbouring elementwise ops (``kiln-fuse-elementwise``), so most of
them disappear.

Pre: linalg-on-tensors.
Post: no statically shaped ``linalg.conv_2d_nchw_fchw`` or
``linalg.pooling_nchw_{max,sum}`` remains; results keep their NCHW types.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, defining_op, static_shape, tensor_type
from kiln.passes.registry import KilnPass, register

from kiln.ir import bufferization, ir, linalg, tensor

TO_NHWC = [0, 2, 3, 1]
TO_NCHW = [0, 3, 1, 2]
CONVS = {"linalg.conv_2d_nchw_fchw": linalg.conv_2d_nhwc_hwcf}
POOLS = {
    "linalg.pooling_nchw_max": linalg.pooling_nhwc_max,
    "linalg.pooling_nchw_sum": linalg.pooling_nhwc_sum,
}


@register
class ConvToNHWC(KilnPass):
    """Rewrite NCHW convolutions and poolings into NHWC ones between transposes."""

    name = "kiln-conv-to-nhwc"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, [*CONVS, *POOLS]):
            if any(static_shape(v) is None for v in op.operands):
                continue
            with ir.InsertionPoint(op), op.location:
                result = _rewrite(op)
            op.results[0].replace_all_uses_with(result)
            op.erase()


def _rewrite(op: ir.Operation) -> ir.Value:
    x, window, init = op.operands[0], op.operands[1], op.operands[2]
    attrs = {
        "strides": list(ir.DenseIntElementsAttr(op.attributes["strides"])),
        "dilations": list(ir.DenseIntElementsAttr(op.attributes["dilations"])),
    }
    x_nhwc = _input_nhwc(x)
    init_nhwc = _transpose(init, TO_NHWC)
    if op.name in CONVS:
        filter_hwcf = _transpose(window, [2, 3, 1, 0])
        out = CONVS[op.name](x_nhwc, filter_hwcf, outs=[init_nhwc], **attrs)
    else:
        out = POOLS[op.name](x_nhwc, window, outs=[init_nhwc], **attrs)
    return _transpose(_value(out), TO_NCHW)


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
    filled = _value(linalg.fill(pad_value, outs=[buffer]))
    return tensor.insert_slice(source, filled, [], [], [], low, shape, [1] * len(shape))


def _transpose(value: ir.Value, perm: list[int]) -> ir.Value:
    shape = static_shape(value)
    elt = ir.ShapedType(value.type).element_type
    empty = tensor.empty([shape[p] for p in perm], elt)
    return _value(linalg.transpose(value, outs=[empty], permutation=perm))


def _value(built) -> ir.Value:
    """The single result of what a linalg builder returned (an op view or a value)."""
    if isinstance(built, ir.Value):
        return built
    if isinstance(built, ir.OpResultList):
        return built[0]
    return built.results[0]
