"""Carving smaller functions out of an entry function, for op bisection and reduced tests.

The ops are the top-level ops of the entry function's body, named by their
index. ``carve`` keeps a set of them and returns chosen values: a tensor
operand of a kept op that a dropped op defines becomes a new function
argument; values a kept op uses inside its regions, and scalars, keep their
defining ops. Constants and what is computed from constants alone (fills,
broadcast biases) always come along: kiln folds and packs them at compile
time, so cutting them would change what is compiled.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiln.ir import func, ir

TORCH_DTYPES_ATTR = "kiln.torch_dtypes"  # kiln.frontend.torch_import's table (no torch import)


@dataclass(frozen=True)
class Carved:
    """What ``carve`` made: which original arguments remain (by index), in order, and how
    many new arguments (cut values) follow them."""

    kept_arguments: tuple[int, ...]
    new_arguments: int


class Body:
    """The entry function's top-level ops (without ``func.return``) and their indices."""

    def __init__(self, module: ir.Module):
        self.function = entry_function(module)
        self.block = self.function.regions[0].blocks[0]
        self.ops = [op.operation for op in self.block.operations][:-1]
        self._index = {op: i for i, op in enumerate(self.ops)}  # ops hash by identity

    def index(self, op) -> int | None:
        """The index of ``op`` if it is a top-level op."""
        return self._index.get(op.operation)

    def top_index(self, op) -> int | None:
        """The index of the top-level op that is or contains ``op`` (None: the return)."""
        op = op.operation
        while op is not None and op.name != "func.func":
            index = self.index(op)
            if index is not None:
                return index
            op = op.parent
        return None

    def definer(self, value: ir.Value) -> int | None:
        """The index of the top-level op defining ``value`` (None for arguments)."""
        owner = value.owner
        return None if isinstance(owner, ir.Block) else self.index(owner)

    def used_definers(self, i: int) -> set[int]:
        """Indices of the top-level ops defining a value op ``i`` uses (operands or inside)."""
        found: set[int] = set()

        def visit(inner):
            for value in inner.operands:
                d = self.definer(value)
                if d is not None and d != i:
                    found.add(d)
            return ir.WalkResult.ADVANCE

        self.ops[i].walk(visit)
        return found

    def uses_arguments(self, i: int) -> bool:
        """True if op ``i`` or an op inside it uses an argument of the function."""
        args = set(self.block.arguments)
        found = []

        def visit(inner):
            if any(v in args for v in inner.operands):
                found.append(inner)
                return ir.WalkResult.INTERRUPT
            return ir.WalkResult.ADVANCE

        self.ops[i].walk(visit)
        return bool(found)

    def constant_derived(self) -> set[int]:
        """Ops whose every input is constant-derived: constants, ``tensor.empty``, fills
        and broadcasts of those (no function argument reaches them)."""
        derived: set[int] = set()
        for i in range(len(self.ops)):
            if not self.uses_arguments(i) and self.used_definers(i) <= derived:
                derived.add(i)
        return derived


def entry_function(module: ir.Module) -> ir.Operation:
    """The module's one public ``func.func`` with a body."""
    funcs = [
        op.operation
        for op in module.body.operations
        if op.operation.name == "func.func"
        and "sym_visibility" not in op.operation.attributes
        and op.operation.regions[0].blocks
    ]
    if len(funcs) != 1:
        raise ValueError(f"kiln.debug needs one public function, found {len(funcs)}")
    return funcs[0]


def computing_ops(module: ir.Module) -> list[int]:
    """Indices of the ops worth bisecting: those computing a tensor from the inputs."""
    body = Body(module)
    derived = body.constant_derived()
    return [
        i
        for i, op in enumerate(body.ops)
        if i not in derived and any(isinstance(r.type, ir.RankedTensorType) for r in op.results)
    ]


def frontier(module: ir.Module, keep: set[int]) -> list[tuple[int, int]]:
    """(op, result) of every tensor that a kept computing op defines and no kept op uses."""
    body = Body(module)
    computing = set(computing_ops(module))
    found = []
    for i in sorted(keep & computing):
        for r, value in enumerate(body.ops[i].results):
            if not isinstance(value.type, ir.RankedTensorType):
                continue
            if not {body.top_index(use.owner) for use in value.uses} & keep:
                found.append((i, r))
    return found


def backward_slice(module: ir.Module, index: int) -> set[int]:
    """``index`` and every op it transitively depends on."""
    body = Body(module)
    keep, todo = set(), [index]
    while todo:
        i = todo.pop()
        if i not in keep:
            keep.add(i)
            todo += list(body.used_definers(i) - keep)
    return keep


def carve(module: ir.Module, keep: set[int], results: list[tuple[int, int]]) -> Carved:
    """Rewrites the entry function (in place) to compute ``results`` with the ops ``keep``.

    Post: the function returns exactly ``results`` ((op, result) pairs, in order);
    unused original arguments are removed; the module no longer carries the
    torch dtype table (its counts would be wrong).
    """
    body = Body(module)
    block = body.block
    keep = _close(body, set(keep))
    n_original = len(block.arguments)
    cut: dict[ir.Value, ir.Value] = {}  # a dropped op's value -> the argument replacing it
    for i in sorted(keep):
        for value in list(body.ops[i].operands):
            d = body.definer(value)
            if d is None or d in keep:
                continue
            if value not in cut:
                cut[value] = block.add_argument(value.type, value.location)
            body.ops[i].replace_uses_of_with(value, cut[value])
    values = [body.ops[i].results[r] for i, r in results]
    old_return = block.operations[len(block.operations) - 1].operation
    with ir.InsertionPoint(old_return), old_return.location:
        func.ReturnOp(values)
    old_return.erase()
    for i in reversed(range(len(body.ops))):
        if i not in keep:
            body.ops[i].erase()
    kept_args = []
    for a in reversed(range(n_original)):
        if list(block.arguments[a].uses):
            kept_args.append(a)
        else:
            block.erase_argument(a)
    _set_function_type(body.function, block, values)
    if TORCH_DTYPES_ATTR in module.operation.attributes:
        del module.operation.attributes[TORCH_DTYPES_ATTR]
    return Carved(tuple(reversed(kept_args)), len(cut))


def _set_function_type(fn: ir.Operation, block: ir.Block, values: list[ir.Value]) -> None:
    with fn.context:
        ftype = ir.FunctionType.get([a.type for a in block.arguments], [v.type for v in values])
        fn.attributes["function_type"] = ir.TypeAttr.get(ftype)
    for stale in ("arg_attrs", "res_attrs"):
        if stale in fn.attributes:
            del fn.attributes[stale]


def _close(body: Body, keep: set[int]) -> set[int]:
    """``keep`` plus what its ops cannot do without: the definers of constant-derived
    values, of values used inside regions and of non-tensor operands. Only tensor
    operands computed from the inputs may be cut."""
    derived = body.constant_derived()
    todo = list(keep)
    while todo:
        i = todo.pop()
        cuttable = {
            body.definer(v) for v in body.ops[i].operands if isinstance(v.type, ir.RankedTensorType)
        }
        scalar = {
            body.definer(v)
            for v in body.ops[i].operands
            if not isinstance(v.type, ir.RankedTensorType)
        }
        for d in body.used_definers(i) - keep:
            if d in derived or d not in cuttable or d in scalar:
                keep.add(d)
                todo.append(d)
    return keep
