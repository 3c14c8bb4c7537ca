"""kiln-readonly-arguments: bufferization never writes into an entry point's inputs.

The caller owns the memory behind an entry point's tensor arguments. One-shot
bufferization treats function arguments as writable by default, so an op
that updates a tensor in place (``tensor.insert_slice`` of a slice_scatter,
a matmul accumulating into an argument passed as ``outs``, the LU
factorization behind ``torch.det``) would write into the caller's buffer.
Marked ``bufferization.writable = false``, such an argument is copied
first, and only where it is written: arguments that are only read
bufferize exactly as before, without a copy.

Pre: tensors, before one-shot-bufferize.
Post: every tensor argument of every public ``func.func`` with a body has
``bufferization.writable = false``; private functions (called from entry
points, whose writes one-shot bufferization's analysis traces to the
caller's operands) are left alone.
"""

from __future__ import annotations

from kiln.passes.common import entry_functions
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir

WRITABLE = "bufferization.writable"


@register
class ReadonlyArguments(KilnPass):
    """Mark the tensor arguments of entry points as not writable by bufferization."""

    name = "kiln-readonly-arguments"

    def run(self, module: ir.Operation) -> None:
        for func in entry_functions(module):
            _mark_readonly(func)


def _mark_readonly(func: ir.Operation) -> None:
    """Sets ``bufferization.writable = false`` on each tensor argument of ``func``."""
    arguments = func.regions[0].blocks[0].arguments
    old = _argument_attributes(func, len(arguments))
    new = []
    for argument, attrs in zip(arguments, old, strict=True):
        if isinstance(argument.type, ir.RankedTensorType | ir.UnrankedTensorType):
            entries = {named.name: named.attr for named in attrs}
            entries[WRITABLE] = ir.BoolAttr.get(False)
            attrs = ir.DictAttr.get(entries)
        new.append(attrs)
    func.attributes["arg_attrs"] = ir.ArrayAttr.get(new)


def _argument_attributes(func: ir.Operation, count: int) -> list[ir.DictAttr]:
    """The per-argument attribute dictionaries of ``func`` (empty ones when it has none)."""
    if "arg_attrs" not in func.attributes:
        return [ir.DictAttr.get({}) for _ in range(count)]
    return [ir.DictAttr(attr) for attr in ir.ArrayAttr(func.attributes["arg_attrs"])]
