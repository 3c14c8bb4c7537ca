"""Splitting an LLVM-dialect module into parts that engines compile at once, one per core.

LLVM optimizes and generates code for a module on one thread. kiln's
modules are mostly outlined loop nests (``kiln-outline-loop-nests``), which
are independent of each other: moved into modules of their own they compile
on all cores at once.

``split_module`` deals the nests out to a number of new modules, largest
first to the smallest module so far. A moved function becomes external
there and a declaration of it stays behind; the caller compiles the new
modules at once, then the rest of the module with those declarations bound
to the addresses the new modules' engines give. What a moved function
refers to is cloned with it: function declarations and constant globals
(defined or external). A nest that refers to anything else (a mutable
global, another function's body) stays, so no state is ever duplicated.

Pre: an LLVM-dialect module (the ``llvm`` stage's output).
Post: ``module`` and the returned modules together define every function
``module`` defined, once; each moved function is declared in ``module``.
"""

from __future__ import annotations

from kiln.ir import ir
from kiln.lowering.cpu.outline_loop_nests import PREFIX

# Below this many ops a module compiles in well under a second: one engine.
MIN_SPLIT_OPS = 4000
# Module-level ops without state that a moved function may refer to; cloned.
STATELESS_SYMBOLS = ("omp.declare_reduction", "omp.private")


def split_module(module: ir.Module, parts: int = 2) -> list[tuple[ir.Module, list[str]]]:
    """Moves ``module``'s nests into ``parts`` new modules of about equal size.

    Returns each new module with the names of the functions moved into it;
    [] when the module is too small or has nothing that can move. What
    stays in ``module`` (the entry points, nests that cannot move) is meant
    to be compiled last, once the moved functions have addresses.
    """
    body = module.body
    symbols = {_symbol_name(op.operation): op.operation for op in body.operations}
    symbols.pop(None, None)
    total, candidates = 0, []
    for op in [o.operation for o in body.operations]:
        size, refs = _size_and_references(op)
        total += size
        name = _symbol_name(op)
        if (
            op.name == "llvm.func"
            and name is not None
            and name.startswith(PREFIX)
            and op.regions[0].blocks
            and all(_clonable(symbols.get(ref)) for ref in refs - {name})
        ):
            candidates.append((size, name, op, refs - {name}))
    if total < MIN_SPLIT_OPS or len(candidates) < parts:
        return []
    bins: list[list] = [[] for _ in range(parts)]
    sizes = [0] * parts
    for size, name, op, refs in sorted(candidates, key=lambda c: -c[0]):
        lightest = sizes.index(min(sizes))
        bins[lightest].append((name, op, refs))
        sizes[lightest] += size
    return [(_move(module, symbols, chosen), [name for name, _, _ in chosen]) for chosen in bins]


def _move(module: ir.Module, symbols: dict, chosen: list) -> ir.Module:
    context = module.context
    side = ir.Module.create(ir.Location.unknown(context))
    for name in module.operation.attributes:
        side.operation.attributes[name] = module.operation.attributes[name]
    needed = sorted({ref for _, _, refs in chosen for ref in refs})
    with ir.InsertionPoint(side.body):
        for ref in needed:
            symbols[ref].clone()
    external = ir.Attribute.parse("#llvm.linkage<external>", context)
    for name, op, _ in chosen:
        with ir.InsertionPoint(op), op.location:
            ir.Operation.create(
                "llvm.func",
                attributes={
                    "sym_name": ir.StringAttr.get(name),
                    "function_type": op.attributes["function_type"],
                    "linkage": external,
                },
                regions=1,
            )
        side.body.append(op)
        op.attributes["linkage"] = external
    return side


def _symbol_name(op: ir.Operation) -> str | None:
    return ir.StringAttr(op.attributes["sym_name"]).value if "sym_name" in op.attributes else None


def _clonable(op: ir.Operation | None) -> bool:
    """True for what a moved function may refer to: declarations and constants."""
    if op is None:
        return False
    if op.name == "llvm.func":
        return not op.regions[0].blocks
    if op.name == "llvm.mlir.global":
        return "constant" in op.attributes
    return op.name in STATELESS_SYMBOLS


def _size_and_references(root: ir.Operation) -> tuple[int, set[str]]:
    """The number of ops under ``root`` and the symbols they refer to."""
    refs: set[str] = set()
    count = [0]

    def visit(op):
        count[0] += 1
        attrs = op.attributes
        for key in attrs:
            _add_symbols(attrs[key], refs)
        return ir.WalkResult.ADVANCE

    root.walk(visit)
    return count[0], refs


def _add_symbols(attr: ir.Attribute, refs: set[str]) -> None:
    if isinstance(attr, ir.FlatSymbolRefAttr):
        refs.add(attr.value)
    elif isinstance(attr, ir.SymbolRefAttr):  # @root::@nested...: the module-level symbol
        refs.add(attr.value[0])
    elif isinstance(attr, ir.ArrayAttr):
        for item in attr:
            _add_symbols(item, refs)
