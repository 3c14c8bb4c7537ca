"""Fusion groups moved into functions of their own while their schedule runs, then back.

Why: upstream's ``fuse_into_containing_op`` tries one fusion method after
another, and a method that does not apply builds its diagnostic note eagerly,
printing the producer. Printing an op numbers every value of the enclosing
isolated-from-above op and verifies it first: with the whole model in one
function, each fusion cost a pass over the model (DenseNet-121: 3.5 s of its
4.4 s ``kiln-tile-and-fuse``). In a function of its own the group is that scope.

``outline_group`` moves a ``kiln.fusion_group``'s ops into a private function
called where the group was: values the group reads from outside become
arguments, except constants and ``tensor.empty`` (operand-free, cloned in, so
that the schedules and later passes still see constant weights and empty
destinations). ``inline_group_calls`` puts every such function's body back in
place of its call and erases the functions; the ops keep their attributes.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, splice_before

from kiln.ir import func, ir

PREFIX = "__kiln_tile_group_"
CLONED = ("arith.constant", "tensor.empty")


def outline_group(group: ir.Operation, index: int) -> None:
    """Replaces ``group`` by a call to a new private function holding its ops."""
    with group.location:
        _outline(group, index)


def _outline(group: ir.Operation, index: int) -> None:
    body = group.regions[0].blocks[0]
    members = [op.operation for op in body.operations]
    inside = _ops_under(members)
    external = _external_values(inside)
    arguments = [v for v in external if not _clonable(v)]
    yielded = list(members[-1].operands)
    parent = _enclosing_function(group)
    with ir.InsertionPoint(parent):
        fn = func.FuncOp(
            f"{PREFIX}{index}",
            ([a.type for a in arguments], [v.type for v in yielded]),
            visibility="private",
        )
    entry = fn.add_entry_block()
    with ir.InsertionPoint(entry):
        ret = func.ReturnOp(yielded)
    mapping = dict(zip(arguments, entry.arguments, strict=True))
    for value in external:
        if value not in mapping:
            clone = value.owner.operation.clone(ip=ir.InsertionPoint(ret))
            mapping[value] = clone.results[0]
    for op in members[:-1]:
        op.move_before(ret)
    for op in inside:
        for i, operand in enumerate(op.operands):
            if operand in mapping:
                op.operands[i] = mapping[operand]
    with ir.InsertionPoint(group):
        call = func.CallOp(fn, arguments)
    for result, value in zip(group.results, call.results, strict=True):
        result.replace_all_uses_with(value)
    group.erase()


def inline_group_calls(module: ir.Operation) -> None:
    """Moves each outlined group back in place of its call; erases the functions."""
    functions = {
        ir.StringAttr(op.attributes["sym_name"]).value: op
        for op in module.regions[0].blocks[0].operations
        if op.operation.name == "func.func"
        and ir.StringAttr(op.attributes["sym_name"]).value.startswith(PREFIX)
    }
    for call in collect_ops(module, ["func.call"]):
        name = ir.FlatSymbolRefAttr(call.attributes["callee"]).value
        fn = functions.get(name)
        if fn is None:
            continue
        entry = fn.regions[0].blocks[0]
        for argument, operand in zip(entry.arguments, call.operands, strict=True):
            argument.replace_all_uses_with(operand)
        splice_before(entry, call)
    for fn in functions.values():
        fn.operation.erase()


def _ops_under(roots: list[ir.Operation]) -> list[ir.Operation]:
    """``roots`` and every op nested in them."""
    found = []
    for root in roots:
        found.extend(collect_ops(root))
    return found


def _external_values(ops: list[ir.Operation]) -> list[ir.Value]:
    """Operands of ``ops`` defined outside them, in first-use order."""
    defined = set()
    for op in ops:
        defined.update(op.results)
        for region in op.regions:
            for block in region.blocks:
                defined.update(block.arguments)
    seen: dict[ir.Value, None] = {}
    for op in ops:
        for operand in op.operands:
            if operand not in defined:
                seen.setdefault(operand)
    return list(seen)


def _clonable(value: ir.Value) -> bool:
    owner = value.owner
    if isinstance(owner, ir.Block):
        return False
    return owner.operation.name in CLONED and not owner.operation.operands


def _enclosing_function(op: ir.Operation) -> ir.Operation:
    parent = op.parent
    while parent.operation.name != "func.func":
        parent = parent.parent
    return parent.operation
