"""kiln-specialize-contractions: matmul-shaped ``linalg.generic`` ops become named matmuls.

PyTorch's ``nn.Linear`` on a 3-D input and attention's ``q @ k^T`` reach
linalg as contraction generics; once ``linalg-fold-unit-extent-dims`` has
dropped their unit dims many are plain matmuls or batch matmuls, and the
cuda pipeline's schedules (tensor cores included) know only the named ops.
Upstream's ``linalg-specialize-generic-ops`` does this too but also turns
broadcasts and elementwise generics into named ops, which
``kiln-fuse-elementwise`` then no longer fuses; this pass touches
contractions only:

    linalg.generic {maps (i, k), (k, j), (i, j); parallel, parallel, reduction}
        ins(%a, %b) outs(%c) { out + ext(a) * ext(b) }
      ->
    linalg.matmul ins(%a, %b) outs(%c)

(and ``(b, i, k), (b, k, j), (b, i, j)`` -> ``linalg.batch_matmul``). The
named ops extend their operands to the accumulator type themselves, so the
body's ``arith.extf`` of either operand is part of the match.

Pre: linalg on tensors. Post: no generic of those forms remains; every other
op is unchanged.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, indexing_maps, iterator_types, map_dims
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir, linalg

# Loop dims of A, B and C for each named op (as affine map results).
FORMS = {
    "matmul": ([0, 2], [2, 1], [0, 1]),
    "batch_matmul": ([0, 1, 3], [0, 3, 2], [0, 1, 2]),
}
BUILDERS = {"matmul": linalg.matmul, "batch_matmul": linalg.batch_matmul}


@register
class SpecializeContractions(KilnPass):
    """Rewrite matmul / batch_matmul-shaped contraction generics as the named ops."""

    name = "kiln-specialize-contractions"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["linalg.generic"]):
            form = _form(op)
            if form is None:
                continue
            with ir.InsertionPoint(op), op.location:
                result = BUILDERS[form](op.operands[0], op.operands[1], outs=[op.operands[2]])
            op.results[0].replace_all_uses_with(result)
            op.erase()


def _form(op: ir.Operation) -> str | None:
    """``matmul`` or ``batch_matmul`` when ``op`` is exactly that contraction, else None."""
    if len(op.operands) != 3 or len(op.results) != 1:
        return None
    dims = [map_dims(m) for m in indexing_maps(op)]
    kinds = iterator_types(op)
    for name, form in FORMS.items():
        expected = ["parallel"] * (len(form[2])) + ["reduction"]
        if dims == list(form) and kinds == expected and _multiply_add(op):
            return name
    return None


def _multiply_add(op: ir.Operation) -> bool:
    """The body is ``out + ext?(a) * ext?(b)`` (float), nothing else."""
    block = op.regions[0].blocks[0]
    a, b, out = block.arguments
    body = [o.operation for o in block.operations]
    names = [o.name for o in body]
    if names[-3:] != ["arith.mulf", "arith.addf", "linalg.yield"]:
        return False
    extended = {}
    for ext in body[:-3]:
        if ext.name != "arith.extf" or ext.operands[0] not in (a, b):
            return False
        extended[ext.results[0]] = ext.operands[0]
    mul, add, done = body[-3:]
    factors = [extended.get(v, v) for v in mul.operands]
    if sorted(map(_arg_number, factors)) != [0, 1]:
        return False
    terms = list(add.operands)
    return (terms == [out, mul.results[0]] or terms == [mul.results[0], out]) and done.operands[
        0
    ] == add.results[0]


def _arg_number(value: ir.Value) -> int:
    return ir.BlockArgument(value).arg_number if isinstance(value.owner, ir.Block) else -1
