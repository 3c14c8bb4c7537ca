"""kiln-distinct-results: an entry point never returns the same tensor twice.

``return %y, %y`` would make two outputs share one buffer; MLIR's
``buffer-results-to-out-params`` even crashes on it. The second and later
occurrences become copies (``bufferization.alloc_tensor() copy(%y)``).

Pre: tensors, before bufferization.
Post: the operands of each public function's ``func.return`` are distinct values.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, register

from kiln.ir import bufferization, ir


@register
class DistinctResults(KilnPass):
    """Replace repeated return values of entry points by copies."""

    name = "kiln-distinct-results"

    def run(self, module: ir.Operation) -> None:
        for ret in collect_ops(module, ["func.return"]):
            func = ret.parent
            if "sym_visibility" in func.attributes:
                continue
            seen = set()
            for index, value in enumerate(list(ret.operands)):
                if value in seen and isinstance(value.type, ir.RankedTensorType):
                    with ir.InsertionPoint(ret), ret.location:
                        copy = bufferization.AllocTensorOp(value.type, [], copy=value).result
                    ret.operands[index] = copy
                seen.add(value)
