"""kiln-profile-regions: time every top-level loop nest of the entry functions with the cycle counter.

Each top-level op of a public function's body that holds loops (``scf.for``,
``scf.parallel``, ``omp.parallel``...) is bracketed by reads of the CPU's
cycle counter; the difference is added to a per-region counter in the global
``__kiln_profile``. ``__kiln_profile_read(out)`` copies the counters out.
The module attribute ``kiln.profile_regions`` names the regions (the source
location of the op the loop nest came from), in counter order.
``kiln.compile(..., profile=True)`` inserts this pass after the ``loops``
stage and ``CompiledModel.profile()`` reports the shares.

Pre: the ``loops`` stage's output (scf/omp loops on memrefs).
Post: same computation; counters and the read function added.
"""

from __future__ import annotations

from kiln.passes.common import entry_functions
from kiln.passes.registry import KilnPass, register

from kiln.errors import user_location
from kiln.ir import arith, func, ir, llvm, memref

COUNTERS = "__kiln_profile"
READ_FUNCTION = "__kiln_profile_read"
REGIONS_ATTR = "kiln.profile_regions"


@register
class ProfileRegions(KilnPass):
    """Count the cycles spent in each top-level loop nest of the entry functions."""

    name = "kiln-profile-regions"

    def run(self, module: ir.Operation) -> None:
        body = module.regions[0].blocks[0]
        regions = profiled_nests(module)
        if not regions:
            return
        i64 = ir.IntegerType.get_signless(64)
        with ir.Location.unknown():
            counters_type = ir.MemRefType.get([len(regions)], i64)
        with ir.InsertionPoint.at_block_begin(body), ir.Location.unknown():
            zeros = ir.DenseElementsAttr.get_splat(
                ir.RankedTensorType.get([len(regions)], i64), ir.IntegerAttr.get(i64, 0)
            )
            memref.GlobalOp(
                sym_name=COUNTERS,
                type_=counters_type,
                sym_visibility="private",
                initial_value=zeros,
            )
        names = []
        for index, op in enumerate(regions):
            names.append(f"{index:02d} {describe_nest(op)} at {user_location(op.location)}")
            with ir.InsertionPoint(op), op.location:
                start = _cycles(i64)
            with ir.InsertionPoint(_next(op)), op.location:
                elapsed = arith.subi(_cycles(i64), start)
                counters = memref.get_global(counters_type, COUNTERS)
                slot = arith.constant(ir.IndexType.get(), index)
                total = arith.addi(memref.load(counters, [slot]), elapsed)
                memref.store(total, counters, [slot])
        with ir.InsertionPoint(body), ir.Location.unknown():
            reader = func.FuncOp(READ_FUNCTION, ir.FunctionType.get([counters_type], []))
            block = reader.add_entry_block()
            with ir.InsertionPoint(block):
                memref.copy(memref.get_global(counters_type, COUNTERS), block.arguments[0])
                func.ReturnOp([])
        module.attributes[REGIONS_ATTR] = ir.ArrayAttr.get([ir.StringAttr.get(n) for n in names])


def profiled_nests(module: ir.Operation) -> list[ir.Operation]:
    """The loop nests this pass times, in counter order: each top-level op of an entry
    function's body that holds regions (compile reports read them in the same order)."""
    return [
        op
        for fn in entry_functions(module)
        for op in [o.operation for o in fn.regions[0].blocks[0].operations]
        if op.regions and op.name != "func.return"
    ]


def describe_nest(op: ir.Operation) -> str:
    """What a loop nest does (FMAs, bf16 dot products, reductions, copies) and the largest buffer it touches."""
    kinds, largest = set(), (0, "")

    def visit(inner):
        nonlocal largest
        name = inner.operation.name
        if name == "vector.fma":
            kinds.add("fma")
        elif name == "x86.avx512.dot":
            kinds.add("bf16-dot")
        elif name in ("vector.reduction", "vector.multi_reduction"):
            kinds.add("reduce")
        for value in inner.operands:
            if isinstance(value.type, ir.MemRefType) and ir.MemRefType(value.type).has_static_shape:
                size = 1
                for d in ir.MemRefType(value.type).shape:
                    size *= d
                if size > largest[0]:
                    largest = (size, "x".join(map(str, ir.MemRefType(value.type).shape)))
        return ir.WalkResult.ADVANCE

    op.walk(visit)
    kind = "+".join(sorted(kinds)) or "elementwise"
    return f"{kind} [{largest[1]}]"


def _cycles(i64: ir.Type) -> ir.Value:
    return llvm.call_intrinsic(i64, "llvm.readcyclecounter", [], [], [])


def _next(op: ir.Operation) -> ir.Operation:
    """The op after ``op`` in its block (the function's return at the latest)."""
    ops = [o.operation for o in op.parent.regions[0].blocks[0].operations]
    return ops[ops.index(op) + 1]
