"""passes/schedules/*.py: helpers choosing tile sizes, k steps, vector lengths, thread splits."""

from __future__ import annotations

import pytest
from kiln.lowering.cpu.schedules.contraction import (
    ContractionPlan,
    cache_tile,
    inner_step,
    root_tile_sizes,
    thread_split,
)
from kiln.lowering.cpu.schedules.generic import GenericPlan, thread_tile_sizes, vector_length

# --- contraction: k steps and cache tiles -------------------------------------------


@pytest.mark.parametrize(
    ("k", "ku"),
    [
        (784, 8),
        (1024, 8),
        (27, 3),
        (12, 4),
        (18, 6),
        (49, 7),
        (10, 5),
        (9, 3),
        (2, 2),
        (13, 1),
        (1, 1),
    ],
)
def test_inner_step(k, ku):
    assert inner_step(k) == ku


@pytest.mark.parametrize(
    ("k", "ku", "kc"),
    [
        (784, 8, 112),  # 8 * 14 divides 784; 8 * 28 = 224 does not
        (1024, 8, 256),
        (3072, 8, 256),
        (27, 3, 27),  # small k: one chunk
        (147, 7, 147),  # 7x7 conv over 3 channels
        (1152, 8, 192),
        (13, 1, 13),
        (600, 8, 200),
    ],
)
def test_cache_tile(k, ku, kc):
    assert cache_tile(k, ku) == kc


def test_cache_tile_target():
    assert cache_tile(1024, 8, target=64) == 64
    assert cache_tile(1024, 8, target=100) == 64


def test_k_tiling_invariants():
    for k in range(1, 2100):
        ku = inner_step(k)
        kc = cache_tile(k, ku)
        assert k % ku == 0, k
        assert k % kc == 0 and kc % ku == 0, k
        assert kc <= max(256, ku), k
        # no larger multiple of ku that divides k fits under the target
        assert not any(k % c == 0 for c in range(kc + ku, min(k, 256) + 1, ku)), k


# --- contraction: thread splits -----------------------------------------------------


def _plan(loop_sizes, n_batch=0, c_loops=None, root="root", anchor="root") -> ContractionPlan:
    return ContractionPlan(
        n_batch=n_batch,
        loop_sizes=tuple(loop_sizes),
        c_loops=tuple(c_loops if c_loops is not None else range(len(loop_sizes))),
        root_tag=root,
        member_tags=(),
        anchor_tag=anchor,
        fill_tag=None,
    )


# loops: m1, n1, k, m0, n0 (no batch)
MLP_L1 = _plan((8, 64, 784, 4, 16))  # 32x1024x784, block 4x16
MLP_HEAD = _plan((4, 1, 1024, 8, 16))  # 32x16(10 padded)x1024, block 8x16


@pytest.mark.parametrize(
    ("plan", "threads", "split"),
    [
        (MLP_L1, 1, (1, 64)),
        (MLP_L1, 2, (1, 32)),  # n1 first
        (MLP_L1, 8, (1, 8)),
        (MLP_HEAD, 2, (0, 2)),  # one n1 block: split m1
        (MLP_HEAD, 4, (0, 1)),
        (_plan((5, 3, 64, 4, 16)), 2, (1, 3)),  # nothing divides: one iteration over n1
        (_plan((3, 6, 64, 4, 16)), 4, (1, 6)),
        # batch loops come first: batch, m1, n1, k, m0, n0
        (_plan((12, 4, 1, 64, 4, 16), n_batch=1), 2, (1, 2)),
        (_plan((12, 1, 1, 64, 4, 16), n_batch=1), 2, (0, 6)),
        (_plan((3, 8, 1, 1, 64, 4, 16), n_batch=2), 8, (1, 1)),
    ],
)
def test_thread_split(plan, threads, split):
    assert thread_split(plan, threads) == split


def test_thread_split_divides_the_loop():
    for m1 in range(1, 13):
        for n1 in range(1, 13):
            for threads in (1, 2, 3, 4, 8):
                loop, chunk = thread_split(_plan((m1, n1, 64, 4, 16)), threads)
                extent = (m1, n1)[loop]
                assert extent % chunk == 0
                assert extent // chunk in (1, threads)


def test_root_tile_sizes_on_the_anchor():
    # n1 splits evenly: one column strip per forall iteration (64 strips, 32 per thread).
    assert root_tile_sizes(MLP_L1, 2) == [0, 1, 0, 0, 0]
    assert root_tile_sizes(MLP_HEAD, 2) == [2, 0, 0, 0, 0]


def test_root_tile_sizes_on_an_epilogue():
    # The root is an epilogue over the output dims (m1, n1, m0, n0) = loops (0, 1, 3, 4).
    plan = _plan((8, 64, 784, 4, 16), c_loops=(0, 1, 3, 4), root="relu", anchor="matmul")
    assert root_tile_sizes(plan, 2) == [0, 1, 0, 0]
    head = _plan((4, 1, 1024, 8, 16), c_loops=(0, 1, 3, 4), root="add", anchor="matmul")
    assert root_tile_sizes(head, 4) == [1, 0, 0, 0]


# --- generic ops: vector lengths and thread splits ----------------------------------


@pytest.mark.parametrize(
    ("extent", "max_vector", "width"),
    [
        (10, 64, 10),  # small: all of it
        (64, 64, 64),
        (128, 64, 64),
        (768, 64, 64),
        (96, 64, 32),
        (48, 32, 16),
        (200, 64, 8),
        (100, 64, 8),  # no divisor: partial last tile, masked
        (130, 64, 8),
        (1000, 16, 8),
        (1024, 16, 16),
    ],
)
def test_vector_length(extent, max_vector, width):
    assert vector_length(extent, max_vector) == width


@pytest.mark.parametrize("max_vector", [8, 16, 32, 64])
def test_vector_length_never_exceeds_max_vector(max_vector):
    for extent in range(1, 600):
        assert 1 <= vector_length(extent, max_vector) <= max_vector


def _generic(loop_sizes, kinds) -> GenericPlan:
    return GenericPlan("kiln.tag", tuple(loop_sizes), tuple(kinds), True)


@pytest.mark.parametrize(
    ("plan", "threads", "sizes"),
    [
        (_generic((32, 1024), ("parallel", "parallel")), 1, None),
        (_generic((32, 1024), ("parallel", "parallel")), 2, [16, 0]),
        (_generic((1, 16000), ("parallel", "parallel")), 2, None),  # too small to fork for
        (_generic((1, 16384), ("parallel", "parallel")), 2, [0, 8192]),
        (_generic((3, 7 << 14), ("parallel", "parallel")), 2, [0, 7 << 13]),
        (_generic((256, 768), ("parallel", "reduction")), 2, [128, 0]),
        (_generic((1, 768), ("parallel", "reduction")), 2, None),
    ],
)
def test_thread_tile_sizes(plan, threads, sizes):
    assert thread_tile_sizes(plan, threads) == sizes


def test_thread_tile_sizes_split_evenly():
    for a in range(1, 10):
        for b in range(1, 10):
            for threads in (2, 3, 4):
                plan = _generic((a, b), ("parallel", "parallel"))
                sizes = thread_tile_sizes(plan, threads, min_iterations=1)
                if sizes is None:
                    assert all(e < threads or e % threads for e in (a, b))
                    continue
                loop = next(i for i, s in enumerate(sizes) if s)
                assert plan.loop_sizes[loop] == sizes[loop] * threads
