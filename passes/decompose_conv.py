"""kiln-decompose-conv: 2-D convolutions become im2col + a contraction.

MLIR's ``convert_conv2d_to_img2col`` rewrites ``linalg.conv_2d_nchw_fchw``
(and the NHWC forms) into a gather that materializes the image patches
(im2col) and a multiply-accumulate ``linalg.generic`` over (image, channel
out, pixel, patch element). That generic is a contraction, which
``kiln-pack-contractions`` then blocks like any matmul: the filter (constant)
is the left-hand side, the patches the right-hand side, and the pixels are the
vectorized dimension.

Pre: linalg-on-tensors with static shapes.
Post: no statically shaped ``linalg.conv_2d_nchw_fchw``, ``conv_2d_nhwc_hwcf``
or ``conv_2d_nhwc_fhwc`` remains. Dynamically shaped, grouped and depthwise
convolutions are untouched (they become loops).
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, static_shape
from kiln.passes.registry import KilnPass, register
from kiln.passes.schedule import Schedule

from kiln.ir import ir, transform_structured

CONV_OPS = ("linalg.conv_2d_nchw_fchw", "linalg.conv_2d_nhwc_hwcf", "linalg.conv_2d_nhwc_fhwc")
TAG = "kiln.decompose_conv"


@register
class DecomposeConv(KilnPass):
    """Rewrite 2-D convolutions as im2col followed by a matmul-like contraction."""

    name = "kiln-decompose-conv"

    def run(self, module: ir.Operation) -> None:
        convs = [
            op for op in collect_ops(module, CONV_OPS) if all(static_shape(v) for v in op.operands)
        ]
        if not convs:
            return
        for op in convs:
            op.attributes[TAG] = ir.UnitAttr.get()
        sched = Schedule(module.context)
        convs = sched.match(attr=TAG)
        sched._build(
            lambda: transform_structured.ConvertConv2DToImg2ColOp(sched._any(), sched._any(), convs)
        )
        sched.apply(module)
