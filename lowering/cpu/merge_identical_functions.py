"""kiln-merge-identical-functions: private functions with the same body become one.

The repeated layers of a model (ResNet-18's blocks, a transformer's layers)
give ``kiln-outline-loop-nests`` many nests that differ only in the buffers
they are passed. Each is compiled by LLVM separately unless they are merged:
ResNet-18's 110 nests are 53 distinct functions, and the JIT's time follows.

Two private ``func.func`` ops are identical when their generic forms match
with the symbol name left out (same type, attributes, argument attributes
and body, op for op). Calls to a duplicate are redirected to the first of its
kind, and the duplicate is erased. Locations are not compared: the merged
function keeps the first one's.

    func.func private @a(%x: memref<4xf32>) {B}      func.func private @a(%x: memref<4xf32>) {B}
    func.func private @b(%x: memref<4xf32>) {B}  ->  call @a(%p) ; call @a(%q)
    call @a(%p) ; call @b(%q)

Pre: any module of ``func.func`` ops called by ``func.call``.
Post: no two private functions with bodies are identical; every call names
a function that exists and computes what it did.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir


@register
class MergeIdenticalFunctions(KilnPass):
    """Merge private functions whose bodies are identical; calls go to the one kept."""

    name = "kiln-merge-identical-functions"

    def run(self, module: ir.Operation) -> None:
        kept: dict[str, str] = {}  # function text without its name -> name kept
        replaced: dict[str, str] = {}  # duplicate's name -> name kept
        duplicates = []
        for op in [o.operation for o in module.regions[0].blocks[0].operations]:
            if op.name != "func.func" or not _private_with_body(op):
                continue
            name = ir.StringAttr(op.attributes["sym_name"]).value
            key = _text_without_name(op, name)
            if key in kept:
                replaced[name] = kept[key]
                duplicates.append(op)
            else:
                kept[key] = name
        if not replaced:
            return
        for call in collect_ops(module, ("func.call",)):
            callee = ir.FlatSymbolRefAttr(call.attributes["callee"]).value
            if callee in replaced:
                call.attributes["callee"] = ir.FlatSymbolRefAttr.get(replaced[callee])
        for op in duplicates:
            op.erase()


def _private_with_body(op: ir.Operation) -> bool:
    visibility = op.attributes["sym_visibility"] if "sym_visibility" in op.attributes else None
    return (
        visibility is not None
        and ir.StringAttr(visibility).value == "private"
        and bool(op.regions[0].blocks)
    )


def _text_without_name(op: ir.Operation, name: str) -> str:
    text = op.get_asm(print_generic_op_form=True, assume_verified=True, use_local_scope=True)
    return text.replace(f'sym_name = "{name}"', "", 1)
