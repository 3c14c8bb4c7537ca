"""GPU schedules for ``linalg.matmul`` / ``linalg.batch_matmul`` (with its zero fill fused).

Two variants, chosen per op by ``kiln-gpu-tile``:

SIMT (any element type), the classic shared-memory matmul:
1. tensors: one block per ``bm x bn`` tile of C (``#gpu.block``), the fill
   fused into it and spread over the threads; the reduction is tiled by
   ``bk`` (``scf.for``); the ``bm x bn x bk`` step is marked for promotion;
2. buffers (``kiln-gpu-distribute``, ``schedule_matmul_threads``): A and B
   tiles are staged in shared memory (``#gpu.address_space<workgroup>``,
   barriers around the copies), the copies are spread over all threads with
   vector loads, and each thread computes a ``tm x tn`` tile of C with vector
   FMAs reading shared memory.

Tensor cores (f16 inputs with f32 or f16 accumulators -- PyTorch's f16
matmuls are f16 x f16 -> f32 --, bf16 with f32 accumulators, and f32 as
TF32 when allowed),
``mma.sync`` through upstream's vector-to-nvgpu conversion:
1. tensors: one block per ``bm x bn`` tile of C, the fill fused and spread
   over the threads; the reduction tiled by ``bk`` (``scf.for``); the
   ``bm x bn x bk`` step is marked ``kiln.gpu.mma`` with its warp tile
   (``kiln.gpu.warp_tile``); the fill is fused per warp tile;
2. buffers (``kiln-gpu-distribute``, ``distribute_mma_step``): A and B tiles
   staged in shared memory as in SIMT; the step tiled to one ``wm x wn``
   sub-tile per warp (``#gpu.warp``), vectorized to one mixed-precision
   ``vector.contract`` and unrolled to the ``16 x 8 x kk`` shape of one
   ``mma.sync``;
3. after thread mapping, ``kiln-gpu-hoist-accumulators`` keeps the warp's
   C fragments in registers across the k loop, starting from the fill's zeros
   (C is only written, once, at the end) and ``convert-vector-to-gpu``
   (nvgpu) turns the contractions into ``nvgpu.mma.sync`` fed by
   ``nvgpu.ldmatrix`` from shared memory; PTX ``mma.sync.aligned.m16n8k16``
   (``.f32.f16.f16.f32``, ``.f16.f16.f16.f16``, ``.f32.bf16.bf16.f32``) or
   ``m16n8k8...tf32``.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiln.lowering.cuda.schedules.common import (
    COPY_LANES_ATTR,
    MMA_ATTR,
    PROMOTE_ATTR,
    THREAD_TILE_ATTR,
    WARP_SIZE,
    WARP_TILE_ATTR,
    WGMMA_ATTR,
    GpuSchedule,
    block_mapping,
    divisor_tile,
    thread_mapping,
    unroll_to_mma,
    warp_mapping,
)
from kiln.passes.transform_script import canonicalization

# Input element type -> k of one mma.sync (m16n8kK) and the accumulator types it supports.
MMA_K = {"f16": 16, "bf16": 16, "f32": 8}
# bf16 goes through the conversion typed f16 (kiln-gpu-mma-sync puns it, see there).
MMA_ACCUMULATORS = {"f16": ("f16", "f32"), "bf16": ("f32",), "f32": ("f32",)}


@dataclass(frozen=True)
class MatmulPlan:
    """Static facts about one matmul, read from the IR before scheduling."""

    tag: str
    fill_tag: str | None  # the linalg.fill producing C, fused into the kernel
    batch: int  # leading batch loops (0 for linalg.matmul, 1 for batch_matmul)
    m: int
    n: int
    k: int
    element_type: str  # of A and B: "f32", "f16", "bf16", ...
    acc_type: str = ""  # of C; the element type when empty
    # Elements A's and B's rows and slices are aligned to: 8 lets 16-bit tiles be copied to
    # shared memory 16 bytes at a time (4 elements otherwise).
    aligned_lanes: int = 4


@dataclass(frozen=True)
class SimtTiles:
    """Block tile (bm, bn, bk) and thread tile (tm, tn) of the SIMT variant."""

    bm: int
    bn: int
    bk: int
    tm: int
    tn: int

    @property
    def block_dims(self) -> tuple[int, int, int]:
        return (self.bn // self.tn, self.bm // self.tm, 1)


def simt_tiles(plan: MatmulPlan, block: int = 64, bk: int = 16, thread: int = 4) -> SimtTiles:
    """Tiles dividing the problem: ``block``^2 per block, ``thread``^2 per thread, ``bk`` of k."""
    bm, bn = divisor_tile(plan.m, block), divisor_tile(plan.n, block)
    return SimtTiles(
        bm, bn, divisor_tile(plan.k, bk), divisor_tile(bm, thread), divisor_tile(bn, thread)
    )


def schedule_matmul_simt(sched: GpuSchedule, plan: MatmulPlan) -> SimtTiles:
    """Tensor-level part of the SIMT variant (see module docstring)."""
    tiles = simt_tiles(plan)
    nb = plan.batch
    mm, forall = sched.tile_forall_mapped(
        sched.match(attr=plan.tag), [1] * nb + [tiles.bm, tiles.bn, 0], block_mapping(nb + 2)
    )
    _fuse_fill(sched, plan, forall, [0] * nb + [tiles.tm, tiles.tn], thread_mapping(2))
    step, _ = sched.tile_for(mm, [0] * nb + [0, 0, tiles.bk])
    sched.annotate(step, PROMOTE_ATTR)
    sched.annotate_array(step, THREAD_TILE_ATTR, [0] * nb + [tiles.tm, tiles.tn, 0])
    sched.mark_kernel(forall, tiles.block_dims)
    return tiles


@dataclass(frozen=True)
class MmaTiles:
    """Block tile (bm, bn, bk), warp tile (wm, wn) and mma step k of the tensor-core variant."""

    bm: int
    bn: int
    bk: int
    wm: int
    wn: int
    kk: int

    @property
    def block_dims(self) -> tuple[int, int, int]:
        return (WARP_SIZE * (self.bn // self.wn), self.bm // self.wm, 1)


def mma_supported(plan: MatmulPlan, allow_tf32: bool) -> bool:
    """True when the matmul's types and shape fit ``mma.sync`` (m16 n8 kK).

    f16 x f16 -> f16 | f32, bf16 x bf16 -> f32, and f32 (as TF32) when
    ``allow_tf32``; matmul or batch_matmul (one batch per block).
    """
    kind = plan.element_type
    acc = plan.acc_type or kind
    if acc not in MMA_ACCUMULATORS.get(kind, ()):
        return False
    if kind == "f32" and not allow_tf32:
        return False
    return plan.m % 16 == 0 and plan.n % 8 == 0 and plan.k % MMA_K[kind] == 0


def mma_tiles(plan: MatmulPlan) -> MmaTiles:
    """Blocks of up to 128 x 128 x 32, split into 2 x 2 warps where they halve into mma shapes."""
    kind = plan.element_type
    kk = MMA_K[kind]
    bm = 16 * divisor_tile(plan.m // 16, 8)
    bn = 8 * divisor_tile(plan.n // 8, 16)
    bk = kk * divisor_tile(plan.k // kk, 32 // kk)
    wm = bm // 2 if bm % 32 == 0 else bm
    wn = bn // 2 if bn % 16 == 0 else bn
    return MmaTiles(bm, bn, bk, wm, wn, kk)


def schedule_matmul_mma(sched: GpuSchedule, plan: MatmulPlan) -> MmaTiles:
    """Tensor-level part of the tensor-core variant (see module docstring)."""
    tiles = mma_tiles(plan)
    nb = plan.batch  # a batch_matmul: one batch per block (kiln-gpu-distribute drops the unit dim)
    mm, forall = sched.tile_forall_mapped(
        sched.match(attr=plan.tag), [1] * nb + [tiles.bm, tiles.bn, 0], block_mapping(nb + 2)
    )
    # Each warp zeroes the C pieces it accumulates: kiln-gpu-hoist-accumulators then starts
    # the accumulators from the zeros instead of reading them back.
    _fuse_fill(sched, plan, forall, [0] * nb + [tiles.wm, tiles.wn], warp_mapping(2))
    step, _ = sched.tile_for(mm, [0] * nb + [0, 0, tiles.bk])
    sched.annotate(step, MMA_ATTR)
    sched.annotate_array(step, WARP_TILE_ATTR, [tiles.wm, tiles.wn, tiles.kk])
    if plan.element_type in ("f16", "bf16") and plan.aligned_lanes % 8 == 0:
        sched.annotate(forall, COPY_LANES_ATTR, 8)
    sched.mark_kernel(forall, tiles.block_dims)
    return tiles


# Hopper's warpgroup MMA needs PTX for sm_90a (the architecture-specific features).
WGMMA_CHIP = "sm_90a"
WGMMA_TILE = (128, 128, 64)  # block M, N and the K step of ``kiln-gpu-wgmma``'s kernel


def wgmma_supported(plan: MatmulPlan) -> bool:
    """f16 or bf16 operands, f32 sums, not batched, M and N multiples of 128 and K of 64."""
    bm, bn, bk = WGMMA_TILE
    return (
        plan.element_type in ("f16", "bf16")
        and plan.acc_type == "f32"
        and not plan.batch
        and plan.m % bm == 0
        and plan.n % bn == 0
        and plan.k % bk == 0
    )


def schedule_matmul_wgmma(sched: GpuSchedule, plan: MatmulPlan, epilogue: str | None) -> None:
    """Tensor-level part of the wgmma variant: one 128 x 128 block per kernel instance.

    The matmul (its zero fill fused) is only tiled to blocks and marked
    ``kiln.gpu.wgmma``; ``kiln-gpu-wgmma`` writes the whole kernel after
    bufferization (TMA, mbarriers, ``nvgpu.warpgroup.mma``). With
    ``epilogue`` (the tag of the f32 -> f16/bf16 truncation of its result) the
    truncation is tiled to the blocks and the matmul fused into it: the
    kernel writes the narrow result itself.
    """
    bm, bn, _ = WGMMA_TILE
    if epilogue is None:
        mm, forall = sched.tile_forall_mapped(
            sched.match(attr=plan.tag), [bm, bn, 0], block_mapping(2)
        )
    else:
        _, forall = sched.tile_forall_mapped(sched.match(attr=epilogue), [bm, bn], block_mapping(2))
        mm, forall = sched.fuse_into(sched.match(attr=plan.tag), forall)
    if plan.fill_tag is not None:
        sched.fuse_into(sched.match(attr=plan.fill_tag), forall)
    sched.annotate(mm, WGMMA_ATTR)
    sched.mark_kernel(forall, (WARP_SIZE * 4, 1, 1))


def _fuse_fill(sched, plan, forall, tile, mapping) -> None:
    if plan.fill_tag is None:
        return
    fill, _ = sched.fuse_into(sched.match(attr=plan.fill_tag), forall)
    tiled, _ = sched.tile_forall_mapped(fill, tile, mapping)
    sched.vectorize(tiled)


def promote_and_distribute(sched: GpuSchedule, step, thread_tile, operands=(0, 1)) -> None:
    """Buffer-level part of the SIMT variant for the marked steps ``step``.

    The ``operands`` tiles (A and B: those that are views of larger buffers)
    go to shared memory (``memref.copy`` between barriers, which
    ``kiln-gpu-distribute`` then spreads over the threads); each thread
    computes its ``thread_tile`` of C with vector code.
    """
    if operands:
        step = sched.promote_to_workgroup(step, list(operands))
    tiled, _ = sched.tile_forall_mapped(step, thread_tile, thread_mapping(2))
    sched.vectorize_contraction(tiled)


def distribute_mma_step(sched: GpuSchedule, step, kernel, warp_tile, operands=(0, 1)) -> None:
    """Buffer-level part of the tensor-core variant for the marked steps ``step``.

    ``warp_tile`` is (wm, wn, kk). The ``operands`` tiles go to shared memory
    as in ``promote_and_distribute``; each warp's ``wm x wn`` share becomes a
    ``vector.contract`` (f16/bf16 inputs kept narrow, the accumulator wide),
    unrolled to ``16 x 8 x kk`` contractions: one ``mma.sync`` each once
    ``convert-vector-to-gpu`` has run. The unrolling covers the whole
    ``kernel`` (its other vector op is the warps' zero fill, cut into the
    same ``16 x 8`` pieces; the copies are vectorized afterwards).
    """
    wm, wn, kk = warp_tile
    if operands:
        step = sched.promote_to_workgroup(step, list(operands))
    warp_op, _ = sched.tile_forall_mapped(step, [wm, wn, 0], warp_mapping(2))
    sched.vectorize_contraction(warp_op)
    sched.apply_patterns(kernel, [lambda: unroll_to_mma(16, 8, kk), canonicalization])
