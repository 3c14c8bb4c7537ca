"""kiln-while-carried-buffers: ``scf.while`` loops carry their tensors in one buffer each.

One-shot bufferization needs each tensor a ``scf.while`` carries to stay in one
buffer: ``scf.condition``'s argument #i must be equivalent to the before
block's argument #i, and the after block's ``scf.yield`` operand #i to it too.
torch-mlir's while loops (``torch.while_loop``) break both: the loop condition
is carried as the before block's argument #0, shifting every tensor by one
(``Condition arg #0 is not equivalent to the corresponding iter bbArg``), and
the body yields fresh tensors (``Yield operand #0 is not equivalent``). So:

1. the before block's arguments are reordered so that those ``scf.condition``
   forwards come first, in its order (the loop's operands and the after block's
   yield follow);
2. each tensor the after block yields is written into the buffer of the after
   block's matching argument (``bufferization.materialize_in_destination``: a
   copy per iteration, which the analysis places in place as the old value is
   no longer read).

    scf.while (%c = %t, %x = %x0) { scf.condition(%c) %x } do { ^bb0(%a): ... yield %c2, %y }
      ->  scf.while (%x = %x0, %c = %t) { scf.condition(%c) %x }
          do { ^bb0(%a): ... %m = materialize_in_destination %y in %a ; yield %m, %c2 }

Pre: tensors, before ``one-shot-bufferize`` (after ``eliminate-empty-tensors``,
which would otherwise compute the body into the carried buffer while reading it).
Post: in every ``scf.while`` whose condition forwards before-block arguments,
condition argument #i is before argument #i, and each yielded tensor #i is a
``materialize_in_destination`` into after argument #i (or that argument itself).
Loops whose condition computes new values are left as they are.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, register

from kiln.ir import bufferization, ir, scf


@register
class WhileCarriedBuffers(KilnPass):
    """Align scf.while's carried tensors so that each bufferizes into one buffer."""

    name = "kiln-while-carried-buffers"

    def run(self, module: ir.Operation) -> None:
        for loop in collect_ops(module, ["scf.while"]):
            order = _forwarded_order(loop)
            if order is None:
                continue
            if order != list(range(len(order))):
                loop = _reorder(loop, order)
            _materialize_yields(loop)


def _blocks(loop: ir.Operation) -> tuple[ir.Block, ir.Block]:
    return loop.regions[0].blocks[0], loop.regions[1].blocks[0]


def _terminator(block: ir.Block) -> ir.Operation:
    return list(block.operations)[-1].operation


def _forwarded_order(loop: ir.Operation) -> list[int] | None:
    """The before arguments' new order (the ones scf.condition forwards first, in its
    order), or None when the condition passes on anything but distinct before arguments."""
    before, _ = _blocks(loop)
    arguments = list(before.arguments)
    forwarded = []
    for value in list(_terminator(before).operands)[1:]:
        if value not in arguments or arguments.index(value) in forwarded:
            return None
        forwarded.append(arguments.index(value))
    return forwarded + [i for i in range(len(arguments)) if i not in forwarded]


def _reorder(loop: ir.Operation, order: list[int]) -> ir.Operation:
    """A new scf.while whose operands and before arguments are ``order``-permuted."""
    old_before, old_after = _blocks(loop)
    inits = list(loop.operands)
    with ir.InsertionPoint(loop), loop.location:
        new = scf.WhileOp([r.type for r in loop.results], [inits[i] for i in order])
        before = new.before.blocks.append(*[inits[i].type for i in order])
        after = new.after.blocks.append(*[a.type for a in old_after.arguments])
    for position, old in enumerate(order):
        old_before.arguments[old].replace_all_uses_with(before.arguments[position])
    for old_arg, new_arg in zip(old_after.arguments, after.arguments, strict=True):
        old_arg.replace_all_uses_with(new_arg)
    _move_ops(old_before, before)
    _move_ops(old_after, after)
    yield_ = _terminator(after)
    yielded = list(yield_.operands)
    for position, old in enumerate(order):
        yield_.operands[position] = yielded[old]
    for old_result, new_result in zip(loop.results, new.results, strict=True):
        old_result.replace_all_uses_with(new_result)
    loop.erase()
    return new.operation


def _move_ops(source: ir.Block, target: ir.Block) -> None:
    for op in [op.operation for op in source.operations]:
        target.append(op)


def _materialize_yields(loop: ir.Operation) -> None:
    """Each yielded tensor #i (not already after argument #i) written into argument #i."""
    _, after = _blocks(loop)
    yield_ = _terminator(after)
    carried = min(len(after.arguments), len(yield_.operands))
    for i in range(carried):
        value, destination = yield_.operands[i], after.arguments[i]
        if not isinstance(value.type, ir.RankedTensorType) or value == destination:
            continue
        if value.type != destination.type:
            continue
        with ir.InsertionPoint(yield_), yield_.location:
            written = bufferization.MaterializeInDestinationOp(value.type, value, destination)
        yield_.operands[i] = written.result
