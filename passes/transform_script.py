"""Build transform-dialect schedules with Python calls, then apply them.

A ``Schedule`` owns a fresh transform module with one ``__transform_main``
sequence. Methods append transform ops and return their handles; ``apply``
runs the sequence on a payload op with MLIR's transform interpreter. Payload
ops are found by ``match`` (op names, a marker attribute, or the LinalgOp
interface), never by holding Python handles across IR changes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from kiln.passes.registry import PassFailure

from kiln.errors import source_locations
from kiln.ir import (
    apply_named_sequence,
    ir,
    transform,
    transform_loop,
    transform_structured,
    transform_vector,
)

# Modules whose functions build transform ops for others: a step's location is
# the first caller outside them.
BUILDER_MODULES = {__name__, "kiln.lowering.cuda.schedules.common"}


# Marks the ops ``Schedule.bind`` found; ``Schedule.apply`` removes it.
BOUND_ATTR = "kiln.bound"


class Schedule:
    """A transform script under construction (see module docstring)."""

    def __init__(self, ctx: ir.Context):
        self.ctx = ctx
        self._loc = ir.Location.unknown(ctx)
        with ctx, self._loc:
            self.module = ir.Module.create()
            self.module.operation.attributes["transform.with_named_sequence"] = ir.UnitAttr.get()
            with ir.InsertionPoint(self.module.body):
                self.sequence = transform.NamedSequenceOp(
                    "__transform_main",
                    [transform.AnyOpType.get()],
                    [],
                    arg_attrs=[{"transform.readonly": ir.UnitAttr.get()}],
                )
        self.root = self.sequence.bodyTarget
        self._steps = 0
        self._ip = ir.InsertionPoint(self.sequence.body)
        self._bound: dict[str, ir.Value] = {}
        self._bound_any = False

    def _build(self, fn):
        # Each step's transform ops are located at the schedule line that built
        # them (numbered, as one line may build several), so that a failure
        # names the transform and where it comes from (see ``apply``).
        self._steps += 1
        with self.ctx, ir.Location.name(f"{_builder_site()}#{self._steps}"), self._ip:
            return fn()

    @staticmethod
    def _any():
        return transform.AnyOpType.get()

    # --- matching ---------------------------------------------------------
    def bind(self, payload: ir.Operation, prefix: str) -> None:
        """Handles to every op under ``payload`` tagged ``prefix...``, found in one walk.

        A ``match`` walks the whole payload: one per tagged op made schedules
        quadratic in the model's size (DenseNet-121's concatenation copies: 20 s
        of its compile). Here the tagged ops are marked, matched once, and the
        handle split into one handle per op, in the interpreter's walk order
        (post-order, as ``structured.match`` walks); a later root-level
        ``match(attr=tag)`` returns the tag's handle. Call it after tagging and
        before the first transform. Each handle serves one ``match``; an op
        carrying several such tags, a second match of a tag, and tagged ops
        nested in each other (pre- and post-order differ there) match by walk.
        """
        found: list[tuple[str, ir.Operation]] = []

        def visit(op):
            op = op.operation
            tags = [name for name in op.attributes if name.startswith(prefix)]
            if len(tags) == 1 and op != payload:  # match never returns its target
                found.append((tags[0], op))
            return ir.WalkResult.ADVANCE

        payload.walk(visit, ir.WalkOrder.POST_ORDER)
        if not found or _nested(op for _, op in found):
            return  # nested tagged ops: walk orders differ, keep matching by walk
        for _, op in found:
            op.attributes[BOUND_ATTR] = ir.UnitAttr.get()
        self._bound_any = True
        ordered = [tag for tag, _ in found]
        handles = self._build(
            lambda: (
                transform.SplitHandleOp(
                    [self._any()] * len(ordered),
                    transform_structured.MatchOp(
                        self._any(), self.root, op_attrs={BOUND_ATTR: ir.UnitAttr.get()}
                    ).result,
                ).results
            )
        )
        self._bound.update(zip(ordered, handles, strict=True))

    def match(
        self,
        names: Sequence[str] = (),
        attr: str | None = None,
        interface: str | None = None,
        within=None,
    ):
        """Handle to payload ops under ``within`` (default: the root) by name, attribute or interface."""
        if within is None and attr in self._bound and not names and not interface:
            return self._bound.pop(attr)  # once: a consumed handle is gone
        target = self.root if within is None else within

        def build():
            kwargs = {}
            if names:
                kwargs["ops"] = list(names)
            if attr:
                kwargs["op_attrs"] = {attr: ir.UnitAttr.get()}
            if interface:
                kwargs["interface"] = interface
            return transform_structured.MatchOp(self._any(), target, **kwargs).result

        return self._build(build)

    # --- tiling and fusion ------------------------------------------------
    def tile_forall(self, op, tile_sizes: Sequence[int]):
        """``tile_using_forall``: returns (tiled op, forall loop)."""

        def build():
            res = transform_structured.TileUsingForallOp(
                self._any(), self._any(), op, tile_sizes=list(tile_sizes)
            )
            return res.results[0], res.results[1]

        return self._build(build)

    def tile_for(self, op, sizes: Sequence[int], interchange: Sequence[int] | None = None):
        """``tile_using_for``: returns (tiled op, [loops...])."""
        n_loops = sum(1 for s in sizes if s != 0)

        def build():
            res = transform_structured.TileUsingForOp(
                [self._any()] * n_loops, op, sizes=list(sizes), interchange=interchange
            )
            return res.results[0], list(res.results[1:])

        return self._build(build)

    def peel(self, loop):
        """``loop.peel``: the last, partial iteration of ``loop`` as a loop of its own;
        returns (main loop, remainder loop). Both keep the body's attributes."""

        def build():
            res = transform_loop.LoopPeelOp(self._any(), self._any(), loop)
            return res.results[0], res.results[1]

        return self._build(build)

    def fuse_into(self, producer, containing):
        """``fuse_into_containing_op``: returns (fused op, new containing op)."""

        def build():
            res = transform_structured.FuseIntoContainingOp(
                self._any(), self._any(), producer, containing
            )
            return res.results[0], res.results[1]

        return self._build(build)

    # --- vectorization ----------------------------------------------------
    def vectorize(self, op, vector_sizes: Sequence[int] | None = None) -> None:
        """``structured.vectorize``: masked when ``vector_sizes`` exceed the op's shape."""

        def build():
            if vector_sizes:
                transform_structured.VectorizeOp(op, list(vector_sizes))
            else:
                transform_structured.VectorizeOp(op)

        self._build(build)

    def hoist_loop_invariant_subsets(self, loops) -> None:
        """Moves loop-invariant tensor subset reads/writes (accumulators) out of ``loops``."""
        self._build(lambda: transform_loop.HoistLoopInvariantSubsetsOp(loops))

    def annotate(self, op, name: str, value: int | None = None) -> None:
        """Sets attribute ``name`` (unit, or the i64 ``value``) on the payload ops of ``op``."""

        def build():
            param = None
            if value is not None:
                i64 = ir.IntegerType.get_signless(64)
                param = transform.ParamConstantOp(
                    transform.ParamType.get(i64), ir.IntegerAttr.get(i64, value)
                ).result
            transform.AnnotateOp(op, name, param=param)

        self._build(build)

    def hoist_vector_transfers(self, func) -> None:
        """Hoists loop-invariant vector transfers (accumulators) out of loops, on buffers."""
        self._build(lambda: transform_structured.HoistRedundantVectorTransfersOp(self._any(), func))

    def apply_patterns(self, target, patterns: Sequence, apply_cse: bool = False) -> None:
        """``transform.apply_patterns`` with pattern-op constructors from ``patterns``.

        Each entry is a zero-argument callable building one pattern op, e.g.
        ``canonicalization`` or ``lambda: vector_patterns.lower_contraction("outerproduct")``.
        """

        def build():
            op = transform.ApplyPatternsOp(target, apply_cse=apply_cse)
            with ir.InsertionPoint(op.patterns):
                for make in patterns:
                    make()

        self._build(build)

    # --- running ----------------------------------------------------------
    def apply(self, payload: ir.Operation) -> None:
        """Runs the schedule on ``payload`` (usually the module).

        Raises ``ScheduleFailure`` (a ``PassFailure``) when a transform fails: one error per diagnostic of
        the interpreter, located at the payload op it names (else at the
        transform's own location), saying which transform (and the schedule line
        that built it) failed on which op. The calling pass adds its name.
        """
        with self.ctx, self._loc, self._ip:
            transform.YieldOp()
        errors: list[_Failure] = []

        def collect(diag) -> bool:
            if diag.severity != ir.DiagnosticSeverity.ERROR:
                return False  # remarks and warnings go on to the default handlers
            errors.append(_Failure(diag.location, diag.message, [n.location for n in diag.notes]))
            return True

        handler = self.ctx.attach_diagnostic_handler(collect)
        try:
            applied = apply_named_sequence(payload, self.sequence, self.module)
        finally:
            handler.detach()
            if self._bound_any:
                _drop_attribute(payload, BOUND_ATTR)  # tiles copied it from their op
        if applied:
            return
        if not errors:
            errors.append(_Failure(payload.location, "the transform sequence failed", []))
        raise ScheduleFailure(
            [self._describe(failure, payload) for failure in errors],
            [failure.message for failure in errors],
        )

    def _describe(self, failure: _Failure, payload: ir.Operation) -> tuple[ir.Location, str]:
        """(location, message) of one interpreter error: at the payload op, naming the step."""
        site = ""
        if _is_name_loc(failure.location):
            step = _op_at(self.module.operation, failure.location)
            built_at = ir.NameLoc(failure.location).name_str.rsplit("#", 1)[0]
            site = f"{step.name if step is not None else 'step'} ({built_at}) "
        where = next(
            (loc for loc in [failure.location, *failure.notes] if source_locations(loc)),
            payload.location,
        )
        target = _op_at(payload, where) if source_locations(where) else None
        on = f"on '{target.name}'" if target is not None else "on the payload"
        return where, f"transform {site}failed {on}: {failure.message}"

    def text(self) -> str:
        """The transform script as MLIR text (for dumps and tests)."""
        return str(self.module)


class ScheduleFailure(PassFailure):
    """A transform of a schedule failed: located errors (see ``Schedule.apply``), and the
    interpreter's own messages (``reasons``) for passes that report in their own words."""

    def __init__(self, errors: list[tuple[ir.Location, str]], reasons: list[str]):
        super().__init__(errors)
        self.reasons = reasons


@dataclass(frozen=True)
class _Failure:
    """One error diagnostic of the transform interpreter, copied out of its handler."""

    location: ir.Location
    message: str
    notes: list[ir.Location]


def _builder_site() -> str:
    """``file.py:line`` of the innermost caller outside the schedule builders."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__") in BUILDER_MODULES:
        frame = frame.f_back
    if frame is None:
        return "schedule"
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


def _is_name_loc(location: ir.Location) -> bool:
    try:
        ir.NameLoc(location)
    except (ValueError, TypeError):
        return False
    return True


def _op_at(root: ir.Operation, location: ir.Location) -> ir.Operation | None:
    """The first op under ``root`` located at ``location`` (None if none is)."""
    found: list[ir.Operation] = []

    def visit(op):
        if op.location == location:
            found.append(op.operation)
            return ir.WalkResult.INTERRUPT
        return ir.WalkResult.ADVANCE

    root.walk(visit)
    return found[0] if found else None


# Pattern-op constructors for ``Schedule.apply_patterns``.
def canonicalization():
    """Upstream canonicalization patterns."""
    transform.ApplyCanonicalizationPatternsOp()


def fold_unit_extent_dims():
    """Drops unit dims of linalg ops through rank-reducing slices."""
    transform_structured.ApplyFoldUnitExtentDimsViaSlicesPatternsOp()


def reduction_to_contract():
    """Multiply-add reductions become ``vector.contract``."""
    transform_vector.ApplyVectorReductionToContractPatternsOp()


def transfer_permutation():
    """Permuted transfers become minor-identity transfers plus transposes."""
    transform_vector.ApplyTransferPermutationPatternsOp()


def cast_away_leading_unit_dims():
    """Drops leading unit dims of vectors."""
    transform_vector.ApplyCastAwayVectorLeadingOneDimPatternsOp()


def drop_unit_dims_with_shape_cast():
    """Drops unit dims through shape casts."""
    transform_vector.ApplyDropUnitDimWithShapeCastPatternsOp()


def fold_arith_extension():
    """``arith.extf`` operands of ``vector.contract`` fold into it (a mixed-precision
    contraction: bf16 x bf16 -> f32)."""
    transform_vector.ApplyFoldArithExtensionPatternsOp()


def lower_contraction_outerproduct():
    """``vector.contract`` becomes outer products (then FMAs)."""
    transform_vector.ApplyLowerContractionPatternsOp(
        lowering_strategy=transform_vector.VectorContractLowering.OuterProduct
    )


def lower_outerproduct():
    """``vector.outerproduct`` becomes broadcasts and ``vector.fma``."""
    transform_vector.ApplyLowerOuterProductPatternsOp()


def lower_masks():
    """``vector.mask`` regions become masked transfers (before bufferization)."""
    transform_vector.ApplyLowerMaskedTransfersPatternsOp()
    transform_vector.ApplyLowerMasksPatternsOp()


def _nested(ops) -> bool:
    """Whether any of ``ops`` lies inside another of them."""
    ops = list(ops)
    members = set(ops)
    for op in ops:
        parent = op.parent
        while parent is not None:
            if parent.operation in members:
                return True
            parent = parent.parent
    return False


def _drop_attribute(root: ir.Operation, name: str) -> None:
    def visit(op):
        if name in op.operation.attributes:
            del op.operation.attributes[name]
        return ir.WalkResult.ADVANCE

    root.walk(visit)
