"""kiln-outline-loop-nests: each top-level loop nest of an entry point becomes its own function.

After bufferization a whole model is one function: ResNet-18 is a single
40 000-instruction function with some 350 loops. LLVM's loop passes
(IndVarSimplify, LICM, loop rotation and unrolling) recompute function-wide
analyses per loop, so their cost grows with loops x function size, and the
JIT spends seconds there. Moved into a private ``noinline`` function of its
own, each nest is optimized on its own; one call per nest costs nothing
next to the nest's work.

A nest's operands defined outside it are handled so that the new function
sees as much as the original did: constants, ``memref.get_global`` and view
ops (subview, expand/collapse_shape, cast) built from them are cloned into
the new function; anything else (the entry point's arguments, values computed
at run time) becomes an argument. A nest whose arguments would include a
memref with a non-identity layout is left in place: the bare-pointer calling
convention cannot pass it.

    func.func @forward(%x: memref<..>) {       func.func private @__kiln_nest_0(%x: memref<..>)
      scf.for ... { ... %x ... }       ->        attributes {llvm.no_inline} {
    }                                              scf.for ... { ... %x ... }
                                                 }
                                               func.func @forward(%x) { call @__kiln_nest_0(%x) }

Pre: the ``loops`` stage's output (memrefs, scf/omp loops), before LLVM lowering.
Post: the body of each public function holds no ``scf.for``, ``scf.parallel``
or ``omp.parallel`` of its own, except nests that could not be outlined; the
moved nests compute exactly what they did.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, defining_op, entry_functions
from kiln.passes.registry import KilnPass, register

from kiln.ir import func, ir

NEST_OPS = ("scf.for", "scf.parallel", "scf.forall", "omp.parallel")
# Ops without side effects that are cheaper (and better for LLVM) to repeat in
# the outlined function than to pass in: their operands are rematerialized too.
CLONED_OPS = (
    "arith.constant",
    "ub.poison",
    "memref.get_global",
    "memref.subview",
    "memref.expand_shape",
    "memref.collapse_shape",
    "memref.cast",
    "memref.reinterpret_cast",
)
PREFIX = "__kiln_nest_"


@register
class OutlineLoopNests(KilnPass):
    """Move each top-level loop nest of an entry point into a noinline function."""

    name = "kiln-outline-loop-nests"

    def run(self, module: ir.Operation) -> None:
        count = 0
        for entry in entry_functions(module):
            for op in [o.operation for o in entry.regions[0].blocks[0].operations]:
                if op.name in NEST_OPS and not op.results and _outline(op, module, count):
                    count += 1


def _outline(nest: ir.Operation, module: ir.Operation, index: int) -> bool:
    """Moves ``nest`` into a new function and calls it; False if it cannot be passed."""
    # Post-order: the nest's arguments come in the order their innermost uses appear.
    nested = collect_ops(nest, order=ir.WalkOrder.POST_ORDER)  # still valid after the move
    inside = _values_defined_in(nested)
    outside: list[ir.Value] = []
    seen: set = set()

    def need(value: ir.Value) -> None:
        if value in inside or value in seen:
            return
        seen.add(value)
        producer = defining_op(value)
        if producer is not None and producer.name in CLONED_OPS:
            for operand in producer.operands:
                need(operand)
        outside.append(value)

    for op in nested:
        for operand in op.operands:
            need(operand)

    cloned = [v for v in outside if _is_cloned(v)]
    arguments = [v for v in outside if not _is_cloned(v)]
    if not all(_passable(v.type) for v in arguments):
        return False

    name = f"{PREFIX}{index}"
    with ir.InsertionPoint(module.regions[0].blocks[0]), nest.location:
        kernel = func.FuncOp(name, ir.FunctionType.get([v.type for v in arguments], []))
        kernel.sym_visibility = ir.StringAttr.get("private")
        # func-to-llvm hands ``llvm.``-prefixed attributes on to the llvm.func.
        kernel.attributes["llvm.no_inline"] = ir.UnitAttr.get()
        kernel.attributes["llvm.linkage"] = ir.Attribute.parse("#llvm.linkage<internal>")
        block = kernel.add_entry_block()
    mapping = dict(zip(arguments, block.arguments, strict=True))
    with ir.InsertionPoint(block):
        for value in cloned:  # in dependency order: operands were added first
            producer = defining_op(value)
            copy = producer.clone()
            for i, operand in enumerate(copy.operands):
                copy.operands[i] = mapping[operand]
            for old, new in zip(producer.results, copy.results, strict=True):
                mapping[old] = new
    with ir.InsertionPoint(nest), nest.location:
        func.CallOp([], ir.FlatSymbolRefAttr.get(name), arguments)
    block.append(nest)
    with ir.InsertionPoint(block), nest.location:
        func.ReturnOp([])
    for op in nested:
        for i, operand in enumerate(op.operands):
            if operand in mapping:
                op.operands[i] = mapping[operand]
    return True


def _values_defined_in(ops: list[ir.Operation]) -> set:
    values: set = set()
    for op in ops:
        values.update(op.results)
        for region in op.regions:
            for block in region.blocks:
                values.update(block.arguments)
    return values


def _is_cloned(value: ir.Value) -> bool:
    producer = defining_op(value)
    return producer is not None and producer.name in CLONED_OPS


def _passable(ty: ir.Type) -> bool:
    """Scalars, and memrefs the bare-pointer convention can pass (identity layout)."""
    if isinstance(ty, ir.MemRefType):
        memref = ir.MemRefType(ty)
        return memref.layout == ir.AffineMapAttr.get(ir.AffineMap.get_identity(memref.rank))
    return isinstance(ty, ir.IndexType | ir.IntegerType | ir.FloatType)
