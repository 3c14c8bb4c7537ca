"""kiln-static-buffers: an entry point's temporary buffers become module globals.

A ``memref.alloc`` of static shape in the body of an entry function would be
a ``malloc`` and a ``free`` on every call; for the large activations of a
CNN, each call would also page-fault the freshly mapped memory. This pass
gives each such buffer a private, uninitialized ``memref.global`` instead:
allocated once, when the code is loaded, and reused by every call.

Calls of one compiled function therefore share these buffers: the runtime
serializes calls of a compiled model (``CompiledModel`` holds a lock).

Pre: bufferized IR before ``buffer-deallocation-pipeline`` (allocations have
no deallocations yet). Entry functions are the public ones.
Post: no ``memref.alloc`` of static shape and identity layout remains directly
in a public function's body block; each became a ``memref.get_global``.
"""

from __future__ import annotations

from kiln.passes.common import entry_functions
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir, memref


@register
class StaticBuffers(KilnPass):
    """Replace static-shape allocations in entry functions by module-level buffers."""

    name = "kiln-static-buffers"

    def run(self, module: ir.Operation) -> None:
        body = module.regions[0].blocks[0]
        count = 0
        for func in entry_functions(module):
            for op in [o.operation for o in func.regions[0].blocks[0].operations]:
                if op.name != "memref.alloc" or op.operands:
                    continue
                ty = ir.MemRefType(op.results[0].type)
                if not ty.has_static_shape or not _identity(ty):
                    continue
                name = f"__kiln_buffer_{count}"
                count += 1
                with ir.InsertionPoint.at_block_begin(body), op.location:
                    memref.GlobalOp(
                        sym_name=name,
                        type_=ty,
                        sym_visibility="private",
                        initial_value=ir.UnitAttr.get(),
                        alignment=64,
                    )
                with ir.InsertionPoint(op), op.location:
                    buffer = memref.get_global(ty, name)
                op.results[0].replace_all_uses_with(buffer)
                op.erase()


def _identity(ty: ir.MemRefType) -> bool:
    layout = ty.layout
    return isinstance(layout, ir.AffineMapAttr) and layout.value == ir.AffineMap.get_identity(
        ty.rank
    )
