"""What each loop nest computes and touches, and the roofline plot that places it.

``nest_costs`` reads the ``loops``-level IR (the nests ``kiln-profile-regions``
times, in its order) and counts, for each nest, its floating-point operations
(each arith/math float op once per vector lane, an FMA twice, times the trip
counts of the loops around it) and the bytes of the distinct buffers it reads
or writes (compulsory traffic: a lower bound). A nest whose loop bounds are
not constants has unknown flops.

``roofline_svg`` draws nests (GFLOP/s against FLOP/byte, log-log) under the
machine's two roofs: its FMA peak and its bandwidth times intensity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from kiln.ir import ir

FMA_OPS = ("vector.fma", "math.fma", "llvm.intr.fma")
BF16_DOT = "x86.avx512.dot"  # vdpbf16ps (precision="bf16")
# View-like ops: the buffer they read is their source's.
VIEWS = (
    "memref.subview",
    "memref.reinterpret_cast",
    "memref.expand_shape",
    "memref.collapse_shape",
    "memref.cast",
    "memref.transpose",
    "memref.view",
)
ACCESSES = (
    "memref.load",
    "memref.store",
    "memref.copy",
    "vector.load",
    "vector.store",
    "vector.transfer_read",
    "vector.transfer_write",
    "vector.maskedload",
    "vector.maskedstore",
    "vector.gather",
    "vector.scatter",
)
ELEMENT_BYTES = {"f64": 8, "f32": 4, "f16": 2, "bf16": 2, "i64": 8, "i32": 4, "i16": 2, "i8": 1}


@dataclass(frozen=True)
class NestCost:
    """One loop nest's work: floating-point operations (None: not static) and bytes."""

    flops: int | None
    bytes: int

    @property
    def intensity(self) -> float | None:
        """FLOP per byte, when both are known and non-zero."""
        if not self.flops or not self.bytes:
            return None
        return self.flops / self.bytes


def nest_costs(nests: list[ir.Operation]) -> list[NestCost]:
    """The cost of each nest (``kiln.lowering.cpu.profile_regions.profiled_nests``)."""
    return [NestCost(_flops(nest, 1), _bytes(nest)) for nest in nests]


def _flops(op: ir.Operation, times: int) -> int | None:
    """Float operations of ``op`` and what it holds, run ``times`` times (None: a loop
    whose trip count is not a constant)."""
    total = _op_flops(op) * times
    if not op.regions:
        return total
    trips = _trip_count(op)
    if trips is None:
        return None
    for region in op.regions:
        for block in region.blocks:
            for inner in block.operations:
                nested = _flops(inner.operation, times * trips)
                if nested is None:
                    return None
                total += nested
    return total


def _op_flops(op: ir.Operation) -> int:
    name = op.name
    if not op.results or not name.startswith(("arith.", "math.", "vector.", "llvm.", "x86.")):
        return 0
    if name in FMA_OPS:
        return 2 * _lanes(op.results[0].type)
    if name == BF16_DOT:  # each f32 lane: two products, two adds
        return 4 * _lanes(op.results[0].type)
    if name in ("vector.reduction", "vector.multi_reduction"):
        return _lanes(op.operands[0].type) if _is_float(op.operands[0].type) else 0
    if name.startswith(("arith.", "math.")) and _is_float(op.results[0].type):
        if name in ("arith.constant", "arith.select") or "cmp" in name or "ext" in name:
            return 0
        if "trunc" in name or "tofp" in name or "tosi" in name or "toui" in name:
            return 0
        return _lanes(op.results[0].type)
    return 0


def _is_float(ty: ir.Type) -> bool:
    elt = ir.VectorType(ty).element_type if isinstance(ty, ir.VectorType) else ty
    return isinstance(elt, ir.FloatType)


def _lanes(ty: ir.Type) -> int:
    if not isinstance(ty, ir.VectorType):
        return 1
    return math.prod(ir.VectorType(ty).shape)


def _trip_count(op: ir.Operation) -> int | None:
    """How often ``op``'s body runs per execution of ``op`` (1 for non-loops)."""
    name = op.name
    if name == "scf.for":
        return _trips(op.operands[0], op.operands[1], op.operands[2])
    if name in ("scf.parallel", "omp.loop_nest"):
        n = len(op.regions[0].blocks[0].arguments)  # one induction variable per dimension
        lbs, ubs, steps = op.operands[:n], op.operands[n : 2 * n], op.operands[2 * n : 3 * n]
        counts = [_trips(lb, ub, st) for lb, ub, st in zip(lbs, ubs, steps, strict=True)]
        return None if None in counts else math.prod(counts)
    if name in ("scf.while", "scf.forall"):
        return None
    return 1  # if, parallel/wsloop wrappers, execute_region...


def _trips(lb: ir.Value, ub: ir.Value, step: ir.Value) -> int | None:
    values = [_constant(v) for v in (lb, ub, step)]
    if None in values or values[2] <= 0:
        return None
    low, high, stride = values
    return max(0, -(-(high - low) // stride))


def _constant(value: ir.Value) -> int | None:
    owner = value.owner
    if isinstance(owner, ir.Block) or owner.operation.name != "arith.constant":
        return None
    attr = owner.operation.attributes["value"]
    return ir.IntegerAttr(attr).value if isinstance(attr, ir.IntegerAttr) else None


def _bytes(nest: ir.Operation) -> int:
    """Bytes of the distinct buffers the nest's memory ops read or write."""
    seen: dict[object, int] = {}

    def visit(op):
        op = op.operation
        if op.name in ACCESSES:
            for value in op.operands:
                if isinstance(value.type, ir.MemRefType):
                    root, size = _root_buffer(value)
                    seen[root] = size
        return ir.WalkResult.ADVANCE

    nest.walk(visit)
    return sum(seen.values())


def _root_buffer(value: ir.Value) -> tuple[object, int]:
    """A key for the buffer under any views of ``value``, and that buffer's bytes."""
    while not isinstance(value.owner, ir.Block) and value.owner.operation.name in VIEWS:
        value = value.owner.operation.operands[0]
    owner = value.owner
    if not isinstance(owner, ir.Block) and owner.operation.name == "memref.get_global":
        key = str(owner.operation.attributes["name"])
    else:
        key = value
    return key, _memref_bytes(value.type)


def _memref_bytes(ty: ir.Type) -> int:
    shaped = ir.MemRefType(ty)
    if not shaped.has_static_shape:
        return 0
    elt = str(shaped.element_type)
    return math.prod(shaped.shape) * ELEMENT_BYTES.get(elt, 1)


# --- the plot ------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One nest on the plot: its label, link target, FLOP/byte and GFLOP/s."""

    label: str
    anchor: str
    intensity: float
    gflops: float
    title: str


WIDTH, HEIGHT = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 20, 48


def roofline_svg(points: list[Point], peak_gflops: float, bandwidth_gbs: float) -> str:
    """An inline SVG roofline: log-log axes, the two roofs, one linked dot per point."""
    ridge = peak_gflops / bandwidth_gbs
    xs = [p.intensity for p in points] + [ridge / 16, ridge * 16]
    ys = [p.gflops for p in points] + [peak_gflops * 2, bandwidth_gbs * ridge / 16]
    x0, x1 = _decades(min(xs), max(xs))
    y0, y1 = _decades(min(ys), max(ys))

    def sx(x: float) -> float:
        return LEFT + (math.log10(x) - x0) / (x1 - x0) * (WIDTH - LEFT - RIGHT)

    def sy(y: float) -> float:
        return HEIGHT - BOTTOM - (math.log10(y) - y0) / (y1 - y0) * (HEIGHT - TOP - BOTTOM)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="roofline" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'aria-label="roofline: GFLOP/s against arithmetic intensity">'
    ]
    parts += _grid(x0, x1, y0, y1, sx, sy)
    # The slanted roof starts where it enters the plot (its left end or its floor).
    left = max(10**x0, 10**y0 / bandwidth_gbs)
    roof = [(left, bandwidth_gbs * left), (ridge, peak_gflops), (10**x1, peak_gflops)]
    path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in roof)
    parts.append(f'<polyline class="roof" points="{path}"/>')
    parts.append(
        f'<text class="roof-label" x="{sx(10**x1) - 4:.1f}" y="{sy(peak_gflops) - 6:.1f}" '
        f'text-anchor="end">peak {peak_gflops:.0f} GFLOP/s</text>'
    )
    # Above and left of a point of the slanted roof: the roof rises to the right of it.
    label_x = min(left * 4, ridge)
    parts.append(
        f'<text class="roof-label" x="{sx(label_x) - 6:.1f}" '
        f'y="{sy(bandwidth_gbs * label_x) - 6:.1f}" text-anchor="end">{bandwidth_gbs:.1f} GB/s</text>'
    )
    for p in points:
        cx, cy = sx(p.intensity), sy(p.gflops)
        parts.append(
            f'<a href="#{escape(p.anchor)}"><circle class="nest" cx="{cx:.1f}" cy="{cy:.1f}" r="6">'
            f"<title>{escape(p.title)}</title></circle>"
            f'<text class="nest-label" x="{cx + 8:.1f}" y="{cy + 4:.1f}">{escape(p.label)}</text></a>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _decades(low: float, high: float) -> tuple[int, int]:
    return math.floor(math.log10(low)), math.ceil(math.log10(high))


def _grid(x0, x1, y0, y1, sx, sy) -> list[str]:
    """Decade grid lines, tick labels and axis titles."""
    parts = []
    for d in range(x0, x1 + 1):
        x = sx(10**d)
        parts.append(
            f'<line class="grid" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}"/>'
        )
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
            f"{_power(d)}</text>"
        )
    for d in range(y0, y1 + 1):
        y = sy(10**d)
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_power(d)}</text>'
        )
    parts.append(
        f'<text class="axis" x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 10}" '
        'text-anchor="middle">arithmetic intensity (FLOP/byte)</text>'
    )
    parts.append(
        f'<text class="axis" transform="translate(16 {(TOP + HEIGHT - BOTTOM) / 2}) rotate(-90)" '
        'text-anchor="middle">GFLOP/s</text>'
    )
    return parts


def _power(d: int) -> str:
    value = 10.0**d
    return f"{value:g}"
