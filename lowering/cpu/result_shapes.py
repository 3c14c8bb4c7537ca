"""kiln-result-shapes: each dynamic entry point gets a function computing its buffers' sizes.

An entry point with dynamic shapes allocates its results itself; when one
cannot be allocated (a 4 TiB output from a large dynamic size), ``malloc``
returns null and the code writes through it: a segfault. With the shapes
known before the call, the runtime refuses such a call with a
``BufferTooLargeError`` naming the output and its size, as it does for
static shapes.

For each public function ``@f`` with a dynamically shaped result, this pass
adds ``@__kiln_result_shapes_f``: the same arguments, returning a
``tensor<Nxi64>`` of every result's sizes in order (static sizes as
constants). Its body is ``@f``'s with the results replaced by their
``tensor.dim``s, which upstream's shape reification and the canonicalizer
reduce to arithmetic on the argument sizes; a size that depends on data
(not on argument sizes alone) is -1, unknown. Its runtime checks are
dropped: the entry point makes them.

Pre: tensors (linalg level), entry points not yet rewritten by later stages.
Post: each public function with a dynamic result or intermediate has its shape function
(public, ``llvm.emit_c_interface``) made of ``arith``/``affine`` ops,
``tensor.dim`` of its arguments and one ``tensor.from_elements``.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, entry_functions
from kiln.passes.registry import KilnPass, register

from kiln.ir import PassManager, arith, func, ir, tensor

PREFIX = "__kiln_result_shapes_"
SIMPLIFY = "func.func(resolve-ranked-shaped-type-result-dims, canonicalize, cse)"
# Ops a size computation may keep: arithmetic on sizes, nothing that reads data.
SIZE_OPS = ("arith.", "affine.apply", "affine.min", "affine.max", "index.")


@register
class ResultShapes(KilnPass):
    """Add a result-shape function to each entry point with dynamically shaped results."""

    name = "kiln-result-shapes"

    def run(self, module: ir.Operation) -> None:
        for entry in entry_functions(module):
            name = ir.StringAttr(entry.attributes["sym_name"]).value
            if name.startswith(PREFIX) or not (
                _has_dynamic_result(entry) or _dynamic_empties(entry)
            ):
                continue
            shapes = entry.clone(ip=ir.InsertionPoint.after(entry))
            shapes.attributes["sym_name"] = ir.StringAttr.get(PREFIX + name)
            _return_result_sizes(shapes)
            for check in collect_ops(shapes, ["cf.assert"]):
                check.erase()
            PassManager.parse(SIMPLIFY).run(shapes)
            if _mark_data_dependent(shapes):
                PassManager.parse(SIMPLIFY).run(shapes)


def _has_dynamic_result(entry: ir.Operation) -> bool:
    results = ir.FunctionType(ir.TypeAttr(entry.attributes["function_type"]).value).results
    return any(
        isinstance(t, ir.RankedTensorType) and not ir.RankedTensorType(t).has_static_shape
        for t in results
    )


def _dynamic_empties(function: ir.Operation) -> list[ir.Operation]:
    """The dynamically shaped ``tensor.empty`` ops of ``function``'s entry block
    whose element size is known (they are in scope at its return)."""
    return [
        op.operation
        for op in function.regions[0].blocks[0].operations
        if op.operation.name == "tensor.empty"
        and not ir.RankedTensorType(op.results[0].type).has_static_shape
        and _element_bytes(ir.RankedTensorType(op.results[0].type).element_type) is not None
    ]


def _element_bytes(ty: ir.Type) -> int | None:
    if isinstance(ty, ir.IndexType):
        return 8
    if isinstance(ty, ir.IntegerType | ir.FloatType):
        return (ty.width + 7) // 8
    return None


def _byte_count(empty: ir.Operation) -> ir.Value:
    """The bytes ``empty``'s buffer takes, as an i64 (its dynamic sizes are its operands)."""
    i64 = ir.IntegerType.get_signless(64)
    ty = ir.RankedTensorType(empty.results[0].type)
    total = arith.constant(i64, _element_bytes(ty.element_type) * _static_product(ty))
    for size in empty.operands:
        total = arith.muli(total, arith.index_cast(i64, size))
    return total


def _static_product(ty: ir.RankedTensorType) -> int:
    product = 1
    for dim in range(ty.rank):
        if not ty.is_dynamic_dim(dim):
            product *= ty.shape[dim]
    return product


def _return_result_sizes(shapes: ir.Operation) -> None:
    """Makes ``shapes`` return the sizes of the values it returned, then the byte
    counts of its dynamic intermediates, as one ``tensor<Nxi64>``."""
    block = shapes.regions[0].blocks[0]
    i64, index = ir.IntegerType.get_signless(64), ir.IndexType.get()
    empties = _dynamic_empties(shapes)
    for ret in [op for op in block.operations if op.operation.name == "func.return"]:
        with ir.InsertionPoint(ret), ret.location:
            sizes = []
            for value in ret.operands:
                ty = ir.RankedTensorType(value.type)
                for dim in range(ty.rank):
                    if ty.is_dynamic_dim(dim):
                        size = arith.index_cast(i64, tensor.dim(value, arith.constant(index, dim)))
                    else:
                        size = arith.constant(i64, ty.shape[dim])
                    sizes.append(size)
            sizes.extend(_byte_count(empty) for empty in empties)
            result_type = ir.RankedTensorType.get([len(sizes)], i64)
            func.ReturnOp([tensor.from_elements(result_type, sizes)])
        ret.erase()
    inputs = [argument.type for argument in block.arguments]
    shapes.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, [result_type]))


def _mark_data_dependent(shapes: ir.Operation) -> bool:
    """Replaces each returned size that still reads data by -1; True if any was."""
    computed: set = set()  # values that depend on more than the arguments' sizes
    marked = False
    for op in collect_ops(shapes):
        if op.name == "tensor.from_elements":
            for index, value in enumerate(list(op.operands)):
                if value in computed:
                    with ir.InsertionPoint(op), op.location:
                        op.operands[index] = arith.constant(value.type, -1)
                    marked = True
            continue
        if not _size_op(op) or any(operand in computed for operand in op.operands):
            computed.update(op.results)
    return marked


def _function_of(op: ir.Operation) -> ir.Operation:
    while op.name != "func.func":
        op = op.parent
    return op


def _size_op(op: ir.Operation) -> bool:
    """An op that computes only from the arguments' sizes (given size-only operands)."""
    if op.name == "tensor.dim":
        return op.operands[0].owner == _function_of(op).regions[0].blocks[0]
    return op.name.startswith(SIZE_OPS)
