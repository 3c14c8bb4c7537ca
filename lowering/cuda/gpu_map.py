"""kiln-gpu-map: each kernel forall becomes a ``gpu.launch``; nested foralls become thread ids.

For every ``scf.forall`` marked ``kiln.gpu.kernel``:
``transform.gpu.map_forall_to_blocks {generate_gpu_launch}`` wraps it in a
``gpu.launch`` whose grid is the forall's trip counts, then
``transform.gpu.map_nested_forall_to_threads`` maps the thread- and
warp-mapped foralls inside to ``gpu.thread_id`` arithmetic for the marked
``kiln.gpu.block_dims`` (threads past a forall's trip count are predicated
off; a barrier follows each distributed forall).

Pre: output of ``kiln-gpu-distribute``, on buffers; each kernel forall
carries its ``kiln.gpu.block_dims``, enough threads for the foralls inside.
Post: no ``scf.forall`` with a GPU mapping and no ``kiln.gpu.*`` attribute
remains; each kernel is a ``gpu.launch`` in its host function. A kernel that
cannot be mapped is an error at its forall, with upstream's reason.
"""

from __future__ import annotations

from kiln.lowering.cuda.schedules.common import BLOCK_DIMS_ATTR, KERNEL_ATTR, MARKERS, GpuSchedule
from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, PassFailure, register
from kiln.passes.transform_script import ScheduleFailure

from kiln.ir import ir

TAG_PREFIX = "kiln.gpu.launch"


@register
class GpuMap(KilnPass):
    """Turn kernel foralls into gpu.launch ops and thread foralls into thread ids."""

    name = "kiln-gpu-map"

    def run(self, module: ir.Operation) -> None:
        errors = []
        kernels = []  # (tag, location, block dims): no op handle is kept across a transform
        for forall in collect_ops(module, ["scf.forall"]):
            if KERNEL_ATTR not in forall.attributes:
                continue
            if BLOCK_DIMS_ATTR not in forall.attributes:
                errors.append((forall.location, f"{self.name}: kernel has no {BLOCK_DIMS_ATTR}"))
                continue
            tag = f"{TAG_PREFIX}{len(kernels)}"
            forall.attributes[tag] = ir.UnitAttr.get()
            block_dims = list(ir.DenseI64ArrayAttr(forall.attributes[BLOCK_DIMS_ATTR]))
            kernels.append((tag, forall.location, block_dims))
        # One schedule per kernel, so that a failure is reported at the kernel it is about
        # (the transform interpreter's diagnostic has no payload location).
        for tag, location, block_dims in kernels:
            sched = GpuSchedule(module.context)
            launch = sched.map_forall_to_blocks(sched.match(["scf.forall"], attr=tag))
            sched.map_nested_forall_to_threads(launch, block_dims)
            try:
                sched.apply(module)
            except ScheduleFailure as failure:  # reported at the kernel, in the pass's words
                reasons = "; ".join(failure.reasons)
                message = f"cannot map the kernel to {block_dims} threads: {reasons}"
                errors.append((location, f"{self.name}: {message}"))
        if errors:
            raise PassFailure(errors)
        for op in collect_ops(module):
            for name in [
                n for n in op.attributes if n.startswith(MARKERS) or n.startswith(TAG_PREFIX)
            ]:
                del op.attributes[name]
