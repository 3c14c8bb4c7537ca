"""What one compile did, step by step: times, IR sizes, fusion groups; and progress lines.

``kiln.compile`` marks each step (the import, every pipeline stage through
``run_pipeline``'s ``on_stage``, the JIT) on a ``CompileLog``. On a terminal
it prints one line per step as it finishes, so a long compile shows where it
is; it is quiet when stderr is not a terminal, when ``KILN_QUIET=1`` or with
``quiet=True`` (``quiet=False`` prints even to a pipe). With ``detail=True``
(a compile report was asked for) it also counts each stage's ops and records
the fusion groups and the profiled loop nests' costs.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

from kiln.errors import user_location
from kiln.ir import ir


@dataclass(frozen=True)
class Step:
    """One finished step: its name, wall time and the IR's op count after it (if counted)."""

    name: str
    seconds: float
    ops: int | None = None


@dataclass(frozen=True)
class FusionGroup:
    """A ``kiln.fusion_group``: its kind, anchor, member ops and the anchor's source line."""

    kind: str
    anchor: str
    members: tuple[str, ...]
    location: str


def progress_wanted(quiet: bool | None, stream: TextIO) -> bool:
    """Whether to print progress: ``quiet`` if given, else a terminal without KILN_QUIET=1."""
    if quiet is not None:
        return not quiet
    if os.environ.get("KILN_QUIET", "") not in ("", "0"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass
class CompileLog:
    """The steps of one compile, in order (see the module docstring)."""

    quiet: bool | None = None
    detail: bool = False
    stream: TextIO | None = None
    name: str = "module"
    steps: list[Step] = field(default_factory=list)
    groups: list[FusionGroup] = field(default_factory=list)
    nest_costs: list = field(default_factory=list)  # roofline.NestCost per profiled nest

    def __post_init__(self) -> None:
        self.stream = self.stream or sys.stderr
        self.verbose = progress_wanted(self.quiet, self.stream)
        self._last = time.perf_counter()

    def mark(self, name: str, module: ir.Module | None = None) -> None:
        """Records the step ``name`` as finished now (``module``: the IR after it)."""
        now = time.perf_counter()
        ops = count_ops(module) if (self.detail and module is not None) else None
        step = Step(name, now - self._last, ops)
        self.steps.append(step)
        self._last = now
        if self.verbose:
            size = f"  {ops} ops" if ops is not None else ""
            line = f"kiln: {name:<12} {step.seconds:7.2f} s{size}"
            print(line, file=self.stream, flush=True)

    def on_stage(self, stage, module: ir.Module) -> None:
        """``run_pipeline``'s callback: marks the stage; with detail, reads groups and nests."""
        if self.detail:
            groups = fusion_groups(module)
            if groups:
                self.groups = groups
            if stage.name == "profile":
                from kiln.debug.roofline import nest_costs
                from kiln.lowering.cpu.profile_regions import profiled_nests

                self.nest_costs = nest_costs(profiled_nests(module.operation))
        self.mark(stage.name, module)

    def done(self) -> None:
        """Prints the total (on a terminal)."""
        if self.verbose:
            print(f"kiln: compiled {self.name} in {self.total:.2f} s", file=self.stream, flush=True)

    @property
    def total(self) -> float:
        """Seconds from the log's creation to the last step."""
        return sum(s.seconds for s in self.steps)


def count_ops(module: ir.Module) -> int:
    """Every op of ``module``, nested ones included."""
    count = [0]

    def visit(_op):
        count[0] += 1
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    return count[0]


def fusion_groups(module: ir.Module) -> list[FusionGroup]:
    """The module's ``kiln.fusion_group`` ops, in order."""
    found: list[FusionGroup] = []

    def visit(op):
        op = op.operation
        if op.name != "kiln.fusion_group":
            return ir.WalkResult.ADVANCE
        members = [m.operation for m in op.regions[0].blocks[0].operations][:-1]
        anchor = ir.StringAttr(op.attributes["anchor"]).value
        anchor_op = next((m for m in members if m.name == anchor), op)
        found.append(
            FusionGroup(
                ir.StringAttr(op.attributes["kind"]).value,
                anchor,
                tuple(m.name for m in members),
                user_location(anchor_op.location),
            )
        )
        return ir.WalkResult.SKIP

    module.operation.walk(visit)
    return found
