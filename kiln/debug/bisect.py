"""Numerical bisection: the first stage, then the first op, that computes a wrong answer.

``bisect(model, *inputs)`` compiles like ``kiln.compile`` and compares the
answer with eager PyTorch (or, for MLIR input, with a reference pipeline or
the plain reference lowering). When they differ:

1. **stage**: the IR after each stage is finished by the plain reference
   lowering (``kiln.debug.reference``) and run; the first stage whose IR
   answers differently is the one that broke the computation;
2. **op**: prefixes of the model's linalg function (its first k ops, returning
   every value the prefix computes and does not use itself) go through the
   pipeline up to that stage; a binary search finds the first op whose value
   differs from the same prefix lowered plainly;
3. **test**: the smallest function around that op that still differs (the op
   alone, then with what it depends on, then the whole prefix), taken to the
   stage's input level, is written as a lit test whose RUN line checks the
   stage with ``kiln-bisect --check``: it fails until the stage is fixed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kiln.debug.carve import Body, Carved, carve, computing_ops, frontier
from kiln.debug.reduce import write_reduced_test
from kiln.debug.reference import lower_to_llvm
from kiln.debug.runner import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    Mismatch,
    compare,
    max_error,
    random_like_spec,
    run_entry,
    zeros_like_spec,
)
from kiln.driver import run_pipeline
from kiln.errors import KilnError, user_location
from kiln.ir import ir, new_context, parse_module
from kiln.pipeline import Pipeline
from kiln.runtime.signature import Signature, entry_signature

IMPORT = "import"  # the pseudo-stage before the pipeline: the model's linalg IR


@dataclass
class StageCheck:
    """One stage's IR, finished by the reference lowering: its largest error and mismatch."""

    stage: str
    max_error: float
    mismatch: Mismatch | None


@dataclass
class BisectResult:
    """What bisection found. ``stage`` is None when the compiled answer is right.

    ``op`` is the text of the first linalg-level op whose value differs,
    ``location`` its line in the user's source, ``test_path`` the reduced lit
    test (``reproduces`` says whether its RUN line fails as it should).
    """

    stage: str | None
    op: str | None = None
    location: str | None = None
    test_path: str | None = None
    reproduces: bool = False
    mismatch: Mismatch | None = None
    stages: list[StageCheck] = field(default_factory=list)
    note: str = ""
    op_index: int | None = None  # the op's index among the linalg function's top-level ops

    def __str__(self) -> str:
        if self.stage is None:
            return "kiln-bisect: the compiled model agrees with the reference" + (
                f" ({self.note})" if self.note else ""
            )
        lines = [f"kiln-bisect: first wrong stage: {self.stage}"]
        if self.mismatch is not None:
            lines.append(f"  compiled model: {self.mismatch}")
        if self.op is not None:
            lines.append(f"  first wrong op (at {self.location}):")
            lines += ["    " + line for line in self.op.splitlines()]
        if self.test_path is not None:
            status = "fails until fixed" if self.reproduces else "does NOT reproduce"
            lines.append(f"  reduced test: {self.test_path} ({status})")
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)


def bisect(
    model,
    *inputs,
    pipeline: Pipeline | None = None,
    out_dir: str | Path = "kiln-bisect",
    reference: Pipeline | None = None,
    func_name: str | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    seed: int = 0,
    log: Callable[[str], None] | None = print,
) -> BisectResult:
    """Finds the first stage and op of ``pipeline`` that compute a wrong answer for ``model``.

    ``model`` is what ``kiln.compile`` takes (an ``nn.Module`` with example
    ``inputs``, an ``.mlir`` path or MLIR text; MLIR without inputs gets
    seeded random ones). ``pipeline`` defaults to kiln's cpu pipeline for this
    host. The expected answer is eager PyTorch for a module; for MLIR,
    ``reference`` (a pipeline; finished by the reference lowering if it stops
    short of LLVM) or else the plain reference lowering. Answers agree when
    every element is within ``atol + rtol * |expected|``. The reduced test is
    written into ``out_dir``. Progress and the result go to ``log`` (None:
    silent); the result is returned.
    """
    say = log or (lambda _line: None)
    if pipeline is not None and any(not stage.is_mlir for stage in pipeline.stages):
        raise KilnError(
            f"kiln.debug.bisect: pipeline '{pipeline.name}' has tool stages after MLIR; "
            "bisection runs each stage's IR in the CPU JIT (the cpu target's pipelines)"
        )
    session = _Session.load(model, inputs, pipeline, reference, func_name, seed, rtol, atol)
    say(
        f"kiln-bisect: {session.name}: pipeline '{session.pipeline.name}' "
        f"({', '.join(session.pipeline.stage_names())}) against {session.expected_from}"
    )
    result = session.find_stage(say)
    if result.stage is not None and result.stage != IMPORT:
        session.find_op(result, say)
        if result.op is not None:
            write_reduced_test(session, result, Path(out_dir), say)
    say(str(result))
    return result


class _Session:
    """One bisection: the model's linalg IR, its inputs, the expected answer."""

    def __init__(self, text, name, source, signature, inputs, pipeline, reference, rtol, atol):
        self.text = text
        self.name = name
        self.source = source
        self.signature: Signature = signature
        self.inputs: list[np.ndarray] = inputs
        self.pipeline: Pipeline = pipeline
        self.reference = reference
        self.rtol, self.atol = rtol, atol
        self.threads = getattr(pipeline.options.get("target"), "threads", 1)
        self.ctx = new_context()
        self.expected: list[np.ndarray] = []
        self.expected_from = ""

    @classmethod
    def load(cls, model, inputs, pipeline, reference, func_name, seed, rtol, atol) -> _Session:
        from kiln.api import load_model, mark_entry_points
        from kiln.targets import TARGETS, host_target

        module, name, source = load_model(model, tuple(inputs), func_name)
        mark_entry_points(module)
        signature = entry_signature(module, func_name)
        if signature.dynamic:
            raise KilnError("kiln.debug.bisect: the entry function needs static shapes")
        if not all(hasattr(x, "shape") for x in inputs):
            raise KilnError("kiln.debug.bisect: inputs must be tensors or numpy arrays")
        rng = np.random.default_rng(seed)
        arrays = [_as_array(x) for x in inputs] or [
            random_like_spec(s, rng) for s in signature.inputs
        ]
        if len(arrays) != len(signature.inputs):
            raise KilnError(
                f"kiln.debug.bisect: {len(arrays)} inputs given, the model's function "
                f"'{signature.name}' takes {len(signature.inputs)}"
            )
        pipeline = pipeline or TARGETS["cpu"].pipeline(host_target())
        session = cls(
            located_text(module), name, source, signature, arrays, pipeline, reference, rtol, atol
        )
        session._expect(model, inputs)
        return session

    def _expect(self, model, inputs) -> None:
        """The expected answer: eager PyTorch, else the reference pipeline or lowering."""
        if callable(model):  # an nn.Module or a function of tensors
            import torch

            with torch.no_grad():
                out = model(*inputs)
            self.expected = [
                _as_array(t) for t in (out if isinstance(out, tuple | list) else (out,))
            ]
            self.expected_from = "eager PyTorch"
            return
        self.expected = self.reference_run(self.text, self.inputs)
        self.expected_from = (
            f"reference pipeline '{self.reference.name}'"
            if self.reference
            else "the plain reference lowering"
        )

    # --- running ---------------------------------------------------------------

    def run(self, text: str, args: Sequence[np.ndarray], stop_after: str | None = None):
        """The outputs of ``text`` compiled by the pipeline through ``stop_after`` (all of it
        when None), finished by the reference lowering."""
        module = parse_module(text, self.ctx)
        signature = entry_signature(module)
        run_pipeline(module, self.pipeline, stop_after=stop_after, name=self.name)
        return self._call(module, args, signature)

    def reference_run(self, text: str, args: Sequence[np.ndarray]):
        """The outputs of ``text`` under the reference pipeline, or the plain lowering."""
        module = parse_module(text, self.ctx)
        signature = entry_signature(module)
        if self.reference is not None:
            run_pipeline(module, self.reference, name=self.name)
        return self._call(module, args, signature)

    def _call(
        self, module: ir.Module, args: Sequence[np.ndarray], signature: Signature
    ) -> list[np.ndarray]:
        """Lowers ``module`` plainly from its level and runs it on ``args``."""
        outputs = [zeros_like_spec(s) for s in signature.outputs]
        buffers = [np.ascontiguousarray(a) for a in args] + outputs
        run_entry(lower_to_llvm(module), signature.name, buffers, self.threads)
        return outputs

    # --- 1. the stage ------------------------------------------------------------

    def find_stage(self, say) -> BisectResult:
        """Compiles with the whole pipeline; when the answer is wrong, checks each stage."""
        texts: list[tuple[str, str]] = [(IMPORT, self.text)]
        module = parse_module(self.text, self.ctx)
        run_pipeline(
            module,
            self.pipeline,
            name=self.name,
            on_stage=lambda stage, m: texts.append((stage.name, located_text(m))),
        )
        compiled = self._call(module, self.inputs, self.signature)
        mismatch = compare(compiled, self.expected, self.rtol, self.atol)
        if mismatch is None:
            return BisectResult(None)
        say(f"kiln-bisect: the compiled model differs: {mismatch}")
        result = BisectResult(None, mismatch=mismatch)
        width = max(len(stage) for stage, _ in texts)
        for stage, text in texts:
            outputs = self.reference_run(text, self.inputs) if stage == IMPORT else None
            if outputs is None:
                outputs = self._call(parse_module(text, self.ctx), self.inputs, self.signature)
            check = StageCheck(
                stage,
                max_error(outputs, self.expected),
                compare(outputs, self.expected, self.rtol, self.atol),
            )
            result.stages.append(check)
            verdict = "DIFFERS" if check.mismatch else "ok"
            say(f"  after {stage:<{width}} max error {check.max_error:9.3g}  {verdict}")
            if check.mismatch is not None:
                result.stage = stage
                break
        if result.stage == IMPORT:
            result.note = (
                f"the model's linalg IR, lowered plainly, already differs from {self.expected_from}: "
                "the importer (torch.export, torch-mlir) or the reference lowering is at fault"
            )
        elif result.stage is None:
            result.stage = texts[-1][0]
            result.note = "every stage agreed when rerun: the difference is not deterministic"
        return result

    # --- 2. the op ---------------------------------------------------------------

    def find_op(self, result: BisectResult, say) -> None:
        """Binary search over prefixes of the linalg function for the first wrong op."""
        module = parse_module(self.text, self.ctx)
        candidates = computing_ops(module)
        if not candidates:
            return
        say(f"kiln-bisect: searching {len(candidates)} ops for the first wrong value")
        lo, hi = 0, len(candidates) - 1
        if self._prefix_differs(candidates[hi], result.stage) is None:
            result.note = "the last op's prefix no longer differs: op search gave up"
            return
        while lo < hi:
            mid = (lo + hi) // 2
            if self._prefix_differs(candidates[mid], result.stage) is not None:
                hi = mid
            else:
                lo = mid + 1
        index = candidates[hi]
        body = Body(module)
        op = body.ops[index]
        result.op = "\n".join(_asm(body.ops[d]) for d in _scalar_constants(body, index))
        result.op = (result.op + "\n" + _asm(op)).strip()
        result.location = _source_location(op.location, self.source)
        result.op_index = index

    def _prefix_differs(self, index: int, stage: str) -> Mismatch | None:
        """Does the function cut after op ``index`` compute differently through ``stage``?"""
        probe = parse_module(self.text, self.ctx)
        keep = set(range(index + 1))
        carved = carve(probe, keep, frontier(probe, keep))
        text = located_text(probe)
        args = self._carved_args(probe, carved)
        return compare(
            self.run(text, args, stop_after=stage),
            self.reference_run(text, args),
            self.rtol,
            self.atol,
        )

    def _carved_args(self, module: ir.Module, carved: Carved) -> list[np.ndarray]:
        """The model's inputs that ``carved`` kept, then seeded random data for cut values."""
        signature = entry_signature(module)
        rng = np.random.default_rng(len(signature.inputs))
        new = signature.inputs[len(carved.kept_arguments) :]
        return [self.inputs[i] for i in carved.kept_arguments] + [
            random_like_spec(spec, rng) for spec in new
        ]


def located_text(module: ir.Module) -> str:
    """``module_text`` with locations: re-parsed, the IR still names the user's lines."""
    return module.operation.get_asm(
        large_elements_limit=None, enable_debug_info=True, assume_verified=True
    )


def _asm(op: ir.Operation) -> str:
    return op.get_asm(use_local_scope=True, large_elements_limit=16).strip()


def _scalar_constants(body: Body, index: int) -> list[int]:
    """The scalar constants op ``index`` uses (its text names them, not their values)."""
    found = []
    for d in sorted(body.used_definers(index)):
        op = body.ops[d]
        if op.name == "arith.constant" and not isinstance(op.results[0].type, ir.ShapedType):
            found.append(d)
    return found


def _as_array(x) -> np.ndarray:
    """A torch tensor or array as a contiguous numpy array (bfloat16 as uint16 bits)."""
    if isinstance(x, np.ndarray):
        return np.ascontiguousarray(x)
    x = x.detach().cpu().contiguous()
    if str(x.dtype) == "torch.bfloat16":
        import torch

        return x.view(torch.int16).numpy().view(np.uint16)
    return x.numpy()


def _source_location(location: ir.Location, source: str | None) -> str:
    """The user's line for ``location``; ``-`` (MLIR parsed from memory) becomes the file."""
    where = user_location(location)
    if source and where.startswith("-:"):
        return source + where[1:]
    return where
