"""kiln-gpu-map: each kernel forall becomes a ``gpu.launch``; nested foralls become thread ids.

For every ``scf.forall`` marked ``kiln.gpu.kernel``:
``transform.gpu.map_forall_to_blocks {generate_gpu_launch}`` wraps it in a
``gpu.launch`` whose grid is the forall's trip counts, then
``transform.gpu.map_nested_forall_to_threads`` maps the thread- and
warp-mapped foralls inside to ``gpu.thread_id`` arithmetic for the marked
``kiln.gpu.block_dims`` (threads past a forall's trip count are predicated
off; a barrier follows each distributed forall).

Pre: output of ``kiln-gpu-distribute``, on buffers.
Post: no ``scf.forall`` with a GPU mapping and no ``kiln.gpu.*`` attribute
remains; each kernel is a ``gpu.launch`` in its host function.
"""

from __future__ import annotations

from kiln.lowering.cuda.schedules.common import BLOCK_DIMS_ATTR, KERNEL_ATTR, MARKERS, GpuSchedule
from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir

TAG_PREFIX = "kiln.gpu.launch"


@register
class GpuMap(KilnPass):
    """Turn kernel foralls into gpu.launch ops and thread foralls into thread ids."""

    name = "kiln-gpu-map"

    def run(self, module: ir.Operation) -> None:
        kernels = [op for op in collect_ops(module, ["scf.forall"]) if KERNEL_ATTR in op.attributes]
        if not kernels:
            return
        sched = GpuSchedule(module.context)
        for index, forall in enumerate(kernels):
            tag = f"{TAG_PREFIX}{index}"
            forall.attributes[tag] = ir.UnitAttr.get()
            block_dims = list(ir.DenseI64ArrayAttr(forall.attributes[BLOCK_DIMS_ATTR]))
            launch = sched.map_forall_to_blocks(sched.match(["scf.forall"], attr=tag))
            sched.map_nested_forall_to_threads(launch, block_dims)
        sched.apply(module)
        for op in collect_ops(module):
            for name in [
                n for n in op.attributes if n.startswith(MARKERS) or n.startswith(TAG_PREFIX)
            ]:
                del op.attributes[name]
