"""kiln-tile-and-fuse: tile every linalg op for threads and registers, fusing each group.

Reads the ``kiln.fusion_group`` ops, tags their members, inlines the groups,
then builds one transform-dialect script: ``schedules.contraction`` for each
group and ``schedules.generic`` for every other linalg op, and applies it.

Pre: output of ``kiln-form-fusion-groups``: static shapes, groups formed. A
group without the anchor its kind names (its contraction folded away, edited
IR) is inlined and its ops are tiled alone.
Post: no ``kiln.fusion_group`` remains; every contraction group is one
``scf.forall`` (thread split) whose innermost linalg ops are single register
blocks; vectorizable standalone ops are tiled to vector-sized pieces; every op
meant for ``kiln-vectorize`` carries ``kiln.vectorize`` and has static shapes
(or ``kiln.vector_width`` where its last tile is partial). A group member whose
body the vectorizer cannot handle (a gather through ``tensor.extract``, the
``cf.assert`` guarding its index) is tiled and fused with its group but left
unmarked: it becomes a scalar loop nest at the ``loops`` stage.

Ops inside a graph-level ``scf.forall`` marked ``kiln.thread_blocks`` (Winograd's
blocks of tile rows, whose iterations are already the thread split) are tiled
for one thread; a contraction group's own ``scf.forall`` there (which anchors its
fusion) becomes a nested OpenMP region, which the runtime runs on the calling
thread (no nested parallelism).
"""

from __future__ import annotations

from kiln.lowering.cpu.bf16_operands import VECTOR_TILE_ATTR
from kiln.lowering.cpu.form_fusion_groups import CONV_ANCHORS
from kiln.lowering.cpu.group_functions import inline_group_calls, outline_group
from kiln.lowering.cpu.grouped_conv import grouped_loop_sizes, grouped_window
from kiln.lowering.cpu.int8_conv import QUAD, int8_conv_loop_sizes, int8_conv_window
from kiln.lowering.cpu.schedules.contraction import ContractionPlan, schedule_contraction_group
from kiln.lowering.cpu.schedules.conv import (
    ConvPlan,
    PoolPlan,
    schedule_conv_group,
    schedule_pooling,
)
from kiln.lowering.cpu.schedules.depthwise_conv import DepthwisePlan, schedule_depthwise_group
from kiln.lowering.cpu.schedules.generic import (
    MIN_PARALLEL_ITERATIONS,
    GenericPlan,
    schedule_generic,
)
from kiln.lowering.cpu.schedules.grouped_conv import GroupedPlan, schedule_grouped_group
from kiln.passes.common import (
    broadcast_dims,
    collect_ops,
    has_bool_tensors,
    indexing_maps,
    iterator_types,
    map_dims,
    splice_before,
    static_shape,
)
from kiln.passes.contraction_analysis import BLOCKED_ATTR, blocked_k_pack
from kiln.passes.fold_zero_size import has_zero_dim
from kiln.passes.registry import KilnPass, register
from kiln.passes.transform_script import Schedule

from kiln.ir import ir

POOLINGS = ("linalg.pooling_nhwc_max", "linalg.pooling_nhwc_sum")

GROUP_SCHEDULES = {
    ContractionPlan: schedule_contraction_group,
    ConvPlan: schedule_conv_group,
    DepthwisePlan: schedule_depthwise_group,
    GroupedPlan: schedule_grouped_group,
}
# The loops of each convolution kind's anchor, read from its operand shapes.
CONV_PLANS = {
    "convolution": (ConvPlan, lambda op: _conv_loops(op)),
    "depthwise": (DepthwisePlan, lambda op: _depthwise_loops(op)),
    "grouped": (GroupedPlan, lambda op: grouped_loop_sizes(op)),
    # kiln-int8-convs' u8 x s8 -> i32 convolutions: the named op's loops, channel quads.
    "int8_conv": (ConvPlan, lambda op: int8_conv_loop_sizes(op)),
}

# Body ops the vectorizer handles for kiln (no gathers, no index arithmetic).
VECTOR_BODY_DIALECTS = ("arith.", "math.")
# In a group's register-block tiles (whole, never masked) loop indices vectorize too.
GROUP_BODY_OPS = (*VECTOR_BODY_DIALECTS, "linalg.index", "linalg.yield")
TAG_PREFIX = "kiln.tile."
# On a graph-level ``scf.forall`` whose iterations are already the thread split
# (Winograd's blocks of tile rows): the ops inside are tiled for one thread.
THREAD_BLOCKS_ATTR = "kiln.thread_blocks"


@register
class TileAndFuse(KilnPass):
    """Tile-and-fuse fusion groups and tile standalone ops, for threads and vectors."""

    name = "kiln-tile-and-fuse"
    threads: int = 1
    # Standalone ops with fewer iterations run on one thread (see schedules/generic.py).
    min_parallel_iterations: int = MIN_PARALLEL_ITERATIONS
    vector_width: int = 8

    def validate(self) -> None:
        if self.threads < 1:
            raise ValueError(f"kiln-tile-and-fuse: threads must be >= 1, got {self.threads}")
        if self.vector_width not in (4, 8, 16):
            raise ValueError(
                f"kiln-tile-and-fuse: vector-width must be 4, 8 or 16, got {self.vector_width}"
            )

    def run(self, module: ir.Operation) -> None:
        found = collect_ops(module, ["kiln.fusion_group"])
        planned = [
            (_plan_group(g, i, self.vector_width), _in_thread_blocks(g))
            for i, g in enumerate(found)
        ]
        groups = [(plan, nested) for plan, nested in planned if plan is not None]
        for i, (group, (plan, _)) in enumerate(zip(found, planned, strict=True)):
            if plan is None:
                _inline(group)
            else:
                outline_group(group, i)  # until scheduled: see group_functions.py
        plans = []
        for i, op in enumerate(_standalone_ops(module)):
            plan = _plan_standalone(op, f"{TAG_PREFIX}s{i}", self.vector_width)
            if plan is not None:
                plans.append((plan, _in_thread_blocks(op)))
        if not groups and not plans:
            return
        try:
            self._schedule(module, groups, plans)
        finally:
            inline_group_calls(module)
        for op in collect_ops(module):
            for attr in [name for name in op.attributes if name.startswith(TAG_PREFIX)]:
                del op.attributes[attr]

    def _schedule(self, module: ir.Operation, groups: list, plans: list) -> None:
        sched = Schedule(module.context)
        sched.bind(module, TAG_PREFIX)
        for plan, nested in groups:
            GROUP_SCHEDULES[type(plan)](sched, plan, 1 if nested else self.threads)
        for plan, nested in plans:
            threads = 1 if nested else self.threads
            if isinstance(plan, PoolPlan):
                schedule_pooling(sched, plan, threads)
            else:
                schedule_generic(
                    sched,
                    plan,
                    threads,
                    max_vector=_max_vector(plan, self.vector_width),
                    min_iterations=self.min_parallel_iterations,
                    peel=True,
                )
        sched.apply(module)


def _max_vector(plan: GenericPlan, vector_width: int) -> int:
    """Lanes per operand of a standalone op's vector tile.

    A multi-result generic (Winograd's transforms: 16 or 36 inputs and outputs)
    keeps all of them live in one tile: at 64 lanes (8 ymm registers each) they
    spill; one register per operand does not (64x64 56x56 F(4,3) at 1 thread:
    3.35 ms against 3.62, paired, under load).
    """
    return vector_width if plan.results > 1 else 64


def _plan_group(group: ir.Operation, index: int, vector_width: int):
    """The group's schedule (a ContractionPlan or one of CONV_PLANS' plans), or None when it
    has no anchor its kind can be scheduled around (e.g. the contraction was folded away):
    its ops are then scheduled alone."""
    members = [
        op.operation
        for op in group.regions[0].blocks[0].operations
        if op.operation.name != "kiln.yield"
    ]
    kind = ir.StringAttr(group.attributes["kind"]).value
    anchor_name = ir.StringAttr(group.attributes["anchor"]).value
    anchor_index = next(
        (j for j, op in enumerate(members) if _is_anchor(op, kind, anchor_name)), None
    )
    if anchor_index is None or _has_zero_extent(members[anchor_index]):
        return None
    tags = []
    for j, op in enumerate(members):
        tag = f"{TAG_PREFIX}g{index}m{j}"
        op.attributes[tag] = ir.UnitAttr.get()
        tags.append(tag)
    anchor = members[anchor_index]
    scalar = tuple(
        tag
        for j, (tag, op) in enumerate(zip(tags, members, strict=True))
        if j != anchor_index and not _vector_member(op)
    )
    if kind in CONV_PLANS:
        plan_type, loops = CONV_PLANS[kind]
        # A bf16 input (kiln-bf16-convs) is reduced in channel pairs.
        pairs = {"k_pack": 2} if _bf16_input(anchor) and kind == "convolution" else {}
        if kind == "int8_conv":
            pairs = {"k_pack": QUAD}
        return plan_type(
            loop_sizes=tuple(loops(anchor)),
            root_tag=tags[-1],
            member_tags=tuple(tags[:-1]),
            anchor_tag=tags[anchor_index],
            vector_width=vector_width,
            scalar_tags=scalar,
            **pairs,
        )
    fill_tag = tags[0] if members[0].name == "linalg.fill" else None
    return ContractionPlan(
        n_batch=len(_loop_sizes(anchor)) - 5 - (blocked_k_pack(anchor) > 1),
        loop_sizes=tuple(_loop_sizes(anchor)),
        c_loops=tuple(map_dims(indexing_maps(anchor)[-1])),
        root_tag=tags[-1],
        member_tags=tuple(tags[:-1]),
        anchor_tag=tags[anchor_index],
        fill_tag=fill_tag,
        scalar_tags=scalar,
        k_pack=blocked_k_pack(anchor),
    )


def _has_zero_extent(op: ir.Operation) -> bool:
    """An operand with a zero-size dimension: the op does no work, and the group
    schedules' tilings divide by its extents (a 0-image grouped convolution crashed
    the transform interpreter). Scheduled alone, it stays a loop nest of no trips."""
    return any(has_zero_dim(v.type) for v in op.operands)


def _is_anchor(op: ir.Operation, kind: str, anchor_name: str) -> bool:
    """``op`` is the anchor a group of ``kind`` is scheduled around."""
    if kind == "contraction":
        return _blocked_anchor(op)
    if kind == "int8_conv":
        return int8_conv_window(op) is not None
    if kind == "grouped":
        # A generic, like the init and the epilogue: found by its form.
        return grouped_window(op) is not None
    return _conv_anchor(op, anchor_name)


def _vector_member(op: ir.Operation) -> bool:
    """Whether kiln-vectorize can vectorize a tile of group member ``op`` (a fill, an
    init or an epilogue): not a gather (``tensor.extract``, and the ``cf.assert`` on
    its index, which no vectorizer handles), no i1 tensors."""
    if has_bool_tensors(op):
        return False
    if op.name != "linalg.generic":
        return True
    body = [inner.operation.name for inner in op.regions[0].blocks[0].operations]
    return all(name.startswith(GROUP_BODY_OPS) for name in body)


def _conv_anchor(op: ir.Operation, anchor_name: str) -> bool:
    """A statically shaped NHWC convolution (HWCF filter) or depthwise convolution (HWC
    filter) named ``anchor_name``."""
    if op.name != anchor_name or op.name not in CONV_ANCHORS:
        return False
    result, window = static_shape(op.results[0]), static_shape(op.operands[1])
    if result is None or window is None or len(result) != 4:
        return False
    return len(window) == (3 if op.name == "linalg.depthwise_conv_2d_nhwc_hwc" else 4)


def _blocked_anchor(op: ir.Operation) -> bool:
    """A contraction in kiln-pack-contractions' register-block form (batch..., m1, n1, k,
    m0, n0): marked kiln.blocked, static shapes, its output indexed by plain loops."""
    if BLOCKED_ATTR not in op.attributes or "indexing_maps" not in op.attributes:
        return False
    if len(op.results) != 1 or any(static_shape(v) is None for v in op.operands):
        return False
    maps = indexing_maps(op)
    return maps[0].n_dims >= 5 and map_dims(maps[-1]) is not None


def _bf16_input(op: ir.Operation) -> bool:
    return isinstance(ir.ShapedType(op.operands[0].type).element_type, ir.BF16Type)


def _conv_loops(op: ir.Operation) -> list[int]:
    """(n, oh, ow, f, kh, kw, c) of an NHWC/HWCF convolution."""
    n, oh, ow, f = static_shape(op.results[0])
    kh, kw, c, _ = static_shape(op.operands[1])
    return [n, oh, ow, f, kh, kw, c]


def _depthwise_loops(op: ir.Operation) -> list[int]:
    """(n, oh, ow, c, kh, kw) of an NHWC/HWC depthwise convolution."""
    n, oh, ow, c = static_shape(op.results[0])
    kh, kw, _ = static_shape(op.operands[1])
    return [n, oh, ow, c, kh, kw]


def _inline(group: ir.Operation) -> None:
    splice_before(group.regions[0].blocks[0], group)


def _loop_sizes(op: ir.Operation) -> list[int]:
    maps = indexing_maps(op)
    sizes = [0] * maps[0].n_dims
    for value, amap in zip(op.operands, maps, strict=True):
        shape = static_shape(value) or []
        for d, extent in zip(broadcast_dims(amap) or [], shape, strict=False):
            if d >= 0:
                sizes[d] = extent
    return sizes


def _standalone_ops(module: ir.Operation) -> list[ir.Operation]:
    """Linalg ops not inside a tiled loop (groups are already scheduled)."""
    found = []
    for op in collect_ops(module):
        if not op.name.startswith("linalg.") or op.name in ("linalg.yield", "linalg.index"):
            continue
        if any(name.startswith(TAG_PREFIX) for name in op.attributes):
            continue
        loop = _enclosing(op, ("scf.forall", "scf.for"))
        if loop is not None and THREAD_BLOCKS_ATTR not in loop.attributes:
            continue
        found.append(op)
    return found


def _enclosing(op: ir.Operation, names) -> ir.Operation | None:
    """The innermost op named in ``names`` around ``op`` in its function, if any."""
    parent = op.parent
    while parent is not None and parent.operation.name != "func.func":
        if parent.operation.name in names:
            return parent.operation
        parent = parent.parent
    return None


def _in_thread_blocks(op: ir.Operation) -> bool:
    """Whether ``op`` is inside a graph-level ``scf.forall`` marked THREAD_BLOCKS_ATTR."""
    loop = _enclosing(op, ("scf.forall",))
    return loop is not None and THREAD_BLOCKS_ATTR in loop.attributes


def _plan_standalone(
    op: ir.Operation, tag: str, vector_width: int
) -> GenericPlan | PoolPlan | None:
    if not op.results or any(static_shape(r) is None for r in op.results):
        return None
    # Several results only from a generic whose loops its maps give (Winograd's
    # input transform writes one tensor per tile position).
    if len(op.results) != 1 and op.name != "linalg.generic":
        return None
    shape = static_shape(op.results[0])
    if op.name in POOLINGS:
        window = static_shape(op.operands[1])
        if window is None:
            return None
        n, oh, ow, c = shape
        kh, kw = window
        op.attributes[tag] = ir.UnitAttr.get()
        return PoolPlan(tag, (n, oh, ow, c, kh, kw), vector_width)
    if op.name in ("linalg.fill", "linalg.copy", "linalg.broadcast", "linalg.transpose"):
        loops, kinds, vectorizable = shape, ["parallel"] * len(shape), True
    elif op.name == "linalg.generic":
        maps = indexing_maps(op)
        if any(static_shape(v) is None for v in op.operands):
            return None
        kinds = iterator_types(op)
        if any(broadcast_dims(m) is None for m in maps):
            return None  # gathers (im2col): MLIR cannot tile through floordiv/mod maps
        if len(op.results) != 1 and "reduction" in kinds:
            # A multi-result reduction (max with its index) has no vector form here:
            # only Winograd's all-parallel transforms are scheduled with several results.
            return None
        loops = _loop_sizes(op)
        body = [inner.operation.name for inner in op.regions[0].blocks[0].operations][:-1]
        vectorizable = all(name.startswith(VECTOR_BODY_DIALECTS) for name in body)
    else:
        return None
    if not loops or 0 in loops:
        return None
    if has_bool_tensors(op):
        vectorizable = False
    op.attributes[tag] = ir.UnitAttr.get()
    # Reductions vectorize into 1-D reductions once their unit dims are gone.
    fold = op.name == "linalg.generic" and "reduction" in kinds
    tile = None
    if VECTOR_TILE_ATTR in op.attributes:
        tile = tuple(ir.DenseI64ArrayAttr(op.attributes[VECTOR_TILE_ATTR]))
    elif vectorizable and "reduction" not in kinds and len(op.results) == 1:
        tile = _transpose_tile(op, loops, vector_width)
    return GenericPlan(
        tag, tuple(loops), tuple(kinds), vectorizable, fold, tile, results=len(op.results)
    )


def _transpose_tile(op: ir.Operation, loops, vector_width: int) -> tuple[int, ...] | None:
    """A 2-D vector tile for an op that reads an input across its rows: the loop an
    input's last dimension follows (not the last loop) and the last loop, up to
    ``vector_width`` each (the widest of vector_width, 8, 4 dividing each). One tile row
    per loaded vector, transposed in registers: read one element per lane down a column
    instead, a 1024 x 1024 transpose ran at 2.5 GB/s."""
    last = len(loops) - 1
    if op.name == "linalg.transpose":
        perm = list(ir.DenseI64ArrayAttr(op.attributes["permutation"]))
        crossing = [perm.index(last)] if perm else []
    elif op.name != "linalg.generic":
        return None  # fill, copy, broadcast: read at the identity
    else:
        # Transposed: an input has the last loop, but not as its last dim (an input
        # without it, like a row's max in a softmax, is broadcast along the row).
        crossing = [
            dims[-1]
            for dims in map(broadcast_dims, indexing_maps(op)[:-1])
            if dims and last in dims[:-1]
        ]
    crossing = [d for d in crossing if d != last]
    if not crossing:
        return None
    across = crossing[0]
    widths = [w for w in (vector_width, 8, 4) if w <= vector_width]
    rows = next((w for w in widths if loops[across] % w == 0), None)
    lanes = next((w for w in widths if loops[last] % w == 0), None)
    if rows is None or lanes is None:
        return None
    tile = [1] * len(loops)
    tile[across], tile[last] = rows, lanes
    return tuple(tile)
