"""kiln-gpu-tensormap-args: kernels take TMA descriptors as plain pointers.

A kernel outlined from a launch that uses ``nvgpu.tma.create.descriptor``
values takes ``!nvgpu.tensormap.descriptor`` arguments, a type
``convert-gpu-to-nvvm`` cannot put in a kernel signature. Such an argument
becomes ``!llvm.ptr`` (what the descriptor lowers to: the device address of
the encoded ``CUtensorMap``), cast back to the descriptor type at the top of
the kernel; ``convert-nvgpu-to-nvvm`` and ``reconcile-unrealized-casts``
remove the casts. The host side keeps its descriptor values (the launch plan
reads them) and passes them through the same cast (``gpu.launch_func``
checks its operand types against the kernel's).

Device functions (``gpu.func`` without ``kernel``) keep their descriptor
arguments: their callers pass descriptors, and ``convert-nvgpu-to-nvvm``
converts those signatures itself.

Pre: outlined ``gpu.func`` kernels. Post: no kernel argument and no
``gpu.launch_func`` operand has a ``!nvgpu.tensormap.descriptor`` type;
device functions are unchanged.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir

TENSORMAP_PREFIX = "!nvgpu.tensormap.descriptor"
KERNEL_ATTR = "kernel"  # the unit attribute `gpu.func ... kernel` sets


@register
class GpuTensormapArgs(KilnPass):
    """Kernel arguments of TMA descriptor type become !llvm.ptr plus a cast inside."""

    name = "kiln-gpu-tensormap-args"

    def run(self, module: ir.Operation) -> None:
        ptr = ir.Type.parse("!llvm.ptr", module.context)
        for launch in collect_ops(module, ["gpu.launch_func"]):
            for index, operand in enumerate(launch.operands):
                if str(operand.type).startswith(TENSORMAP_PREFIX):
                    with ir.InsertionPoint(launch), launch.location:
                        cast = _cast(operand, ptr)
                    launch.operands[index] = cast.results[0]
        for func in collect_ops(module, ["gpu.func"]):
            if KERNEL_ATTR in func.attributes:
                _pointer_arguments(func, ptr)


def _pointer_arguments(kernel: ir.Operation, ptr: ir.Type) -> None:
    """Descriptor arguments of ``kernel`` become ``ptr``, cast back at its top."""
    body = kernel.regions[0].blocks[0]
    changed = False
    for arg in body.arguments:
        if not str(arg.type).startswith(TENSORMAP_PREFIX):
            continue
        descriptor_type = arg.type
        arg.set_type(ptr)
        with ir.InsertionPoint.at_block_begin(body), kernel.location:
            cast = _cast(arg, descriptor_type)
        for use in list(arg.uses):
            owner = use.owner.operation if isinstance(use.owner, ir.OpView) else use.owner
            if owner != cast:
                owner.operands[use.operand_number] = cast.results[0]
        changed = True
    if changed:
        old = ir.FunctionType(ir.TypeAttr(kernel.attributes["function_type"]).value)
        inputs = [a.type for a in body.arguments]
        new = ir.FunctionType.get(inputs, list(old.results))
        kernel.attributes["function_type"] = ir.TypeAttr.get(new)


def _cast(value: ir.Value, to: ir.Type) -> ir.Operation:
    return ir.Operation.create("builtin.unrealized_conversion_cast", results=[to], operands=[value])
