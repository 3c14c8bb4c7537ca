"""kiln-gpu-mma-sync: the warp-level contractions of tensor-core kernels become ``nvgpu.mma.sync``.

Runs upstream's ``convert-vector-to-gpu{use-nvgpu}`` on each ``gpu.module``
holding a ``vector.contract`` (only tensor-core matmul kernels keep one after
``kiln-gpu-distribute``): each ``16 x 8 x k`` contraction becomes an
``nvgpu.mma.sync``, its operands ``nvgpu.ldmatrix`` (16-bit data in shared
memory) or per-lane loads. Kernels without contractions are left alone: the
conversion would try to take over the vector code of reductions.

bf16: the conversion has no bf16 fragments, but ``ldmatrix`` moves 16-bit
words whatever they hold and ``nvgpu.mma.sync`` does take bf16. So in a
kernel whose contractions read bf16, the shared-memory tiles, the reads from
them and the contractions are typed f16 for the conversion (the copies into
shared memory bitcast their vectors), and the resulting ``mma.sync`` ops get
their A and B fragments bitcast back to bf16: the bits go from global memory
to the tensor cores unchanged and are multiplied as bf16.

The conversion emits f32 ``mma.sync`` without ``tf32Enabled``, which
``convert-nvgpu-to-nvvm`` refuses (f32 tensor cores exist only as TF32);
``kiln-gpu-tile`` sends f32 matmuls to tensor cores only when the target
allows TF32, so those ops get the flag here.

Pre: outlined kernels; accumulators hoisted (``kiln-gpu-hoist-accumulators``).
Post: no ``vector.contract`` result is used in any ``gpu.module`` (the
conversion leaves the dead contractions and their reads to the canonicalizer
that follows in the pipeline); f32 ``nvgpu.mma.sync`` carry ``tf32Enabled``;
bf16 kernels' ``mma.sync`` multiply bf16. A bf16 tile read other than by
vector transfers is an error at the reading op. A 2-D contraction (the kind the
conversion takes) that is no single ``16 x 8 x k`` warp tile (k a multiple of 4 for f32, of 8 for 16-bit types: the
shapes ``mma.sync`` has), which ``kiln-gpu-distribute`` never leaves but
hand-written IR may hold, is an error at the contraction (the conversion built an
invalid ``mma.sync`` from a 3 x 8 one: an internal error, found by the fuzzer).
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, element_type
from kiln.passes.registry import KilnPass, PassFailure, register

from kiln.ir import PassManager, arith, ir

CONVERSION = "gpu.module(gpu.func(convert-vector-to-gpu{use-nvgpu=true}))"
TF32_ATTR = "tf32Enabled"


@register
class GpuMmaSync(KilnPass):
    """convert-vector-to-gpu (nvgpu) on the kernels with contractions; f32 mma.sync as TF32."""

    name = "kiln-gpu-mma-sync"

    def run(self, module: ir.Operation) -> None:
        for gpu_module in collect_ops(module, ["gpu.module"]):
            contracts = collect_ops(gpu_module, ["vector.contract"])
            if not contracts:
                continue
            unfit = [(c.location, why) for c in contracts if (why := _unfit_reason(c))]
            if unfit:
                raise PassFailure(unfit)
            bf16 = any(str(element_type(c.operands[0])) == "bf16" for c in contracts)
            if bf16:
                _pun_bf16_as_f16(gpu_module)
            PassManager.parse(CONVERSION, module.context).run(gpu_module)
            if bf16:
                for mma in collect_ops(gpu_module, ["nvgpu.mma.sync"]):
                    _operands_as_bf16(mma)
        for op in collect_ops(module, ["nvgpu.mma.sync"]):
            if str(ir.VectorType(op.operands[0].type).element_type) == "f32":
                op.attributes[TF32_ATTR] = ir.UnitAttr.get()


# mma.sync's warp tile: M x N, and the k step per element width (bits).
TILE_M, TILE_N = 16, 8
K_MULTIPLE = {32: 4, 16: 8}


def _unfit_reason(contract: ir.Operation) -> str | None:
    """Why ``contract`` is no single mma.sync warp tile, or None if it is one."""
    lhs, acc = (_vector_shape(contract.operands[i].type) for i in (0, 2))
    if len(lhs) != 2 or len(acc) != 2:
        return None  # no matmul (a dot product into a scalar): the conversion leaves it
    m, n = acc
    k = m and (lhs[0] * lhs[1]) // m
    element = ir.ShapedType(contract.operands[0].type).element_type
    step = K_MULTIPLE.get(element.width if hasattr(element, "width") else 0, 1)
    if (m, n) == (TILE_M, TILE_N) and k and k % step == 0:
        return None  # (other element types than f32 and 16-bit: the conversion's own checks)
    return (
        f"{GpuMmaSync.name}: a tensor-core contraction must be one {TILE_M} x {TILE_N} x k "
        f"warp tile (k a multiple of {step}), got {element} operands "
        f"{'x'.join(map(str, lhs))} into {'x'.join(map(str, acc))}"
    )


def _vector_shape(ty: ir.Type) -> list[int]:
    """The shape of a vector type; [] for a scalar (a contraction's accumulator may be one)."""
    try:
        return list(ir.VectorType(ty).shape)
    except ValueError:
        return []


def _with_f16(ty: ir.Type) -> ir.Type:
    """``ty`` (a bf16 memref or vector type) with f16 elements."""
    return ir.Type.parse(str(ty).replace("bf16", "f16"), ty.context)


def _pun_bf16_as_f16(gpu_module: ir.Operation) -> None:
    """bf16 shared-memory tiles and the contractions reading them, typed f16 (see docstring)."""
    for glob in collect_ops(gpu_module, ["memref.global"]):
        ty = ir.TypeAttr(glob.attributes["type"]).value
        if "bf16" in str(ty):
            glob.attributes["type"] = ir.TypeAttr.get(_with_f16(ty))
    pending = [
        op.results[0]
        for op in collect_ops(gpu_module, ["memref.get_global"])
        if str(element_type(op.results[0])) == "bf16"
    ]
    while pending:
        value = pending.pop()
        value.set_type(_with_f16(value.type))
        for use in list(value.uses):
            user = use.owner.operation if isinstance(use.owner, ir.OpView) else use.owner
            if user.name == "memref.subview":
                pending.append(user.results[0])
            elif user.name == "vector.transfer_read":
                user.results[0].set_type(_with_f16(user.results[0].type))
                pad_index = 1 + len(ir.ShapedType(value.type).shape)  # after source, indices
                with ir.InsertionPoint(user), user.location:
                    f16 = ir.F16Type.get()
                    pad = arith.ConstantOp(f16, ir.FloatAttr.get(f16, 0.0)).result
                user.operands[pad_index] = pad
            elif user.name == "vector.transfer_write" and use.operand_number == 1:
                with ir.InsertionPoint(user), user.location:
                    cast = arith.BitcastOp(_with_f16(user.operands[0].type), user.operands[0])
                user.operands[0] = cast.result
            else:
                message = f"{GpuMmaSync.name}: cannot retype a bf16 tile used by {user.name}"
                raise PassFailure([(user.location, message)])


def _operands_as_bf16(mma: ir.Operation) -> None:
    """An f16-typed ``nvgpu.mma.sync`` of punned bf16 data multiplies bf16."""
    for index in (0, 1):
        value = mma.operands[index]
        with ir.InsertionPoint(mma), mma.location:
            cast = arith.BitcastOp(
                ir.Type.parse(str(value.type).replace("f16", "bf16"), mma.context), value
            )
        mma.operands[index] = cast.result
