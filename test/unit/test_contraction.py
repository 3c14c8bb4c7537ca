"""passes/contraction_analysis.py: recognizing contractions and choosing their register blocking."""

from __future__ import annotations

import pytest
from kiln.passes.common import collect_ops
from kiln.passes.contraction_analysis import (
    CONTRACTION_OPS,
    MIN_ROWS,
    MR_CHOICES,
    Blocking,
    Contraction,
    analyze_contraction,
    choose_blocking,
)

MATMUL_T = (
    "affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, "
    "affine_map<(d0, d1, d2) -> (d0, d1)>"
)


def _generic(
    body: str,
    maps: str = MATMUL_T,
    kinds: str = '"parallel", "parallel", "reduction"',
    elt: str = "f32",
) -> str:
    """``C[16x64] (+)= f(A[16x32], Bt[64x32])`` as a linalg.generic with ``body``."""
    return f"""
func.func @f(%a: tensor<16x32x{elt}>, %bt: tensor<64x32x{elt}>, %c: tensor<16x64x{elt}>)
    -> tensor<16x64x{elt}> {{
  %r = linalg.generic {{indexing_maps = [{maps}], iterator_types = [{kinds}]}}
      ins(%a, %bt : tensor<16x32x{elt}>, tensor<64x32x{elt}>) outs(%c : tensor<16x64x{elt}>) {{
  ^bb0(%x: {elt}, %y: {elt}, %o: {elt}):
{body}
  }} -> tensor<16x64x{elt}>
  return %r : tensor<16x64x{elt}>
}}"""


MAC = (
    "    %p = arith.mulf %x, %y : f32\n    %q = arith.addf %o, %p : f32\n    linalg.yield %q : f32"
)


def _analyze(module) -> Contraction | None:
    """``analyze_contraction`` of the module's one candidate op (holding the module alive)."""
    ops = collect_ops(module.operation, CONTRACTION_OPS)
    assert len(ops) == 1
    return analyze_contraction(ops[0])


def test_matmul(parse):
    module = parse("""
func.func @f(%a: tensor<16x32xf32>, %b: tensor<32x64xf32>, %c: tensor<16x64xf32>)
    -> tensor<16x64xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<16x32xf32>, tensor<32x64xf32>)
                     outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}""")
    info = _analyze(module)
    assert info == Contraction(3, (), 0, 1, 2, (0, 2), (2, 1), (0, 1), (16, 64, 32))
    assert info.sizes == (16, 64, 32)


def test_batch_matmul(parse):
    module = parse("""
func.func @f(%a: tensor<3x16x32xf32>, %b: tensor<3x32x64xf32>, %c: tensor<3x16x64xf32>)
    -> tensor<3x16x64xf32> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<3x16x32xf32>, tensor<3x32x64xf32>)
                           outs(%c : tensor<3x16x64xf32>) -> tensor<3x16x64xf32>
  return %r : tensor<3x16x64xf32>
}""")
    info = _analyze(module)
    assert (info.n_loops, info.batch, info.m, info.n, info.k) == (4, (0,), 1, 2, 3)
    assert info.sizes == (16, 64, 32)
    assert info.loop_sizes == (3, 16, 64, 32)


@pytest.mark.parametrize(
    "body",
    [MAC, MAC.replace("arith.addf %o, %p", "arith.addf %p, %o")],
    ids=["acc-first", "acc-last"],
)
def test_generic_matmul_with_transposed_rhs(parse, body):
    info = _analyze(parse(_generic(body)))
    assert info is not None
    assert (info.m, info.n, info.k) == (0, 1, 2)
    assert info.b_dims == (1, 2)  # B is read as Bt[n, k]
    assert info.sizes == (16, 64, 32)


def test_conv_like_batch_loop_missing_from_a(parse):
    # C[n, m, p] += A[m, k] * B[n, k, p]: the image loop n is in B and C only.
    module = parse("""
func.func @f(%a: tensor<8x27xf32>, %b: tensor<2x27x100xf32>, %c: tensor<2x8x100xf32>)
    -> tensor<2x8x100xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(n, m, p, k) -> (m, k)>,
                                        affine_map<(n, m, p, k) -> (n, k, p)>,
                                        affine_map<(n, m, p, k) -> (n, m, p)>],
                       iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<8x27xf32>, tensor<2x27x100xf32>) outs(%c : tensor<2x8x100xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %q = arith.addf %o, %p : f32
    linalg.yield %q : f32
  } -> tensor<2x8x100xf32>
  return %r : tensor<2x8x100xf32>
}""")
    info = _analyze(module)
    assert (info.batch, info.m, info.n, info.k) == ((0,), 1, 2, 3)
    assert info.sizes == (8, 100, 27)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(_generic(MAC.replace("mulf", "subf")), id="sub-not-mul"),
        pytest.param(_generic(MAC.replace("%x, %y", "%x, %x")), id="square"),
        pytest.param(_generic(MAC.replace("addf %o, %p", "addf %p, %p")), id="no-accumulator"),
        pytest.param(
            _generic("    %p = arith.mulf %x, %y : f32\n    linalg.yield %p : f32"),
            id="no-reduction-body",
        ),
        pytest.param(_generic(MAC, kinds='"parallel", "parallel", "parallel"'), id="k-parallel"),
        pytest.param(
            _generic(
                MAC,
                maps="affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, "
                "affine_map<(d0, d1, d2) -> (d0, d1 + d2)>",
            ).replace("tensor<16x64xf32>", "tensor<16x95xf32>"),
            id="non-projected-map",
        ),
    ],
)
def test_not_contractions(parse, text):
    assert _analyze(parse(text)) is None


@pytest.mark.parametrize("elt", ["i32", "f64", "f16"])
def test_non_f32_matmul_is_not_analyzed(parse, elt):
    module = parse(f"""
func.func @f(%a: tensor<16x32x{elt}>, %b: tensor<32x64x{elt}>, %c: tensor<16x64x{elt}>)
    -> tensor<16x64x{elt}> {{
  %r = linalg.matmul ins(%a, %b : tensor<16x32x{elt}>, tensor<32x64x{elt}>)
                     outs(%c : tensor<16x64x{elt}>)
      -> tensor<16x64x{elt}>
  return %r : tensor<16x64x{elt}>
}}""")
    assert _analyze(module) is None


def test_dynamic_matmul_is_not_analyzed(parse):
    module = parse("""
func.func @f(%a: tensor<?x32xf32>, %b: tensor<32x64xf32>, %c: tensor<?x64xf32>)
    -> tensor<?x64xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<?x32xf32>, tensor<32x64xf32>)
                     outs(%c : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}""")
    assert _analyze(module) is None


def test_blocked_contraction_is_not_analyzed_again(parse):
    module = parse(
        _generic(MAC).replace(
            "iterator_types = [", "kiln.blocked = array<i64: 4, 16>, iterator_types = ["
        )
    )
    assert _analyze(module) is None


def test_fill_is_not_a_contraction(parse):
    module = parse("""
func.func @f(%c: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %z = arith.constant 0.0 : f32
  %r = linalg.fill ins(%z : f32) outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %r : tensor<4x4xf32>
}""")
    fill = collect_ops(module.operation, ["linalg.fill"])[0]
    assert analyze_contraction(fill) is None


def test_generic_yielding_the_product_is_not_a_contraction(parse):
    body = MAC.replace("linalg.yield %q", "linalg.yield %p")
    assert _analyze(parse(_generic(body))) is None


def test_unit_rows_are_not_the_block_rows(parse):
    """A[h, i, 1, k] x B[h, k, j] -> C[h, i, 1, j] (Funnel's relative attention): the rows
    of A innermost in it are a unit loop; m is the 128-long loop, the unit one a batch
    loop (a 1-row block over 128 batched rows ran 3x slower than eager)."""
    maps = (
        "affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>, "
        "affine_map<(d0, d1, d2, d3, d4) -> (d0, d4, d3)>, "
        "affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>"
    )
    module = parse(f"""
func.func @f(%a: tensor<12x128x1x64xf32>, %b: tensor<12x64x256xf32>, %c: tensor<12x128x1x256xf32>)
    -> tensor<12x128x1x256xf32> {{
  %r = linalg.generic {{indexing_maps = [{maps}],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}}
      ins(%a, %b : tensor<12x128x1x64xf32>, tensor<12x64x256xf32>)
      outs(%c : tensor<12x128x1x256xf32>) {{
  ^bb0(%x: f32, %y: f32, %o: f32):
{MAC}
  }} -> tensor<12x128x1x256xf32>
  return %r : tensor<12x128x1x256xf32>
}}""")
    info = _analyze(module)
    assert (info.m, info.n, info.k) == (1, 3, 4)
    assert info.batch == (0, 2)
    assert info.sizes == (128, 256, 64)


# --- choose_blocking ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("m", "n", "width", "blocking"),
    [
        (32, 10, 8, Blocking(8, 8, 16, 32)),  # MLP head: one vector wide, N padded
        (32, 1024, 8, Blocking(4, 16, 1024, 32)),  # two vectors wide
        (32, 1024, 16, Blocking(4, 32, 1024, 32)),
        (256, 768, 16, Blocking(4, 32, 768, 256)),
        (128, 64, 4, Blocking(4, 8, 64, 128)),
        (7, 64, 8, Blocking(4, 16, 64, 8)),  # prime M: padded to whole 4-row blocks
        (197, 3072, 16, Blocking(4, 32, 3072, 200)),  # ViT's 197 tokens
        (14, 64, 8, Blocking(4, 16, 64, 16)),  # only 2 divides 14: too few rows, padded
        (9, 64, 8, Blocking(3, 16, 64, 9)),  # 3 rows divide 9: not padded
        (2, 64, 8, Blocking(2, 16, 64, 2)),  # all of M in one block
        (1, 1000, 16, Blocking(1, 16, 1008, 1)),  # ResNet head
        (18, 24, 8, Blocking(6, 8, 24, 18)),  # 18 is no multiple of 4 or 8
        (30, 32, 8, Blocking(6, 16, 32, 30)),
        # N no multiple of two vectors, padded that far when it costs <= 7% more work
        (197, 197, 8, Blocking(4, 16, 208, 200)),  # attention's q k^T: 208 vs 200
        (197, 1000, 8, Blocking(4, 16, 1008, 200)),
        (1, 1000, 8, Blocking(1, 8, 1000, 1)),  # one row: least padding
        (64, 104, 8, Blocking(8, 8, 104, 64)),  # 112 vs 104: 7.7% more, one vector
        (64, 20, 8, Blocking(8, 8, 24, 64)),  # 32 vs 24
        (64, 197, 16, Blocking(8, 16, 208, 64)),  # 224 vs 208: 7.7% more
    ],
)
def test_choose_blocking(m, n, width, blocking):
    assert choose_blocking(m, n, width) == blocking


@pytest.mark.parametrize(
    ("m", "n", "blocking"),
    [
        (1024, 1024, Blocking(4, 64, 1024, 1024)),  # four zmm wide with 32 registers
        (384, 768, Blocking(6, 64, 768, 384)),
        (256, 96, Blocking(4, 32, 96, 256)),  # N no multiple of 64: two wide, as with 16
        (32, 10, Blocking(8, 16, 16, 32)),
    ],
)
def test_choose_blocking_32_registers(m, n, blocking):
    assert choose_blocking(m, n, 16, registers=32) == blocking


@pytest.mark.parametrize("width", [4, 8, 16])
@pytest.mark.parametrize("registers", [16, 32])
def test_blocking_invariants(width, registers):
    for m in range(1, 70):
        for n in range(1, 5 * width + 3):
            b = choose_blocking(m, n, width, registers)
            assert b.nr in (
                (width, 2 * width, 4 * width) if registers == 32 else (width, 2 * width)
            )
            assert b.m_padded % b.mr == 0 and m <= b.m_padded < m + b.mr
            assert b.m_padded == m or b.mr == MR_CHOICES[b.nr // width][0]
            assert b.mr >= MIN_ROWS or b.mr == m  # never a block of one or two rows of many
            assert b.n_padded % b.nr == 0 and n <= b.n_padded < n + b.nr
            vectors = b.nr // width
            assert b.mr in MR_CHOICES[vectors]
            # accumulators + one B load per vector + one broadcast fit in the registers
            assert b.mr * vectors + vectors + 1 <= registers
