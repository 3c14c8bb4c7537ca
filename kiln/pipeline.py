"""Pipelines as data: named stages of pass specs, and the one driver that runs them.

A *pass spec* is one element of an MLIR pass pipeline in text form:
``canonicalize``, ``func.func(cse)``, ``one-shot-bufferize{bufferize-function-boundaries}``
or a kiln pass such as ``kiln-tile-and-fuse{threads=2}``. A ``Stage`` is a
named tuple of specs; a ``Pipeline`` is an ordered tuple of stages. Turning
specs into a ``PassManager`` happens in exactly one function,
``build_pass_manager``, which splits runs of upstream specs (parsed by MLIR)
from kiln's Python passes (added as callables).

A stage may instead run a *tool* after MLIR (the cuda target's ``llvm-ir``,
``ptx`` and ``cubin``): a function from the previous stage's output (the
module, then text or bytes) to its own. Such stages come last; the driver
stops after, dumps and reports them like any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kiln.ir import PassManager, ir

KILN_PASS_RE = re.compile(r"^kiln-[a-z0-9-]+")


@dataclass(frozen=True)
class Stage:
    """A named step of a pipeline: the IR after it is the stage's level.

    ``tool`` (with no ``passes``) makes it a step after MLIR: ``tool(previous,
    target)`` returns the stage's output (text or bytes; None when the tool is
    not installed and the output is optional), dumped with ``suffix``.

    ``verify_each`` verifies the IR after every pass of the stage, whatever
    the caller asked: for passes kiln does not own (torch-mlir's), which can
    leave invalid IR behind when they fail, and the passes after them may then
    loop on it without end (an uneven adaptive pool's bad ``tensor.cast`` grew
    to 18 GB in canonicalization before this flag).
    """

    name: str
    passes: tuple[str, ...] = ()
    summary: str = ""
    tool: Callable[[object, object], str | bytes | None] | None = field(default=None, compare=False)
    suffix: str = "mlir"
    verify_each: bool = False

    def __post_init__(self) -> None:
        if self.tool is not None and self.passes:
            raise ValueError(f"stage '{self.name}': a tool stage runs no passes")

    @property
    def is_mlir(self) -> bool:
        """True for a stage of MLIR passes (its output is the module)."""
        return self.tool is None


@dataclass(frozen=True)
class Pipeline:
    """An ordered, immutable sequence of stages."""

    name: str
    stages: tuple[Stage, ...]
    options: dict = field(default_factory=dict, compare=False)

    def stage_names(self) -> list[str]:
        """The names of the stages, in order."""
        return [s.name for s in self.stages]

    def select(self, start_at: str | None = None, stop_after: str | None = None) -> list[Stage]:
        """The stages from ``start_at`` through ``stop_after`` (both inclusive)."""
        names = self.stage_names()
        for label, value in (("start-at", start_at), ("stop-after", stop_after)):
            if value is not None and value not in names:
                raise ValueError(
                    f"--{label}={value}: pipeline '{self.name}' has stages {', '.join(names)}"
                )
        first = names.index(start_at) if start_at else 0
        last = names.index(stop_after) if stop_after else len(names) - 1
        if first > last:
            raise ValueError(f"stage '{start_at}' comes after '{stop_after}'")
        return list(self.stages[first : last + 1])

    def mlir_stage_names(self) -> list[str]:
        """The names of the stages that run MLIR passes (every stage before the tools)."""
        return [s.name for s in self.stages if s.is_mlir]

    def stage(self, name: str) -> Stage:
        """The stage called ``name``."""
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise ValueError(
            f"pipeline '{self.name}' has no stage '{name}' (stages: {', '.join(self.stage_names())})"
        )

    def replace_stage(self, name: str, stage: Stage) -> Pipeline:
        """A new pipeline with stage ``name`` replaced by ``stage``."""
        self.stage(name)
        stages = tuple(stage if s.name == name else s for s in self.stages)
        return Pipeline(self.name, stages, self.options)

    def insert_after(self, name: str, stage: Stage) -> Pipeline:
        """A new pipeline with ``stage`` inserted after stage ``name``."""
        index = self.stage_names().index(self.stage(name).name)
        stages = self.stages[: index + 1] + (stage,) + self.stages[index + 1 :]
        return Pipeline(self.name, stages, self.options)

    def specs(self) -> list[str]:
        """All pass specs of the pipeline, in order (tool stages have none)."""
        return [spec for stage in self.stages for spec in stage.passes]

    def text(self) -> str:
        """The whole pipeline as ``--pass-pipeline`` text."""
        return pipeline_text(self.specs())


def one_stage_per_pass(name: str, specs: Sequence[str]) -> Pipeline:
    """A pipeline whose stages are single passes, named ``NN-pass`` (``01-canonicalize``):
    what bisection and compile reports use to name a pass of a textual pipeline."""
    stages = []
    for i, spec in enumerate(specs):
        short = re.split(r"[{(]", spec, maxsplit=1)[0].strip()
        stages.append(Stage(f"{i + 1:02d}-{short}", (spec,)))
    return Pipeline(name, tuple(stages))


def pipeline_text(specs: Sequence[str]) -> str:
    """``builtin.module(spec, spec, ...)``: the textual form kiln-opt accepts."""
    return "builtin.module(" + ",".join(specs) + ")"


def split_pipeline(text: str) -> list[str]:
    """Splits pipeline text into top-level pass specs.

    Accepts ``builtin.module(a, b{x=1}, func.func(c))`` or a bare ``a, b``.
    """
    text = text.strip()
    match = re.fullmatch(r"builtin\.module\((.*)\)", text, flags=re.S)
    if match:
        text = match.group(1)
    specs, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unbalanced ')' or '}}' in pass pipeline at column {i + 1}")
        elif ch == "," and depth == 0:
            specs.append(text[start:i].strip())
            start = i + 1
    if depth != 0:
        raise ValueError("unbalanced '(' or '{' in pass pipeline")
    specs.append(text[start:].strip())
    return [s for s in specs if s]


def parse_kiln_spec(spec: str):
    """The kiln pass instance for ``spec``, or None if it names no kiln pass."""
    from kiln.passes import registry

    match = KILN_PASS_RE.match(spec)
    if not match:
        if "kiln-" in spec:
            raise ValueError(
                f"'{spec}': kiln passes run on the module; nest them at the top level "
                "of the pipeline, not inside an op anchor such as func.func(...)"
            )
        return None
    name = match.group(0)
    cls = registry.lookup(name)
    if cls is None:
        raise ValueError(f"unknown kiln pass '{name}' (see kiln-opt --list-passes)")
    rest = spec[len(name) :].strip()
    if rest and not (rest.startswith("{") and rest.endswith("}")):
        raise ValueError(f"malformed options for '{name}': {rest}")
    return cls.from_options(rest[1:-1] if rest else "")


def build_pass_manager(specs: Sequence[str], ctx: ir.Context) -> PassManager:
    """A PassManager running ``specs`` in order on a ``builtin.module``.

    Consecutive upstream specs are parsed by MLIR as one chunk (so MLIR reports
    unknown passes and bad options); kiln passes are new instances per call.
    """
    with ctx:
        pm = PassManager("builtin.module")
        chunk: list[str] = []

        def flush() -> None:
            if chunk:
                pm.add(",".join(chunk))
                chunk.clear()

        for spec in specs:
            kiln_pass = parse_kiln_spec(spec)
            if kiln_pass is None:
                chunk.append(spec)
                continue
            flush()
            pm.add(kiln_pass, name=kiln_pass.name, argument=kiln_pass.name)
        flush()
    return pm


def failing_pass(specs: Sequence[str], op: ir.Operation) -> str | None:
    """The first of ``specs`` that fails when they run one by one on a copy of ``op``.

    Each pass is verified after it runs (as MLIR's pass manager does by
    default), so a pass that breaks the IR is the one named. None when no
    pass fails alone. Used on failures only: it re-runs the pipeline.
    """
    probe = op.clone(ip=False)
    try:
        for spec in specs:
            try:
                build_pass_manager([spec], probe.context).run(probe)
            except Exception:  # MLIR's diagnostics, a bad spec, a bug: this pass failed
                return spec
    finally:
        probe.erase()
    return None
