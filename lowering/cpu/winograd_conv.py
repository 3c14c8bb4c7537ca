"""kiln-winograd-conv: 3x3 stride-1 convolutions as Winograd F(m,3) transforms + a batch matmul.

An eligible ``linalg.conv_2d_nhwc_hwcf`` (f32, 3x3, stride 1, dilation 1, a
constant filter, static shapes, at least ``min-channels`` input and output
channels, an output at least ``min-size`` high and wide) becomes, for output
tiles of m x m pixels (alpha = m + 2):

    %u = arith.constant                 // [alpha^2, C, F]: G g G^T, numpy float64 -> f32
    %v = input transform BT d B, separable: two linalg.generics of alpha strided views
         in and alpha results out (rows, then columns), channels innermost
    %mm = linalg.batch_matmul ins(collapse(%v) : [alpha^2, T, C], %u : [alpha^2, C, F])
    %z = output transform AT M A, separable likewise (alpha in, m out, AT's zeros
         skipped), into Z[m, m, N, TH, TW, F], each output row's slice contiguous
    %y = linalg.generic (init + Z over [N, TH, m, TW, m, F], collapsed to [N, OH, OW, F];
         Z read transposed)

(``winograd_transforms.py`` builds the transforms. For F(4,3) the separable form's
IR has 2 x 12 operands and 12 sums for the input transform and 2 x 10 operands and
8 sums for the output transform, where one 2-D generic each has 72 operands and 72
sums, and 52 operands and 40 sums: every later pass (tiling, bufferization, LLVM)
pays for those; measurements in the README's Winograd section.)

The 2-D form (``winograd_transforms_2d.py``) runs faster: the separable passes write
and read their intermediate rows, and ResNet-18 ran 5-6% slower with them at 1 and 2
threads (saved libraries alternated in one process, under load), DenseNet-121 3-10%
faster. So the form is chosen per module by what it costs to compile: above
``separable-above`` rewritten convolutions (default 24: ResNet-18 has 10, ResNet-50 11,
DenseNet-121 42) every one is separable, else every one is 2-D.

The batch matmul is an ordinary contraction: ``kiln-pack-contractions`` packs its
constant right-hand side at compile time. The last op is an elementwise generic
with the convolution's init (the bias) as its output, so ``kiln-fuse-elementwise``
fuses the epilogue (BN, ReLU, residual add) into it when the output is a whole
number of tiles (otherwise a slice sits between them). Outputs that are not a
multiple of m are computed on a zero-extended input and sliced. ``tile=0`` picks
m in {2, 4} per layer by the multiplies it needs (padded tiles x alpha^2);
``tile=2`` or ``tile=4`` forces one.

Where the transformed tensors (alpha^2 x tiles x (C + F) floats) outweigh half the
transformed filter, %v, %mm and %z are computed per block of tile rows inside one
``scf.forall`` marked ``kiln.thread_blocks`` (its iterations are the thread split;
``kiln-tile-and-fuse`` tiles the ops inside for one thread), each block's tensors
at most BLOCK_BYTES so they stay in cache between the three ops; ``row-blocks``
forces a count (rounded down to a divisor of the tile rows; 1: no loop).

The defaults (``min-size=14``, the block rule) come from paired measurements of
ResNet-18's layers at 1 and 2 threads (README, Winograd section): 56x56, 28x28
and 14x14 win at both; 7x7 (512 channels, F(2,3)) did not clearly win.

Upstream's ``linalg.winograd_*_transform`` ops (``transform.structured.winograd_conv2d``)
take an FHWC filter and decompose into per-tile ``scf.for`` loops of alpha x alpha
matmuls with channels outermost, which do not vectorize over channels as
kiln's schedules need; this rewrite keeps channels innermost instead.

Error: F(m,3) in f32 differs from the exact convolution by at most, to first order,
``2^-24 * (C + 6) * E_m * max|w| * max|x|`` per output, with E_2 = 64 and
E_4 = 2304 (``Winograd.error_factor``), against ``2^-24 * 9C * max|w| * max|x|``
for the direct sum. Measured on random data, F(2,3) is about as accurate as the
direct convolution and F(4,3) about 10x less (README, Winograd section).

Pre: linalg-on-tensors after ``kiln-conv-to-nhwc`` and constant folding (HWCF
filters are constants).
Post: eligible convolutions are replaced; others are untouched.
"""

from __future__ import annotations

import math

from kiln.lowering.cpu.winograd_build import build_winograd
from kiln.lowering.cpu.winograd_matrices import TRANSFORMS
from kiln.passes.common import collect_ops, constant_array, static_shape
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir

CONV = "linalg.conv_2d_nhwc_hwcf"
# The form's rule (module docstring): ResNet-18 (10 rewritten convolutions), -50 (11)
# and Inception-v3 (10) keep the 2-D form, DenseNet-121 (42) gets the separable one.
SEPARABLE_ABOVE = 24


@register
class WinogradConv(KilnPass):
    """Rewrite 3x3 stride-1 f32 convolutions with constant filters into Winograd F(m,3)."""

    name = "kiln-winograd-conv"
    tile: int = 0
    min_channels: int = 32
    # Smallest output height and width rewritten (per-layer rule, see module docstring).
    min_size: int = 14
    # Blocks of tile rows the transforms and the batch matmul run in (0: per layer).
    row_blocks: int = 0
    # Above this many rewritten convolutions in the module, the transforms are
    # separable (a quarter of the IR: compile time) rather than 2-D (run time).
    separable_above: int = SEPARABLE_ABOVE

    def validate(self) -> None:
        if self.tile not in (0, 2, 4):
            raise ValueError(
                f"kiln-winograd-conv: tile must be 0 (per layer), 2 or 4, got {self.tile}"
            )
        for option in ("min_channels", "min_size"):
            if getattr(self, option) < 1:
                raise ValueError(
                    f"kiln-winograd-conv: {option.replace('_', '-')} must be >= 1, "
                    f"got {getattr(self, option)}"
                )
        if self.row_blocks < 0:
            raise ValueError(f"kiln-winograd-conv: row-blocks must be >= 0, got {self.row_blocks}")
        if self.separable_above < 0:
            raise ValueError(
                f"kiln-winograd-conv: separable-above must be >= 0, got {self.separable_above}"
            )

    def run(self, module: ir.Operation) -> None:
        eligible = []
        for op in collect_ops(module, [CONV]):
            filt = _eligible_filter(op, self.min_channels)
            if filt is None:
                continue
            if min(static_shape(op.operands[2])[1:3]) < self.min_size:
                continue
            eligible.append((op, filt))
        separable = len(eligible) > self.separable_above
        for op, filt in eligible:
            n, out_h, out_w, f = static_shape(op.operands[2])
            m = self.tile or choose_tile(out_h, out_w)
            th, tw = -(-out_h // m), -(-out_w // m)
            if self.row_blocks:
                blocks = divisor_at_most(th, self.row_blocks)
            else:
                blocks = choose_row_blocks(n, th, tw, filt.shape[2], f, m + 2)
            with ir.InsertionPoint(op), op.location:
                result = build_winograd(op, filt, TRANSFORMS[m], blocks, separable)
            op.results[0].replace_all_uses_with(result)
            op.erase()


def choose_tile(out_h: int, out_w: int) -> int:
    """m in (2, 4) needing the fewest multiplies per channel pair, padded tiles counted."""

    def cost(m: int) -> int:
        return math.ceil(out_h / m) * math.ceil(out_w / m) * (m + 2) ** 2

    return min((2, 4), key=lambda m: (cost(m), m))


# Bytes of one block's transformed input and products: about an L2 (Zen 3: 512 KiB).
BLOCK_BYTES = 600 * 1024


def choose_row_blocks(n: int, th: int, tw: int, c: int, f: int, alpha: int) -> int:
    """Blocks of tile rows: the fewest whose transformed input and products (alpha^2
    x tiles x (C + F) floats) fit BLOCK_BYTES, or 1 where they weigh less than half the
    transformed filter (alpha^2 x C x F floats), which every block reads again."""
    row_bytes = alpha * alpha * n * tw * (c + f) * 4
    if th * row_bytes * 2 < alpha * alpha * c * f * 4:
        return 1
    rows = max(
        (r for r in range(1, th + 1) if th % r == 0 and r * row_bytes <= BLOCK_BYTES), default=1
    )
    return th // rows


def divisor_at_most(extent: int, wanted: int) -> int:
    """The largest divisor of ``extent`` that is at most ``wanted``."""
    return max(b for b in range(1, min(wanted, extent) + 1) if extent % b == 0)


def _eligible_filter(op: ir.Operation, min_channels: int):
    """The HWCF filter as a numpy array if ``op`` can be rewritten, else None."""
    shapes = [static_shape(v) for v in op.operands]
    if any(s is None for s in shapes):
        return None
    if not all(isinstance(ir.ShapedType(v.type).element_type, ir.F32Type) for v in op.operands):
        return None
    for name in ("strides", "dilations"):
        if list(ir.DenseIntElementsAttr(op.attributes[name])) != [1, 1]:
            return None
    kh, kw, c, f = shapes[1]
    if (kh, kw) != (3, 3) or min(c, f) < min_channels:
        return None
    return constant_array(op.operands[1])
