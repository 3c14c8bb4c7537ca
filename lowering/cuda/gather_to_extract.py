"""kiln-gather-to-extract: an elementwise read through a floordiv/mod map becomes a tensor.extract.

Upstream's im2col rewrite (``kiln-conv-to-img2col``) reads the image through
a semi-affine indexing map such as ``(d0, d1) -> (d0 floordiv 9,
(d1 floordiv 56) + (d0 mod 9) floordiv 3, ...)``. Tiling refuses to cut a
loop that such a map mixes with another one, so the GPU schedules could not
split the gather over blocks and threads. Written as an explicit gather, the
same op has only the identity output map:

    linalg.generic ins(%x : #semi_affine) outs(%out) { yield %in }
      ->
    linalg.generic outs(%out) {
      %i = linalg.index 0 ... ; %row = affine.apply (semi_affine result 0)(%i, ...)
      yield tensor.extract %x[%row, ...]
    }

Pre: linalg on tensors. Post: no all-parallel ``linalg.generic`` with a
single input read through a map with ``floordiv``/``mod`` whose body only
yields that input; each became an extract-based generic computing the same
values.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, indexing_maps, iterator_types, parallel_generic
from kiln.passes.registry import KilnPass, register

from kiln.ir import affine, ir, linalg, tensor


@register
class GatherToExtract(KilnPass):
    """Rewrite semi-affine single-input copies as tensor.extract gathers."""

    name = "kiln-gather-to-extract"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["linalg.generic"]):
            if not _semi_affine_copy(op):
                continue
            with ir.InsertionPoint(op), op.location:
                result = _gather(op)
            op.results[0].replace_all_uses_with(result)
            op.erase()


def _semi_affine_copy(op: ir.Operation) -> bool:
    if len(op.operands) != 2 or len(op.results) != 1 or "reduction" in iterator_types(op):
        return False
    source_map, out_map = indexing_maps(op)
    if not any(word in str(source_map) for word in ("floordiv", "mod")):
        return False
    rank = out_map.n_dims
    if str(out_map) != str(ir.AffineMap.get_identity(rank)):
        return False
    body = [o.operation for o in op.regions[0].blocks[0].operations]
    block = op.regions[0].blocks[0]
    return len(body) == 1 and body[0].operands[0] == block.arguments[0]


def _gather(op: ir.Operation) -> ir.Value:
    source = op.operands[0]
    source_map = indexing_maps(op)[0]
    rank = source_map.n_dims
    generic, block = parallel_generic(op.operands[1])
    with ir.InsertionPoint(block):
        positions = [linalg.IndexOp(dim).result for dim in range(rank)]
        indices = [
            affine.AffineApplyOp(ir.AffineMap.get(rank, 0, [expr]), positions).result
            for expr in source_map.results
        ]
        linalg.yield_([tensor.extract(source, indices)])
    return generic.result
