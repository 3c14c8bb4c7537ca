"""kiln-conv-to-img2col: 2-D convolutions become an im2col gather and a matmul (cuda pipeline).

On a GPU a direct convolution is a reduction per output element; as an
im2col gather (one elementwise kernel) and a matrix product it takes the
matmul schedules: shared-memory tiles, tensor cores in half precision.
Upstream's ``transform.structured.convert_conv2d_to_img2col`` does the
rewrite; after it, ``linalg-fold-unit-extent-dims`` and
``kiln-specialize-contractions`` turn the product into ``linalg.matmul``
(batch 1) or leave a contraction generic (larger batches, where the filter
is shared across the batch).

    conv_2d_nchw_fchw(x: N x C x H x W, f: F x C x KH x KW)
      ->
    cols = gather(x): N x (C*KH*KW) x (OH*OW)
    out  = f (F x C*KH*KW) . cols, per image          (then reshaped to N x F x OH x OW)

Pre: linalg on tensors. Post: no ``linalg.conv_2d_nchw_fchw`` /
``linalg.conv_2d_nhwc_hwcf`` with static shapes remains.
"""

from __future__ import annotations

from kiln.lowering.cuda.schedules.common import GpuSchedule
from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir

CONVS = ("linalg.conv_2d_nchw_fchw", "linalg.conv_2d_nhwc_hwcf")
TAG = "kiln.img2col"


@register
class ConvToImg2col(KilnPass):
    """Rewrite static 2-D convolutions as im2col + matrix product (upstream transform)."""

    name = "kiln-conv-to-img2col"

    def run(self, module: ir.Operation) -> None:
        convs = [op for op in collect_ops(module, list(CONVS)) if _static(op)]
        if not convs:
            return
        sched = GpuSchedule(module.context)
        for index, op in enumerate(convs):
            tag = f"{TAG}{index}"
            op.attributes[tag] = ir.UnitAttr.get()
            sched.img2col(sched.match(attr=tag))
        sched.apply(module)


def _static(op: ir.Operation) -> bool:
    return all(
        not isinstance(v.type, ir.ShapedType) or ir.ShapedType(v.type).has_static_shape
        for v in (*op.operands, *op.results)
    )
