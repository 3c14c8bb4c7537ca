"""kiln-fold-matmul-extensions: a matmul of extended f16/bf16 operands becomes a mixed-precision matmul.

PyTorch's decompositions of ``nn.Linear`` (``addmm``) in half precision
extend both operands to f32 before the matmul; the contraction then looks
like an f32 matmul and the cuda pipeline cannot put it on tensor cores.
``linalg.matmul`` already extends its operands to the accumulator type
before multiplying, so reading the narrow tensors directly computes the same
sums, bit for bit:

    %a32 = linalg.generic {parallel...} ins(%a : f16) { arith.extf }
    %c = linalg.matmul ins(%a32, %b32 : f32, f32) outs(%acc : f32)
      ->
    %c = linalg.matmul ins(%a, %b : f16, f16) outs(%acc : f32)

Pre: linalg on tensors. Post: no ``linalg.matmul`` / ``linalg.batch_matmul``
reads an operand that an identity-map, elementwise ``arith.extf`` generic
made from a 16-bit float tensor; the extension generics left without uses
are removed by the next canonicalize.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, element_type, indexing_maps
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir, linalg

BUILDERS = {"linalg.matmul": linalg.matmul, "linalg.batch_matmul": linalg.batch_matmul}
NARROW_FLOATS = ("f16", "bf16")


@register
class FoldMatmulExtensions(KilnPass):
    """Matmuls read f16/bf16 tensors directly instead of their f32 extensions."""

    name = "kiln-fold-matmul-extensions"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, list(BUILDERS)):
            if not _default_maps(op):
                continue  # transposed/broadcast forms: kept as they are
            inputs = [_narrow_source(v) for v in op.operands[:2]]
            if any(v is None for v in inputs) or element_type(inputs[0]) != element_type(inputs[1]):
                continue  # one narrow operand alone would make an f32 x f16 product
            with ir.InsertionPoint(op), op.location:
                result = BUILDERS[op.name](*inputs, outs=[op.operands[2]])
            op.results[0].replace_all_uses_with(result)
            op.erase()


def _default_maps(op: ir.Operation) -> bool:
    """No indexing maps given, or the op's default ones (no transposed or broadcast operand)."""
    if "indexing_maps" not in op.attributes:
        return True
    batch = ["d0"] if op.name == "linalg.batch_matmul" else []
    m, n, k = (f"d{i}" for i in range(len(batch), len(batch) + 3))
    dims = ", ".join([*batch, m, n, k])
    expected = [f"({dims}) -> ({', '.join([*batch, *pair])})" for pair in ((m, k), (k, n), (m, n))]
    return [str(m) for m in indexing_maps(op)] == expected


def _narrow_source(value: ir.Value) -> ir.Value | None:
    """The 16-bit float tensor ``value`` extends, when an elementwise extf generic made it."""
    owner = value.owner
    if not isinstance(owner, ir.OpView | ir.Operation):
        return None
    gen = owner.operation
    if gen.name != "linalg.generic" or len(gen.operands) != 2 or len(gen.results) != 1:
        return None
    source = gen.operands[0]
    if not isinstance(source.type, ir.RankedTensorType):
        return None
    if str(element_type(source)) not in NARROW_FLOATS:
        return None
    maps = indexing_maps(gen)
    identity = ir.AffineMap.get_identity(maps[0].n_dims)
    if any(m != identity for m in maps):  # all-identity maps: elementwise, all loops parallel
        return None
    body = [o.operation for o in gen.regions[0].blocks[0].operations]
    if [o.name for o in body] != ["arith.extf", "linalg.yield"]:
        return None
    ext, block = body[0], gen.regions[0].blocks[0]
    if ext.operands[0] != block.arguments[0] or body[1].operands[0] != ext.results[0]:
        return None
    return source
