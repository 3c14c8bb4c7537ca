"""kiln-gpu-mma-sync: the warp-level contractions of tensor-core kernels become ``nvgpu.mma.sync``.

Runs upstream's ``convert-vector-to-gpu{use-nvgpu}`` on each ``gpu.module``
holding a ``vector.contract`` (only tensor-core matmul kernels keep one after
``kiln-gpu-distribute``): each ``16 x 8 x k`` contraction becomes an
``nvgpu.mma.sync``, its operands ``nvgpu.ldmatrix`` (16-bit data in shared
memory) or per-lane loads. Kernels without contractions are left alone: the
conversion would try to take over the vector code of reductions.

The conversion emits f32 ``mma.sync`` without ``tf32Enabled``, which
``convert-nvgpu-to-nvvm`` refuses (f32 tensor cores exist only as TF32);
``kiln-gpu-tile`` sends f32 matmuls to tensor cores only when the target
allows TF32, so those ops get the flag here.

Pre: outlined kernels; accumulators hoisted (``kiln-gpu-hoist-accumulators``).
Post: no ``vector.contract`` in any ``gpu.module``; f32 ``nvgpu.mma.sync``
carry ``tf32Enabled``.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, register

from kiln.ir import PassManager, ir

CONVERSION = "gpu.module(gpu.func(convert-vector-to-gpu{use-nvgpu=true}))"
TF32_ATTR = "tf32Enabled"


@register
class GpuMmaSync(KilnPass):
    """convert-vector-to-gpu (nvgpu) on the kernels with contractions; f32 mma.sync as TF32."""

    name = "kiln-gpu-mma-sync"

    def run(self, module: ir.Operation) -> None:
        for gpu_module in collect_ops(module, ["gpu.module"]):
            if collect_ops(gpu_module, ["vector.contract"]):
                PassManager.parse(CONVERSION, module.context).run(gpu_module)
        for op in collect_ops(module, ["nvgpu.mma.sync"]):
            if str(ir.VectorType(op.operands[0].type).element_type) == "f32":
                op.attributes[TF32_ATTR] = ir.UnitAttr.get()
