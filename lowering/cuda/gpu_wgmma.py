"""kiln-gpu-wgmma: f16/bf16 matmul kernels marked for sm_90a become TMA + wgmma kernels.

Hopper's warpgroup MMA (``wgmma.mma_async``) reads both operands from shared
memory through matrix descriptors; the tiles arrive there by TMA
(``cp.async.bulk.tensor``), tracked by mbarriers. MLIR's nvgpu dialect has
all of it (``nvgpu.tma.*``, ``nvgpu.mbarrier.*``, ``nvgpu.warpgroup.*``) but
no transform that produces it from linalg, so this pass writes the kernel:
the structure of upstream's sm90 integration tests (``gemm_f32_f16_f16_*``,
``matmulBuilder.generate_matmul_multistage``), instantiated per matmul as
MLIR text (``KERNEL`` below) and spliced in place of the kernel forall:

- one warpgroup (128 threads) per 128 x 128 tile of C, grid (M/128, N/128);
- A tiles 128 x 64 and B tiles 64 x 128 (two 64 x 64 boxes), 128-byte
  swizzle, ``STAGES`` of them in flight in dynamic shared memory (aligned to
  1024 bytes at run time, as the swizzled layout needs), thread 0 issuing the
  loads ``STAGES - 1`` k-steps ahead;
- per k-step, one ``nvgpu.warpgroup.mma`` (8 x ``wgmma m64n128k16``) into f32
  registers that start at zero (the fused zero fill, dropped); the slot it
  frees is refilled only after a block barrier (unlike upstream's test, which
  lets thread 0 refill it after its own warp's wait);
- the accumulators go through shared memory to C with 128-bit stores, or,
  when kiln-gpu-tile fused the matmul's elementwise consumer (bias,
  activation, residual, the f32 -> f16/bf16 truncation of PyTorch's half
  matmul), through that consumer's body, re-created on 4-wide vectors: one
  kernel, the f32 sums never in global memory.

The host side creates the two TMA descriptors (``nvgpu.tma.create.descriptor``
on the whole A and B buffers); the launch plan turns them into ``TensorMap``
arguments that ``kiln.runtime.cuda_program`` encodes with ``cuTensorMapEncodeTiled``.

Pre: bufferized output of ``kiln-gpu-tile``: a kernel forall holding a zero
``linalg.fill`` of C's tile and a ``linalg.matmul`` marked ``kiln.gpu.wgmma``
on tiles of row-major A (M x K) and B (K x N) buffers, both f16 or both bf16,
and an f32 C (M x N) buffer,
M and N multiples of 128, K of 64.
(With a fused epilogue the kernel also holds a local f32 tile alloc and the
elementwise generic reading it and writing a tile of the result.)
Post: such foralls are ``gpu.launch`` ops with dynamic shared memory, fed by
two ``nvgpu.tma.create.descriptor`` values; nothing else changes.
"""

from __future__ import annotations

from kiln.lowering.cuda.schedules.common import WGMMA_ATTR, kernel_around
from kiln.passes.common import collect_ops, defining_op, is_zero_constant
from kiln.passes.registry import KilnPass, PassFailure, register

from kiln.ir import arith, ir, memref, vector

BLOCK_M, BLOCK_N, BLOCK_K = 128, 128, 64
STAGES = 3
TILE_BYTES = BLOCK_M * BLOCK_K * 2  # one A tile; a B tile has the same size
SMEM_BYTES = 2 * TILE_BYTES * STAGES + 1024  # + room to align the tiles to 1024 bytes
TX_BYTES = 2 * TILE_BYTES  # what the TMA loads of one stage bring
# What a marked kernel may hold besides the epilogue kiln-gpu-tile may fuse in.
KERNEL_OPS = (
    "linalg.fill",
    "linalg.matmul",
    "scf.forall.in_parallel",
    "memref.subview",
    "affine.apply",
    "arith.constant",
)

KERNEL = """
!tmA = !nvgpu.tensormap.descriptor<tensor = memref<128x64x{ET}, #gpu.address_space<workgroup>>, swizzle = swizzle_128b,
    l2promo = none, oob = zero, interleave = none>
!tmB = !nvgpu.tensormap.descriptor<tensor = memref<64x64x{ET}, #gpu.address_space<workgroup>>, swizzle = swizzle_128b,
    l2promo = none, oob = zero, interleave = none>
!bars = !nvgpu.mbarrier.group<memorySpace = #gpu.address_space<workgroup>, num_barriers = {S}>
!acc = !nvgpu.warpgroup.accumulator<fragmented = vector<128x128xf32>>
!smem = memref<?xi8, #gpu.address_space<workgroup>>
func.func @wgmma_matmul(%a: memref<{M}x{K}x{ET}>, %b: memref<{K}x{N}x{ET}>,
                        %c: memref<{M}x{N}x{OT}>) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %ua = memref.cast %a : memref<{M}x{K}x{ET}> to memref<*x{ET}>
  %ub = memref.cast %b : memref<{K}x{N}x{ET}> to memref<*x{ET}>
  %descA = nvgpu.tma.create.descriptor %ua box[%c128, %c64] : memref<*x{ET}> -> !tmA
  %descB = nvgpu.tma.create.descriptor %ub box[%c64, %c64] : memref<*x{ET}> -> !tmB
  %smem_bytes = arith.constant {SMEM} : i32
  %grid_m = arith.constant {GM} : index
  %grid_n = arith.constant {GN} : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %grid_m, %gy = %grid_n, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1)
             dynamic_shared_memory_size %smem_bytes {{
    %k0 = arith.constant 0 : index
    %k1 = arith.constant 1 : index
    %k4 = arith.constant 4 : index
    %k32 = arith.constant 32 : index
    %k64 = arith.constant 64 : index
    %k128 = arith.constant 128 : index
    %k1024 = arith.constant 1024 : index
    %stages = arith.constant {S} : index
    %last_stage = arith.constant {S1} : index
    %ahead = arith.constant {AHEAD} : index
    %ktiles = arith.constant {KT} : index
    %tile_bytes = arith.constant {TILE} : index
    %b_base = arith.constant {BBASE} : index
    %tx_bytes = arith.constant {TX} : index
    %half_b = arith.constant {HALF_B} : index
    %ticks = arith.constant 10000000 : index
    %false = arith.constant false
    %true = arith.constant true
    %tid = gpu.thread_id x
    %primary = arith.cmpi eq, %tid, %k0 : index
    %row0 = arith.muli %bx, %k128 : index
    %col0 = arith.muli %by, %k128 : index
    %col1 = arith.addi %col0, %k64 : index
    // The tiles start at the first 1024-byte boundary of dynamic shared memory.
    %dyn = gpu.dynamic_shared_memory : !smem
    %base = memref.extract_aligned_pointer_as_index %dyn : !smem -> index
    %misalign = arith.remui %base, %k1024 : index
    %to_boundary = arith.subi %k1024, %misalign : index
    %pad = arith.remui %to_boundary, %k1024 : index
    %bars = nvgpu.mbarrier.create -> !bars
{INIT}
    gpu.barrier
    nvgpu.tma.prefetch.descriptor %descA, predicate = %primary : !tmA
    nvgpu.tma.prefetch.descriptor %descB, predicate = %primary : !tmB
    scf.for %t = %k0 to %ahead step %k1 {{
{PROLOGUE_LOAD}
    }}
    %zero = nvgpu.warpgroup.mma.init.accumulator -> !acc
    %res:2 = scf.for %i = %k0 to %ktiles step %k1 iter_args(%acc = %zero, %phase = %false)
        -> (!acc, i1) {{
      %stage = arith.remui %i, %stages : index
      nvgpu.mbarrier.try_wait.parity %bars[%stage], %phase, %ticks : !bars
      %a_off0 = arith.muli %stage, %tile_bytes : index
      %a_off = arith.addi %a_off0, %pad : index
      %b_off = arith.addi %a_off, %b_base : index
      %a_tile = memref.view %dyn[%a_off][] : !smem to memref<128x64x{ET}, #gpu.address_space<workgroup>>
      %b_tile = memref.view %dyn[%b_off][] : !smem to memref<64x128x{ET}, #gpu.address_space<workgroup>>
      %da = nvgpu.warpgroup.generate.descriptor %a_tile, %descA
          : memref<128x64x{ET}, #gpu.address_space<workgroup>>, !tmA
          -> !nvgpu.warpgroup.descriptor<tensor = memref<128x64x{ET}, #gpu.address_space<workgroup>>>
      %db = nvgpu.warpgroup.generate.descriptor %b_tile, %descB
          : memref<64x128x{ET}, #gpu.address_space<workgroup>>, !tmB
          -> !nvgpu.warpgroup.descriptor<tensor = memref<64x128x{ET}, #gpu.address_space<workgroup>>>
      %next_acc = nvgpu.warpgroup.mma %da, %db, %acc {{transposeB}}
          : !nvgpu.warpgroup.descriptor<tensor = memref<128x64x{ET}, #gpu.address_space<workgroup>>>,
            !nvgpu.warpgroup.descriptor<tensor = memref<64x128x{ET}, #gpu.address_space<workgroup>>>,
            !acc -> !acc
      // The k-step STAGES - 1 ahead goes to the slot read one step ago: its wgmma group has
      // completed (warpgroup.mma waits for all but the newest group), in every warp once all
      // threads pass this barrier.
      gpu.barrier
      %next = arith.addi %i, %ahead : index
      %in_range = arith.cmpi ult, %next, %ktiles : index
      %issue = arith.andi %primary, %in_range : i1
      %slot = arith.remui %next, %stages : index
{NEXT_LOAD}
      %wrap = arith.cmpi eq, %stage, %last_stage : index
      %flipped = arith.xori %phase, %true : i1
      %next_phase = arith.select %wrap, %flipped, %phase : i1
      scf.yield %next_acc, %next_phase : !acc, i1
    }}
    nvvm.wgmma.wait.group.sync.aligned 0
    gpu.barrier
    %acc_smem = memref.view %dyn[%pad][] : !smem to memref<128x128xf32, #gpu.address_space<workgroup>>
    nvgpu.warpgroup.mma.store %res#0, %acc_smem : !acc to memref<128x128xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %c_tile = memref.subview %c[%row0, %col0] [128, 128] [1, 1]
        : memref<{M}x{N}x{OT}> to memref<128x128x{OT}, strided<[{N}, 1], offset: ?>>
    %warp = arith.divui %tid, %k32 : index
    %lane = arith.remui %tid, %k32 : index
    %col = arith.muli %lane, %k4 : index
    scf.for %r = %warp to %k128 step %k4 {{
      %v = vector.load %acc_smem[%r, %col] : memref<128x128xf32, #gpu.address_space<workgroup>>, vector<4xf32>
{CONVERT}
      vector.store {STORED}, %c_tile[%r, %col] : memref<128x128x{OT}, strided<[{N}, 1], offset: ?>>, vector<4x{OT}>
    }}
    gpu.terminator
  }}
  return
}}
"""


def _load_stage(slot: str, k: str, tag: str, predicate: str, et: str) -> str:
    """TMA loads of k-step ``k`` into stage ``slot`` (A tile, B tile as two 64 x 64 boxes)."""
    view = (
        "memref.view %dyn[{off}][] : !smem to memref<{shape}x{et}, #gpu.address_space<workgroup>>"
    )
    return f"""\
      %a_off0{tag} = arith.muli {slot}, %tile_bytes : index
      %a_off{tag} = arith.addi %a_off0{tag}, %pad : index
      %b_off{tag} = arith.addi %a_off{tag}, %b_base : index
      %b_off2{tag} = arith.addi %b_off{tag}, %half_b : index
      %a_dst{tag} = {view.format(off=f"%a_off{tag}", shape="128x64", et=et)}
      %b_dst1{tag} = {view.format(off=f"%b_off{tag}", shape="64x64", et=et)}
      %b_dst2{tag} = {view.format(off=f"%b_off2{tag}", shape="64x64", et=et)}
      %kk{tag} = arith.muli {k}, %k64 : index
      nvgpu.mbarrier.arrive.expect_tx %bars[{slot}], %tx_bytes, predicate = {predicate} : !bars
      nvgpu.tma.async.load %descA[%kk{tag}, %row0], %bars[{slot}] to %a_dst{tag},
          predicate = {predicate} : !tmA, !bars -> memref<128x64x{et}, #gpu.address_space<workgroup>>
      nvgpu.tma.async.load %descB[%col0, %kk{tag}], %bars[{slot}] to %b_dst1{tag},
          predicate = {predicate} : !tmB, !bars -> memref<64x64x{et}, #gpu.address_space<workgroup>>
      nvgpu.tma.async.load %descB[%col1, %kk{tag}], %bars[{slot}] to %b_dst2{tag},
          predicate = {predicate} : !tmB, !bars -> memref<64x64x{et}, #gpu.address_space<workgroup>>"""


def kernel_text(m: int, n: int, k: int, element_type: str = "f16", out_type: str = "f32") -> str:
    """The kernel function for an M x N x K matmul of ``element_type`` (f16, bf16) operands.

    The sums are f32; with ``out_type`` f16 or bf16 they are stored
    truncated (``_apply_epilogue`` then replaces that truncation by the fused
    epilogue's body).
    """
    convert, stored = "", "%v"
    if out_type != "f32":
        convert, stored = (
            f"      %narrow = arith.truncf %v : vector<4xf32> to vector<4x{out_type}>",
            "%narrow",
        )
    ktiles = k // BLOCK_K
    init = "\n".join(
        f"    %bar_id{s} = arith.constant {s} : index\n"
        f"    nvgpu.mbarrier.init %bars[%bar_id{s}], %k1, predicate = %primary : !bars"
        for s in range(STAGES)
    )
    return KERNEL.format(
        M=m,
        N=n,
        K=k,
        S=STAGES,
        S1=STAGES - 1,
        AHEAD=min(STAGES - 1, ktiles),
        KT=ktiles,
        SMEM=SMEM_BYTES,
        GM=m // BLOCK_M,
        GN=n // BLOCK_N,
        TILE=TILE_BYTES,
        BBASE=TILE_BYTES * STAGES,
        TX=TX_BYTES,
        HALF_B=TILE_BYTES // 2,
        INIT=init,
        ET=element_type,
        OT=out_type,
        CONVERT=convert,
        STORED=stored,
        PROLOGUE_LOAD=_load_stage("%t", "%t", "_p", "%primary", element_type),
        NEXT_LOAD=_load_stage("%slot", "%next", "_n", "%issue", element_type),
    )


@register
class GpuWgmma(KilnPass):
    """Replace wgmma-marked matmul kernels by TMA + warpgroup-MMA kernels (sm_90a)."""

    name = "kiln-gpu-wgmma"

    def run(self, module: ir.Operation) -> None:
        marked = [
            op for op in collect_ops(module, ["linalg.matmul"]) if WGMMA_ATTR in op.attributes
        ]
        errors = []
        for matmul in marked:
            try:
                _replace_kernel(matmul)
            except ValueError as err:
                errors.append((matmul.location, f"kiln-gpu-wgmma: {err}"))
        if errors:
            raise PassFailure(errors)


def _replace_kernel(matmul: ir.Operation) -> None:
    kernel = kernel_around(matmul)
    a, b, c = (_root(v) for v in matmul.operands[:3])
    out, out_type = c, "f32"
    epilogue = _epilogue_in(kernel, c)
    if epilogue is not None:  # the sums go through a kernel-local tile to an elementwise op
        out = _root(epilogue.operands[len(epilogue.operands) - 1])
        out_type = str(ir.MemRefType(out.type).element_type)
    for value, what in ((a, "A"), (b, "B"), (out, "the result")):
        if _inside(value, kernel) or not _identity_layout(value):
            raise ValueError(f"{what} is not a whole row-major buffer outside the kernel")
    types = [str(ir.MemRefType(v.type).element_type) for v in (a, b, c)]
    if types[0] != types[1] or types[0] not in ("f16", "bf16") or types[2] != "f32":
        raise ValueError(
            f"expected f16 or bf16 operands and f32 sums, got {' x '.join(types[:2])} -> {types[2]}"
        )
    m, k = ir.MemRefType(a.type).shape
    n = ir.MemRefType(b.type).shape[1]
    allowed = KERNEL_OPS + (("memref.alloc", "linalg.generic") if epilogue else ())
    for op in kernel.regions[0].blocks[0].operations:
        name = op.operation.name
        if name == "linalg.fill" and not is_zero_constant(op.operation.operands[0]):
            raise ValueError("C is filled with a non-zero value (the kernel starts from zeros)")
        if name not in allowed:
            raise ValueError(f"unexpected '{name}' in the kernel")
    text = kernel_text(m, n, k, types[0], out_type)
    template = ir.Module.parse(text, kernel.context)
    func = next(op for op in template.body.operations if op.operation.name == "func.func")
    body = func.regions[0].blocks[0]
    for arg, value in zip(body.arguments, (a, b, out), strict=True):
        arg.replace_all_uses_with(value)
    moved = []
    for op in list(body.operations):
        if op.operation.name == "func.return":
            break
        op.operation.move_before(kernel)
        moved.append(op.operation)
    if epilogue is not None:
        (launch,) = [op for op in moved if op.name == "gpu.launch"]
        _apply_epilogue(launch, epilogue, c, m, n)
    kernel.erase()


def _epilogue_in(kernel: ir.Operation, tile: ir.Value) -> ir.Operation | None:
    """The elementwise generic in ``kernel`` reading ``tile`` (a kernel-local alloc), if any.

    kiln-gpu-tile fuses the matmul's elementwise consumer (bias, activation,
    truncation: ``gpu_tile._epilogue_of``) into its kernel; bufferized, the
    matmul's block tile is then a local alloc that only that generic reads.
    """
    owner = tile.owner
    if not isinstance(owner, ir.OpView | ir.Operation) or owner.operation.name != "memref.alloc":
        return None
    if not _inside(tile, kernel):
        return None
    readers = []
    for use in tile.uses:
        user = use.owner.operation if isinstance(use.owner, ir.OpView) else use.owner
        if user.name == "linalg.generic":
            readers.append(user)
    if len(readers) != 1:
        raise ValueError("the matmul's local tile is read by more than its epilogue")
    return readers[0]


def _apply_epilogue(launch: ir.Operation, generic: ir.Operation, tile: ir.Value, m, n) -> None:
    """Applies ``generic``'s body to each 4-wide vector of sums the kernel stores.

    The template's store (``vector.store`` of the sums, or of their
    truncation, into the result's block tile) gets the body's result instead;
    the generic's other inputs are loaded at the same places: whole
    ``M x N`` buffers, rows (``d1``: a bias) or columns (``d0``).
    """
    (store,) = collect_ops(launch, ["vector.store"])
    placeholder = store.operands[0].owner.operation
    sums = placeholder.operands[0] if placeholder.name == "arith.truncf" else store.operands[0]
    c_tile = store.operands[1].owner.operation  # memref.subview %c[%row0, %col0]
    row0, col0 = c_tile.operands[1], c_tile.operands[2]
    r, col = store.operands[2], store.operands[3]
    n_in = len(generic.operands) - 1
    maps = [ir.AffineMapAttr(a).value for a in ir.ArrayAttr(generic.attributes["indexing_maps"])]
    block = generic.regions[0].blocks[0]
    with ir.InsertionPoint(store), store.location:
        row = arith.AddIOp(row0, r).result
        column = arith.AddIOp(col0, col).result
        values = {}
        for i in range(n_in):
            operand, arg = generic.operands[i], block.arguments[i]
            if operand == tile:
                values[arg] = sums
                continue
            values[arg] = _load_input(operand, str(maps[i]), row, column, m, n)
        result = _vector_body(block, values)
    store.operands[0] = result
    if placeholder.name == "arith.truncf" and not list(placeholder.results[0].uses):
        placeholder.erase()


def _load_input(operand: ir.Value, amap: str, row, column, m: int, n: int) -> ir.Value:
    """The 4 elements of an epilogue input next to the stored ones (see _apply_epilogue)."""
    root = _root(operand)
    ty = ir.MemRefType(root.type)
    forms = {
        "(d0, d1) -> (d0, d1)": ([m, n], [row, column]),
        "(d0, d1) -> (d1)": ([n], [column]),
        "(d0, d1) -> (d0)": ([m], None),
    }
    if amap not in forms or list(ty.shape) != forms[amap][0] or not _identity_layout(root):
        raise ValueError(f"epilogue input {ty} read through {amap}: not a whole buffer")
    if forms[amap][1] is None:  # one value per row, the same for the 4 columns
        scalar = memref.LoadOp(root, [row]).result
        return vector.BroadcastOp(ir.VectorType.get([4], ty.element_type), scalar).result
    return vector.LoadOp(ir.VectorType.get([4], ty.element_type), root, forms[amap][1]).result


def _vector_body(block: ir.Block, values: dict) -> ir.Value:
    """``block``'s scalar ops re-created on 4-wide vectors; returns the yielded vector."""

    def vec(value: ir.Value) -> ir.Value:
        if value not in values:  # captured from outside the body: the same for every lane
            values[value] = vector.BroadcastOp(ir.VectorType.get([4], value.type), value).result
        return values[value]

    ops = [o.operation for o in block.operations]
    for op in ops[:-1]:
        new = ir.Operation.create(
            op.name,
            results=[ir.VectorType.get([4], res.type) for res in op.results],
            operands=[vec(v) for v in op.operands],
            attributes={name: op.attributes[name] for name in op.attributes},
        )
        for old, value in zip(op.results, new.results, strict=True):
            values[old] = value
    return vec(ops[-1].operands[0])


def _root(value: ir.Value) -> ir.Value:
    """The buffer ``value`` is a (chain of) ``memref.subview`` of."""
    while (op := defining_op(value)) is not None and op.name == "memref.subview":
        value = op.operands[0]
    return value


def _inside(value: ir.Value, op: ir.Operation) -> bool:
    owner = value.owner
    parent = owner.owner if isinstance(owner, ir.Block) else owner.operation
    while parent is not None:
        if parent == op:
            return True
        parent = parent.parent
    return False


def _identity_layout(value: ir.Value) -> bool:
    """A static, row-major memref (no strided layout)."""
    ty = ir.MemRefType(value.type)
    dims = ", ".join(f"d{i}" for i in range(ty.rank))
    return ty.has_static_shape and str(ty.layout) == f"affine_map<({dims}) -> ({dims})>"
