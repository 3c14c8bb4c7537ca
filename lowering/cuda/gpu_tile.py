"""kiln-gpu-tile: tile every linalg op of each function to GPU blocks and threads, on tensors.

Reads each op's shape, picks its schedule (``passes/schedules/gpu_*.py``):
matmul / batch_matmul -> ``gpu_matmul`` (tensor cores when ``chip`` has them
and the types fit: ``mma.sync``, or TMA + ``wgmma`` kernels for f16 matmuls
on ``sm_90a``), ops with reduction loops -> ``gpu_reduction`` (a warp per
row when ``gpu_warp_reduce.is_warp_reducible``), all-parallel
ops -> ``gpu_elementwise``; a ``linalg.fill`` that only initializes a matmul
or reduction is fused into that op's kernel. Builds one transform script for
the module and applies it.

Pre: linalg on tensors with static shapes, one op per future kernel
(elementwise chains fused by ``kiln-fuse-elementwise``).
Post: each function carries ``kiln.num_outputs`` (its result count, for the
runtime once results become out-params); every linalg op is inside a
block-mapped ``scf.forall`` marked ``kiln.gpu.kernel`` and
``kiln.gpu.block_dims``; elementwise and reduction ops are tiled to threads
(vector code where possible: 128-bit accesses only on 16-byte aligned data);
for ``kiln-gpu-distribute``, matmul steps carry ``kiln.gpu.promote`` +
``kiln.gpu.thread_tile`` (SIMT) or ``kiln.gpu.mma``, per-warp row reductions
``kiln.gpu.warp_reduce``. The dead untiled producers are left for
``canonicalize``.
"""

from __future__ import annotations

from kiln.lowering.cuda.gpu_warp_reduce import is_warp_reducible
from kiln.lowering.cuda.schedules.common import GpuSchedule
from kiln.lowering.cuda.schedules.elementwise import ElementwisePlan, schedule_elementwise
from kiln.lowering.cuda.schedules.matmul import (
    WGMMA_CHIP,
    MatmulPlan,
    mma_supported,
    schedule_matmul_mma,
    schedule_matmul_simt,
    schedule_matmul_wgmma,
    wgmma_supported,
)
from kiln.lowering.cuda.schedules.reduction import (
    ReductionPlan,
    schedule_reduction,
    schedule_warp_reduction,
)
from kiln.passes.common import as_affine, collect_ops, is_zero_constant
from kiln.passes.registry import KilnPass, PassFailure, register

from kiln.ir import ir, linalg

TAG_PREFIX = "kiln.gpu.op"
# Each function's result count: its trailing out-params once bufferized (read by the runtime).
NUM_OUTPUTS_ATTR = "kiln.num_outputs"
MATMUL_OPS = {"linalg.matmul": 0, "linalg.batch_matmul": 1}
VECTOR_BODY_DIALECTS = ("arith.", "math.", "linalg.yield")


@register
class GpuTile(KilnPass):
    """Tile linalg ops to GPU blocks and threads with per-op-kind transform schedules."""

    name = "kiln-gpu-tile"
    chip: str = "sm_90"
    tf32: bool = False
    tensor_cores: bool = True

    def validate(self) -> None:
        if not self.chip.startswith("sm_") or not self.chip[3:].rstrip("a").isdigit():
            raise ValueError(f"kiln-gpu-tile: chip must look like sm_90, got '{self.chip}'")

    def run(self, module: ir.Operation) -> None:
        self.validate()
        for fn in collect_ops(module, ["func.func"]):
            n_results = len(
                ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value).results
            )
            fn.attributes[NUM_OUTPUTS_ATTR] = ir.IntegerAttr.get(
                ir.IntegerType.get_signless(64), n_results
            )
        ops = _kernel_ops(module)
        if not ops:
            return
        for i, op in enumerate(ops):
            op.attributes[f"{TAG_PREFIX}{i}"] = ir.UnitAttr.get()
        fused = _fused_fills(ops)
        # wgmma matmul -> the elementwise epilogue (bias, activation, truncation) it applies.
        epilogues = {}
        for op in ops:
            if self._wgmma_eligible(op, fused) and (consumer := _epilogue_of(op)) is not None:
                epilogues[_tag(op)] = _tag(consumer)
        absorbed = set(epilogues.values())
        sched = GpuSchedule(module.context)
        errors = []
        for op in ops:
            try:
                if _tag(op) not in fused and _tag(op) not in absorbed:
                    self._schedule(sched, op, fused, epilogues)
            except ValueError as err:
                errors.append((op.location, f"kiln-gpu-tile: {op.name}: {err}"))
        if errors:
            raise PassFailure(errors)
        sched.apply(module)
        for op in collect_ops(module):
            for attr in [name for name in op.attributes if name.startswith(TAG_PREFIX)]:
                del op.attributes[attr]

    def _schedule(
        self, sched: GpuSchedule, op: ir.Operation, fused: set[str], epilogues: dict[str, str]
    ) -> None:
        tag, sizes, kinds = _tag(op), _loop_sizes(op), _loop_kinds(op)
        init = _owner(op.operands[len(op.operands) - 1])
        fill_tag = _tag(init) if init is not None and _tag(init) in fused else None
        if op.name in MATMUL_OPS and _default_maps(op) and _all_aligned(op):
            plan = _matmul_plan(op, tag, fill_tag, sizes)
            use_mma = self.tensor_cores and _sm(self.chip) >= 80 and mma_supported(plan, self.tf32)
            if self._wgmma_eligible(op, fused):
                schedule_matmul_wgmma(sched, plan, epilogues.get(tag))
            else:
                (schedule_matmul_mma if use_mma else schedule_matmul_simt)(sched, plan)
        elif "reduction" in kinds:  # and matmuls on unaligned slices
            out_rank = len(ir.ShapedType(op.results[0].type).shape)
            warp = is_warp_reducible(op, sizes, kinds, [_dims(m) for m in _maps(op)])
            plan = ReductionPlan(tag, fill_tag, tuple(sizes), tuple(kinds), out_rank, warp)
            (schedule_warp_reduction if warp else schedule_reduction)(sched, plan)
        else:
            contiguous = _contiguous_last(op) and _all_aligned(op)
            plan = ElementwisePlan(tag, tuple(sizes), contiguous, _vectorizable(op))
            schedule_elementwise(sched, plan)

    def _wgmma_eligible(self, op: ir.Operation, fused: set[str]) -> bool:
        """A matmul for ``kiln-gpu-wgmma``: sm_90a, its shape and types, a zero fill, whole inputs."""
        if op.name != "linalg.matmul" or not self.tensor_cores or self.chip != WGMMA_CHIP:
            return False
        if not (_default_maps(op) and _all_aligned(op)):
            return False
        init = _owner(op.operands[len(op.operands) - 1])
        if init is None or _tag(init) not in fused or not _zero_fill(init):
            return False
        plan = _matmul_plan(op, _tag(op), _tag(init), _loop_sizes(op))
        return wgmma_supported(plan) and not any(_is_slice(v) for v in op.operands[:2])


# Body ops a fused wgmma epilogue may hold (scalar elementwise math, applied to vectors there).
EPILOGUE_DIALECTS = ("arith.", "math.")


def _epilogue_of(op: ir.Operation) -> ir.Operation | None:
    """The elementwise op consuming a matmul's result, when the wgmma kernel can apply it.

    It must be the result's only user: a 2-D all-parallel generic writing one
    output with the identity map, reading the result once with the identity
    map and its other inputs with identity, row (``d1``) or column (``d0``)
    maps, its body arith/math ops only (bias, activation, residual, truncation).
    """
    uses = list(op.results[0].uses)
    if len(uses) != 1:
        return None
    user = _owner_of_use(uses[0])
    if user is None or user.name != "linalg.generic" or len(user.results) != 1:
        return None
    if "reduction" in _loop_kinds(user) or len(_maps(user)[0].results) > 2:
        return None
    n_in = len(user.operands) - 1
    dims = [_dims(m) for m in _maps(user)]
    if dims[-1] != [0, 1] or any(d not in ([0, 1], [1], [0]) for d in dims[:n_in]):
        return None
    mine = [i for i in range(n_in) if user.operands[i] == op.results[0]]
    if len(mine) != 1 or dims[mine[0]] != [0, 1]:
        return None
    block = user.regions[0].blocks[0]
    if list(block.arguments[n_in].uses):
        return None  # reads the output's old value
    body = [o.operation for o in block.operations]
    if body[-1].name != "linalg.yield" or not all(
        o.name.startswith(EPILOGUE_DIALECTS) for o in body[:-1]
    ):
        return None
    return user


def _tag(op: ir.Operation) -> str | None:
    return next((name for name in op.attributes if name.startswith(TAG_PREFIX)), None)


def _owner(value: ir.Value) -> ir.Operation | None:
    owner = value.owner
    return owner.operation if isinstance(owner, ir.OpView | ir.Operation) else None


def _zero_fill(op: ir.Operation | None) -> bool:
    """``op`` is a ``linalg.fill`` with the constant 0."""
    return op is not None and op.name == "linalg.fill" and is_zero_constant(op.operands[0])


def _is_slice(value: ir.Value) -> bool:
    owner = _owner(value)
    return owner is not None and owner.name == "tensor.extract_slice"


def _sm(chip: str) -> int:
    return int(chip[3:].rstrip("a"))


def _kernel_ops(module: ir.Operation) -> list[ir.Operation]:
    """Linalg ops directly in a function body: each becomes (part of) a kernel."""
    found = []
    for fn in collect_ops(module, ["func.func"]):
        if not fn.regions[0].blocks:
            continue
        for op in fn.regions[0].blocks[0].operations:
            op = op.operation
            if op.name.startswith("linalg.") and op.results:
                found.append(op)
    dynamic = [op for op in found if any(_is_dynamic(v) for v in [*op.operands, *op.results])]
    if dynamic:
        raise PassFailure(
            [(op.location, f"kiln-gpu-tile: {op.name} has dynamic shapes") for op in dynamic]
        )
    return found


def _is_dynamic(value: ir.Value) -> bool:
    return isinstance(value.type, ir.ShapedType) and not ir.ShapedType(value.type).has_static_shape


def _fused_fills(ops: list[ir.Operation]) -> set[str]:
    """Tags of the fills whose only use is the accumulator of a matmul or reduction."""
    fused = set()
    for op in ops:
        uses = list(op.results[0].uses)
        if op.name != "linalg.fill" or len(uses) != 1:
            continue
        user = uses[0].owner
        user = user.operation if isinstance(user, ir.OpView) else user
        if (
            not isinstance(user, ir.Operation)
            or _tag(user) is None
            or "reduction" not in _loop_kinds(user)
        ):
            continue
        if uses[0].operand_number >= len(user.operands) - len(user.results):
            fused.add(_tag(op))
    return fused


def _maps(op: ir.Operation) -> list[ir.AffineMap]:
    return [ir.AffineMapAttr(m).value for m in linalg.get_indexing_maps(op)]


def _dims(amap: ir.AffineMap) -> list[int | None]:
    """The loop position of each result of ``amap`` (None for a non-dim expression)."""
    dims = []
    for expr in amap.results:
        dim = as_affine(expr, ir.AffineDimExpr)
        dims.append(None if dim is None else dim.position)
    return dims


def _loop_sizes(op: ir.Operation) -> list[int]:
    maps = _maps(op)
    sizes = [1] * maps[0].n_dims
    for value, amap in zip(op.operands, maps, strict=True):
        shape = ir.ShapedType(value.type).shape if isinstance(value.type, ir.ShapedType) else []
        for dim, extent in zip(_dims(amap), shape, strict=False):
            if dim is not None:
                sizes[dim] = extent
    return sizes


def _loop_kinds(op: ir.Operation) -> list[str]:
    """A loop is parallel when an output map uses it, a reduction otherwise."""
    maps = _maps(op)
    used = {d for amap in maps[len(maps) - len(op.results) :] for d in _dims(amap)}
    return ["parallel" if d in used else "reduction" for d in range(maps[0].n_dims)]


def _default_maps(op: ir.Operation) -> bool:
    """A matmul with the default maps (no transposed or broadcast operand)."""
    nb = MATMUL_OPS[op.name]
    batch = list(range(nb))
    m, n, k = nb, nb + 1, nb + 2
    expected = [batch + [m, k], batch + [k, n], batch + [m, n]]
    return [_dims(amap) for amap in _maps(op)] == expected


def _matmul_plan(op, tag, fill_tag, sizes) -> MatmulPlan:
    batch = MATMUL_OPS[op.name]
    m, n, k = sizes[batch : batch + 3]
    elt = str(ir.ShapedType(op.operands[0].type).element_type)
    acc = str(ir.ShapedType(op.operands[2].type).element_type)
    # Rows: K and N multiples of 8 (mma already needs K % 16, N % 8); slices: their offsets.
    lanes = 8 if k % 8 == 0 and n % 8 == 0 and _all_aligned(op, 8) else 4
    return MatmulPlan(tag, fill_tag, batch, m, n, k, elt, acc, lanes)


def _contiguous_last(op: ir.Operation) -> bool:
    """Every operand either walks the last loop as its last dim or does not use it."""
    maps = _maps(op)
    last = maps[0].n_dims - 1
    for dims in map(_dims, maps):
        if None in dims or (last in dims and dims[-1] != last):
            return False
    return True


def _all_aligned(op: ir.Operation, lanes: int = 4) -> bool:
    """Every operand and result starts ``lanes``-aligned in its buffer (128-bit accesses are safe).

    Buffers the runtime or bufferization allocates are; a slice of one is when
    its offset and its buffer's rows are multiples of ``lanes`` elements.
    """
    if not all(_aligned(v, lanes) for v in op.operands):
        return False
    for result in op.results:
        for use in result.uses:
            user = _owner_of_use(use)
            if user is not None and user.name == "tensor.insert_slice" and use.operand_number == 0:
                if not _slice_aligned(user, user.operands[1], lanes):
                    return False
    return True


def _aligned(value: ir.Value, lanes: int) -> bool:
    owner = _owner(value)
    while owner is not None and owner.name in ("tensor.expand_shape", "tensor.collapse_shape"):
        value = owner.operands[0]
        owner = _owner(value)
    if owner is None or owner.name != "tensor.extract_slice":
        return True
    return _slice_aligned(owner, owner.operands[0], lanes) and _aligned(owner.operands[0], lanes)


def _slice_aligned(op: ir.Operation, base: ir.Value, lanes: int) -> bool:
    """A static, unit-stride slice of ``base`` starting at a multiple of ``lanes`` elements."""
    offsets = list(ir.DenseI64ArrayAttr(op.attributes["static_offsets"]))
    strides = list(ir.DenseI64ArrayAttr(op.attributes["static_strides"]))
    if not isinstance(base.type, ir.ShapedType) or any(s != 1 for s in strides):
        return False
    shape = ir.ShapedType(base.type).shape
    if any(o < 0 for o in offsets) or not ir.ShapedType(base.type).has_static_shape:
        return False  # dynamic offsets are a negative sentinel
    linear = 0
    for offset, extent in zip(offsets, shape, strict=True):
        linear = linear * extent + offset
    return linear % lanes == 0 and shape[-1] % lanes == 0


def _owner_of_use(use) -> ir.Operation | None:
    owner = use.owner
    return owner.operation if isinstance(owner, ir.OpView) else owner


def _vectorizable(op: ir.Operation) -> bool:
    """Named ops, or generics whose body is arith/math only."""
    if op.name != "linalg.generic":
        return True
    body = op.regions[0].blocks[0].operations
    return all(inner.operation.name.startswith(VECTOR_BODY_DIALECTS) for inner in body)
