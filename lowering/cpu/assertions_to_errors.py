"""kiln-assertions-to-errors: a failed runtime check raises a Python error instead of aborting.

``cf.assert`` (torch-mlir's shape and value checks) lowers to a call to
``abort``: one bad input would kill the user's process. Each assertion
becomes a store of 1 into its slot of the global ``__kiln_errors`` when its
condition is false; ``__kiln_errors_read(out)`` copies the flags out and
clears them. The runtime checks them after every call and raises
``kiln.KilnError`` with the messages (listed, in slot order, in the module
attribute ``kiln.assertions``), so no result of a failed call is returned.

Pre: the ``loops`` stage's output.
Post: no ``cf.assert`` remains; the flags global, its reader and the
attribute exist if there were any.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, register

from kiln.errors import user_location
from kiln.ir import arith, func, ir, memref, scf

FLAGS = "__kiln_errors"
READ_FUNCTION = "__kiln_errors_read"
MESSAGES_ATTR = "kiln.assertions"


@register
class AssertionsToErrors(KilnPass):
    """Turn cf.assert into error flags the runtime reports as exceptions."""

    name = "kiln-assertions-to-errors"

    def run(self, module: ir.Operation) -> None:
        asserts = collect_ops(module, ["cf.assert"])
        if not asserts:
            return
        i32 = ir.IntegerType.get_signless(32)
        body = module.regions[0].blocks[0]
        with ir.Location.unknown():
            flags_type = ir.MemRefType.get([len(asserts)], i32)
            zeros = ir.DenseElementsAttr.get_splat(
                ir.RankedTensorType.get([len(asserts)], i32), ir.IntegerAttr.get(i32, 0)
            )
        with ir.InsertionPoint.at_block_begin(body), ir.Location.unknown():
            memref.GlobalOp(
                sym_name=FLAGS, type_=flags_type, sym_visibility="private", initial_value=zeros
            )
        messages = []
        for index, op in enumerate(asserts):
            message = ir.StringAttr(op.attributes["msg"]).value
            messages.append(f"{message} (at {user_location(op.location)})")
            with ir.InsertionPoint(op), op.location:
                failed = arith.xori(
                    op.operands[0], arith.constant(ir.IntegerType.get_signless(1), 1)
                )
                branch = scf.IfOp(failed)
                with ir.InsertionPoint(branch.then_block):
                    flags = memref.get_global(flags_type, FLAGS)
                    memref.store(
                        arith.constant(i32, 1), flags, [arith.constant(ir.IndexType.get(), index)]
                    )
                    scf.YieldOp([])
            op.erase()
        with ir.InsertionPoint(body), ir.Location.unknown():
            reader = func.FuncOp(READ_FUNCTION, ir.FunctionType.get([flags_type], []))
            block = reader.add_entry_block()
            with ir.InsertionPoint(block):
                flags = memref.get_global(flags_type, FLAGS)
                memref.copy(flags, block.arguments[0])
                zero = arith.constant(i32, 0)
                for index in range(len(asserts)):
                    memref.store(zero, flags, [arith.constant(ir.IndexType.get(), index)])
                func.ReturnOp([])
        module.attributes[MESSAGES_ATTR] = ir.ArrayAttr.get(
            [ir.StringAttr.get(m) for m in messages]
        )
