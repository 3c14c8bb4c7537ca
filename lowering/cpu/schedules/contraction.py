"""Schedule for a fusion group: a blocked contraction with its fill and epilogue.

Per group (loops of the contraction: batch..., m1, n1, k, m0, n0, and kp for bf16 pairs):
1. the last op of the group (the root) is tiled by an ``scf.forall`` that
   splits one of n1 / m1 / batch across the threads (over n1: one column
   strip per iteration, the strips dealt out evenly, so that each strip's
   fill and epilogue run while it is in cache); the rest of the group is
   fused into it, producer after producer;
2. inside, the contraction is tiled in BLIS order n1 -> k (cache chunk of
   ``kc``) -> m1, then k again by ``ku`` (the unrolled inner step): each
   innermost op is one mr x nr register block updated ku times;
3. the fill and the epilogue ops are tiled to one register block per
   iteration.
Every innermost op is marked ``kiln.vectorize`` for ``kiln-vectorize``, except
the tiles of members the plan lists as scalar (gathers): those become loops.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiln.passes.transform_script import Schedule

VECTORIZE_ATTR = "kiln.vectorize"
# Tiles whose unit dims kiln-vectorize drops before vectorizing (register blocks).
FOLD_UNIT_DIMS_ATTR = "kiln.fold_unit_dims"


@dataclass(frozen=True)
class ContractionPlan:
    """Static facts about one group, read from the IR before scheduling."""

    n_batch: int
    loop_sizes: tuple[int, ...]  # of the contraction: batch..., m1, n1, k, m0, n0 (, kp)
    c_loops: tuple[int, ...]  # contraction loop of each output dim
    root_tag: str
    member_tags: tuple[str, ...]  # producers of the root, innermost first... in group order
    anchor_tag: str
    fill_tag: str | None
    scalar_tags: tuple[str, ...] = ()  # members kiln-vectorize cannot handle (gathers)
    k_pack: int = 1  # 2: bf16 pairs, a last loop kp (never tiled: the dot product's pair)


def cache_tile(k: int, ku: int, target: int = 256) -> int:
    """The largest multiple of ``ku`` dividing ``k`` and at most ``target``."""
    best = ku
    for kc in range(ku, min(k, target) + 1, ku):
        if k % kc == 0:
            best = kc
    return best


def inner_step(k: int) -> int:
    """Unrolled k step of the micro-kernel."""
    for ku in (8, 4, 6, 7, 5, 3, 2):
        if k % ku == 0:
            return ku
    return 1


def thread_split(plan: ContractionPlan, threads: int) -> tuple[int, int]:
    """(contraction loop, chunk) to split across threads: n1, else m1, else a batch loop."""
    nb = plan.n_batch
    m1, n1 = nb, nb + 1
    for loop in (n1, m1, *range(nb)):
        extent = plan.loop_sizes[loop]
        if extent >= threads and extent % threads == 0:
            return loop, extent // threads
    # No even split: one forall iteration (it still anchors the fusion).
    return n1, plan.loop_sizes[n1]


def root_tile_sizes(plan: ContractionPlan, threads: int) -> list[int]:
    """``scf.forall`` tile sizes over the root's loops (the anchor's, or its output dims).

    Over n1 the forall steps over single column strips (nr wide) when there
    are more of them than threads: each thread still runs its share in
    n1 -> k -> m1 order, and a strip's init and epilogue run right after its
    last k block, while the strip is in L1, instead of sweeping the thread's
    whole output afterwards.
    """
    loop, chunk = thread_split(plan, threads)
    if loop == plan.n_batch + 1 and plan.loop_sizes[loop] > threads:
        chunk = 1
    if plan.root_tag == plan.anchor_tag:
        sizes = [0] * len(plan.loop_sizes)
        sizes[loop] = chunk
    else:
        sizes = [0] * len(plan.c_loops)
        sizes[plan.c_loops.index(loop)] = chunk
    return sizes


def schedule_contraction_group(sched: Schedule, plan: ContractionPlan, threads: int) -> None:
    """Appends the group's schedule to ``sched`` (see module docstring)."""
    nb = plan.n_batch
    m1, n1, k = nb, nb + 1, nb + 2
    root = sched.match(attr=plan.root_tag)
    _, forall = sched.tile_forall(root, root_tile_sizes(plan, threads))
    for tag in reversed(plan.member_tags):
        producer = sched.match(attr=tag)
        _, forall = sched.fuse_into(producer, forall)

    k_size = plan.loop_sizes[k]
    ku = inner_step(k_size)
    kc = cache_tile(k_size, ku)
    anchor = sched.match(attr=plan.anchor_tag, within=forall)
    pair = [0] * (plan.k_pack > 1)
    sizes = [1] * nb + [1, 1, kc, 0, 0] + pair
    interchange = list(range(nb)) + [n1, k, m1, nb + 3, nb + 4] + [nb + 5] * len(pair)
    tiled, _ = sched.tile_for(anchor, sizes, interchange=interchange)
    inner, _ = sched.tile_for(tiled, [0] * (nb + 2) + [ku, 0, 0] + pair)
    sched.annotate(inner, VECTORIZE_ATTR)
    sched.annotate(inner, FOLD_UNIT_DIMS_ATTR)

    block_sizes = [1 if loop in (m1, n1) or loop < nb else 0 for loop in plan.c_loops]
    others = [
        t for t in (plan.fill_tag, *plan.member_tags, plan.root_tag) if t and t != plan.anchor_tag
    ]
    for tag in dict.fromkeys(others):
        op = sched.match(attr=tag, within=forall)
        tiled_op, _ = sched.tile_for(op, block_sizes)
        if tag in plan.scalar_tags:
            continue
        sched.annotate(tiled_op, VECTORIZE_ATTR)
        sched.annotate(tiled_op, FOLD_UNIT_DIMS_ATTR)
