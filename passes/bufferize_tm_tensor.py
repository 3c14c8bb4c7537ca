"""kiln-bufferize-tm-tensor: bufferize torch-mlir's TMTensor ops ahead of one-shot bufferization.

torch-mlir lowers sort, cumsum/cumprod, scatter and a few others to its own
``tm_tensor`` dialect, which has no one-shot bufferization model. Its
``tm-tensor-bufferize`` pass bufferizes those ops into fresh buffers wrapped
in ``bufferization.to_tensor``; this pass runs it and marks those
``to_tensor`` ops ``restrict`` (each wraps a buffer nobody else aliases),
which is what one-shot bufferization needs to accept them.

Pre: tensors; tm_tensor ops possibly present.
Post: no tm_tensor op works on tensors; every ``bufferization.to_tensor`` it
created is ``restrict`` and ``writable``. Modules without tm_tensor ops are unchanged.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir
from kiln.pipeline import build_pass_manager


@register
class BufferizeTmTensor(KilnPass):
    """Bufferize tm_tensor ops (sort, scans, scatter) so one-shot bufferization accepts the rest."""

    name = "kiln-bufferize-tm-tensor"

    def run(self, module: ir.Operation) -> None:
        if not any(op.name.startswith("tm_tensor.") for op in collect_ops(module)):
            return
        build_pass_manager(["func.func(tm-tensor-bufferize)"], module.context).run(module)
        for op in collect_ops(module, ["bufferization.to_tensor"]):
            op.attributes["restrict"] = ir.UnitAttr.get()
            op.attributes["writable"] = ir.UnitAttr.get()
