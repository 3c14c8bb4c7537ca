"""kiln-outline-loop-nests: each top-level loop nest of an entry point becomes its own function.

After bufferization a whole model is one function: ResNet-18 is a single
40 000-instruction function with some 350 loops. LLVM's loop passes
(IndVarSimplify, LICM, loop rotation and unrolling) recompute function-wide
analyses per loop, so their cost grows with loops x function size, and the
JIT spends seconds there. Moved into a private ``noinline`` function of its
own, each nest is optimized on its own; one call per nest costs nothing
next to the nest's work.

A nest's operands defined outside it are handled so that the new function
sees as much as the original did: constants, view ops (subview,
expand/collapse_shape, cast) and pure ops computing vectors (a splat of a
constant, which a bare pointer cannot carry) are cloned into the new function; anything else
(module globals, the entry point's arguments, values computed at run time)
becomes an argument. A global is passed once per nest, whatever number of
``memref.get_global`` ops name it, and its argument is marked ``noalias``
(distinct globals never overlap) and aligned as the global is; so is a fresh
allocation's, unless another argument is computed from it. Passing
globals instead of naming them lets the nests of repeated layers be the same
function (``kiln-merge-identical-functions``). With ``bare-pointers`` (the
static-shape pipeline's calling convention), a nest whose arguments would
include a memref with a dynamic shape or a non-identity layout is left in
place: a bare pointer cannot carry its sizes or strides, and func-to-llvm
would leave its function unconverted. Without, memrefs go as descriptors.

Nests side by side in one loop's body (Winograd's input transform, batch matmul
and output transform per block of tile rows) are outlined again from their nest
function, each into its own (``_sibling_nests``): otherwise llc's loop strength
reduction of the enclosing loop weighs every address of every nest together.

    func.func @forward(%x: memref<..>) {       func.func private @__kiln_nest_0(%x: memref<..>)
      scf.for ... { ... %x ... }       ->        attributes {llvm.no_inline} {
    }                                              scf.for ... { ... %x ... }
                                                 }
                                               func.func @forward(%x) { call @__kiln_nest_0(%x) }

Pre: the ``loops`` stage's output (memrefs, scf/omp loops), before LLVM lowering.
Post: the body of each public function holds no ``scf.for``, ``scf.parallel``
or ``omp.parallel`` of its own, and no loop of a nest function holds two nests
side by side, except nests that could not be outlined; the moved nests compute
exactly what they did.
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
    "memref.subview",
    "memref.expand_shape",
    "memref.collapse_shape",
    "memref.cast",
    "memref.reinterpret_cast",
)
# Ops without memory effects whose vector results are cloned too: a vector cannot be
# an argument of a bare-pointer function, and the canonicalizer hoists splats of
# constants (a broadcast zero, a truncated bf16 scale) out of the loops into the
# entry's body, which used to keep the whole nest in the entry function.
PURE_DIALECTS = ("arith.", "math.")
PURE_VECTOR_OPS = (
    "vector.broadcast",
    "vector.splat",
    "vector.shape_cast",
    "vector.transpose",
    "vector.extract",
    "vector.insert",
    "vector.extract_strided_slice",
    "vector.insert_strided_slice",
    "vector.from_elements",
    "vector.step",
)
PREFIX = "__kiln_nest_"
# Loops whose body may hold several nests side by side (a thread's share of a block).
LOOP_BODIES = ("scf.for", "scf.parallel", "omp.loop_nest")


@register
class OutlineLoopNests(KilnPass):
    """Move each top-level loop nest of an entry point into a noinline function."""

    name = "kiln-outline-loop-nests"
    # Functions will be lowered with use-bare-ptr-memref-call-conv (static-shape entry points).
    bare_pointers: bool = True

    def run(self, module: ir.Operation) -> None:
        count = 0
        alignments = _global_alignments(module)
        kernels = []
        for entry in entry_functions(module):
            _one_get_global_per_symbol(entry)
            for op in [o.operation for o in entry.regions[0].blocks[0].operations]:
                if (
                    op.name in NEST_OPS
                    and not op.results
                    and _outline(op, module, count, alignments, self.bare_pointers)
                ):
                    kernels.append(f"{PREFIX}{count}")
                    count += 1
        for nest in _sibling_nests(module, kernels):
            if _outline(nest, module, count, alignments, self.bare_pointers):
                count += 1


def _sibling_nests(module: ir.Operation, kernels: list[str]) -> list[ir.Operation]:
    """The loop nests that share the body of an enclosing loop with another nest.

    Each address in such a body depends on the enclosing loop's induction variable,
    so LLVM's loop strength reduction weighs all of them together when it rewrites
    that loop: on Winograd's blocks of tile rows (the input transform, the batch
    matmul and the output transform per block, one loop) llc spent 16 s of 17 in
    it for one convolution. Outlined, each nest is a loop of its own function.
    """
    found = []
    for op in module.regions[0].blocks[0].operations:
        op = op.operation
        if op.name != "func.func" or ir.StringAttr(op.attributes["sym_name"]).value not in kernels:
            continue
        for loop in collect_ops(op, list(LOOP_BODIES)):
            for region in loop.regions:
                for block in region.blocks:
                    nests = [o.operation for o in block.operations if o.name in NEST_OPS]
                    if len(nests) > 1:
                        found.extend(n for n in nests if not n.results)
    return found


def _global_alignments(module: ir.Operation) -> dict[str, int]:
    """Symbol -> alignment in bytes of the module's ``memref.global`` ops that state one."""
    found = {}
    for op in module.regions[0].blocks[0].operations:
        attrs = op.operation.attributes
        if op.operation.name == "memref.global" and "alignment" in attrs:
            found[ir.StringAttr(attrs["sym_name"]).value] = ir.IntegerAttr(attrs["alignment"]).value
    return found


def _one_get_global_per_symbol(entry: ir.Operation) -> None:
    """Moves the entry body's ``memref.get_global`` ops to its start, one per symbol.

    Two ops naming one global would become two arguments of a nest that
    alias each other, and ``noalias`` would be a lie.
    """
    block = entry.regions[0].blocks[0]
    first: dict[str, ir.Operation] = {}
    for op in [o.operation for o in block.operations]:
        if op.name != "memref.get_global":
            continue
        symbol = ir.FlatSymbolRefAttr(op.attributes["name"]).value
        kept = first.get(symbol)
        if kept is None:
            first[symbol] = op
            op.move_before(block.operations[0])
            continue
        op.results[0].replace_all_uses_with(kept.results[0])
        op.erase()


def _global_symbol(value: ir.Value) -> str | None:
    producer = defining_op(value)
    if producer is None or producer.name != "memref.get_global":
        return None
    return ir.FlatSymbolRefAttr(producer.attributes["name"]).value


def _outline(
    nest: ir.Operation,
    module: ir.Operation,
    index: int,
    alignments: dict[str, int],
    bare_pointers: bool,
) -> bool:
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
        if _is_cloned(value):
            for operand in defining_op(value).operands:
                need(operand)
        outside.append(value)

    for op in nested:
        for operand in op.operands:
            need(operand)

    cloned = [v for v in outside if _is_cloned(v)]
    arguments = [v for v in outside if not _is_cloned(v)]
    if not all(_passable(v.type, bare_pointers) for v in arguments):
        return False

    name = f"{PREFIX}{index}"
    with ir.InsertionPoint(module.regions[0].blocks[0]), nest.location:
        kernel = func.FuncOp(name, ir.FunctionType.get([v.type for v in arguments], []))
        kernel.sym_visibility = ir.StringAttr.get("private")
        # func-to-llvm hands ``llvm.``-prefixed attributes on to the llvm.func.
        kernel.attributes["llvm.no_inline"] = ir.UnitAttr.get()
        kernel.attributes["llvm.linkage"] = ir.Attribute.parse("#llvm.linkage<internal>")
        kernel.arg_attrs = ir.ArrayAttr.get(
            [_argument_attrs(v, alignments, arguments) for v in arguments]
        )
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


def _argument_attrs(
    value: ir.Value, alignments: dict[str, int], arguments: list[ir.Value]
) -> ir.DictAttr:
    """``llvm.noalias`` (and ``llvm.align``) for a global's argument, an allocation's or
    an argument of a nest function that has them (an outlined nest's sibling nests);
    nothing otherwise."""
    inherited = _inherited_attrs(value)
    if inherited is not None and not any(_derived(v, value) for v in arguments if v != value):
        return inherited
    symbol = _global_symbol(value)
    if symbol is None:
        return ir.DictAttr.get({})
    attrs = {"llvm.noalias": ir.UnitAttr.get()}
    if symbol in alignments:
        attrs["llvm.align"] = ir.IntegerAttr.get(
            ir.IntegerType.get_signless(64), alignments[symbol]
        )
    return ir.DictAttr.get(attrs)


def _inherited_attrs(value: ir.Value) -> ir.DictAttr | None:
    """A nest function argument's own attributes; noalias and its alignment for a
    fresh allocation (it overlaps nothing else); None for other values."""
    producer = defining_op(value)
    if producer is not None and producer.name in ("memref.alloc", "memref.alloca"):
        attrs = {"llvm.noalias": ir.UnitAttr.get()}
        if "alignment" in producer.attributes:
            attrs["llvm.align"] = producer.attributes["alignment"]
        return ir.DictAttr.get(attrs)
    if producer is not None or not isinstance(value, ir.BlockArgument):
        return None
    owner = value.owner.owner
    owner = owner.operation if hasattr(owner, "operation") else owner
    if owner is None or owner.name != "func.func" or "arg_attrs" not in owner.attributes:
        return None
    return ir.ArrayAttr(owner.attributes["arg_attrs"])[value.arg_number]


def _derived(value: ir.Value, root: ir.Value) -> bool:
    """Whether ``value`` is computed from ``root`` (may alias it)."""
    pending, seen = [value], set()
    while pending:
        current = pending.pop()
        if current == root:
            return True
        producer = defining_op(current)
        if producer is None or current in seen:
            continue
        seen.add(current)
        pending.extend(producer.operands)
    return False


def _values_defined_in(ops: list[ir.Operation]) -> set:
    values: set = set()
    for op in ops:
        values.update(op.results)
        for region in op.regions:
            for block in region.blocks:
                values.update(block.arguments)
    return values


def _is_cloned(value: ir.Value) -> bool:
    """Whether ``value``'s producer is repeated in the nest function instead of passed:
    a view or a constant (``CLONED_OPS``), or a pure op computing a vector or
    computing from cloned values only."""
    producer = defining_op(value)
    if producer is None:
        return False
    if producer.name in CLONED_OPS:
        return True
    pure = producer.name.startswith(PURE_DIALECTS) or producer.name in PURE_VECTOR_OPS
    if not pure or producer.regions:
        return False
    # A scalar computed from constants only is recomputed too: LLVM then folds it.
    return isinstance(value.type, ir.VectorType) or all(map(_is_cloned, producer.operands))


def _passable(ty: ir.Type, bare_pointers: bool) -> bool:
    """Scalars and memrefs; with bare pointers only memrefs a pointer describes whole
    (static shape, identity layout)."""
    if isinstance(ty, ir.MemRefType):
        memref = ir.MemRefType(ty)
        if not bare_pointers:
            return True
        identity = ir.AffineMapAttr.get(ir.AffineMap.get_identity(memref.rank))
        return memref.has_static_shape and memref.layout == identity
    return isinstance(ty, ir.IndexType | ir.IntegerType | ir.FloatType)
