"""kiln's exceptions, and how MLIR diagnostics and locations are shown to users."""

from __future__ import annotations

import linecache
import re
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: kiln.load must not import MLIR
    from kiln.ir import ir

_FILE_LOC_RE = re.compile(r'"([^"]+)":(\d+):(\d+)')


class KilnError(Exception):
    """Base class of every error kiln raises on purpose."""


@dataclass(frozen=True)
class SourceLocation:
    """A file:line:col position, in the user's model or in an .mlir file."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


def source_locations(loc: ir.Location | str) -> list[SourceLocation]:
    """Every file:line:col position mentioned in ``loc``, innermost first."""
    return [
        SourceLocation(f, int(line), int(col)) for f, line, col in _FILE_LOC_RE.findall(str(loc))
    ]


LIBRARY_MARKERS = ("/site-packages/", "/torch/")
# Frames of the tracer and of kiln: never the model library's line a user wants to read.
_TRACER_MARKERS = ("/torch/", "/torch_mlir/", "<frozen ", "<string>", "<eval_with_key>")
_KILN_DIR = str(Path(__file__).resolve().parent)


def library_site(frames: list[SourceLocation]) -> str:
    """``file:line: `code``` of the innermost frame of a model library (an installed
    package other than torch: transformers, timm, torchvision) inside the user's innermost
    frame; "" when there is none (the op is in the user's own code).

    ``frames`` are innermost first. The user's line of a Hugging Face model is their call
    of it; the op kiln refuses is in the library's modeling file.
    """
    user = next((i for i, f in enumerate(frames) if not _is_installed(f.file)), None)
    if user is None:
        return ""
    for frame in frames[:user]:
        if not _is_tracer(frame.file):
            code = linecache.getline(frame.file, frame.line).strip()
            return f"{frame.file}:{frame.line}" + (f": `{code}`" if code else "")
    return ""


def _is_installed(file: str) -> bool:
    return file.startswith(_KILN_DIR) or any(marker in file for marker in LIBRARY_MARKERS)


def _is_tracer(file: str) -> bool:
    return file.startswith(_KILN_DIR) or any(marker in file for marker in _TRACER_MARKERS)


def user_location(loc: ir.Location | str, library_markers=LIBRARY_MARKERS) -> str:
    """The most useful position of ``loc`` for a user: their own source line.

    torch-mlir's FX importer records a stack of frames; frames inside installed
    libraries (torch.nn modules) are skipped in favour of the user's file.
    """
    frame = user_frame(source_locations(loc), library_markers)
    return "unknown location" if frame is None else str(frame)


def user_frame(
    frames: list[SourceLocation], library_markers=LIBRARY_MARKERS
) -> SourceLocation | None:
    """The innermost of ``frames`` outside installed libraries, else the innermost."""
    if not frames:
        return None
    for frame in frames:
        if not any(marker in frame.file for marker in library_markers):
            return frame
    return frames[0]


def format_diagnostic(diag, file_name: str | None = None) -> str:
    """One MLIR diagnostic as ``file:line:col: error: message`` plus its notes.

    ``file_name`` replaces the ``-`` that MLIR uses for text parsed from memory.
    """
    lines = [_format_one(diag, "error", file_name)]
    lines += [_format_one(note, "note", file_name) for note in diag.notes]
    return "\n".join(lines)


def _format_one(diag, severity: str, file_name: str | None) -> str:
    # An op imported from an nn.Module is located at a call stack
    # (torch/nn/modules/conv.py called from the user's forward): the user's line
    # is the one to show.
    where = user_frame(source_locations(diag.location))
    if where is None:
        return f"{severity}: {diag.message}"
    file = file_name if (file_name and where.file == "-") else where.file
    return f"{file}:{where.line}:{where.col}: {severity}: {diag.message}"


def format_mlir_error(err: ir.MLIRError, file_name: str | None = None) -> str:
    """All error diagnostics of an ``MLIRError``; falls back to its message."""
    diags = getattr(err, "error_diagnostics", None) or []
    if not diags:
        return str(err)
    return "\n".join(format_diagnostic(d, file_name) for d in diags)


# Every message about a bug in kiln itself says "internal error" (tools and the
# fuzzer look for it) and asks for a report.
INTERNAL_ERROR = "internal error"
REPORT_REQUEST = "a bug in kiln: please report it with the reproducer"


def is_internal(diagnostics: str) -> bool:
    """True when ``diagnostics`` report a bug in kiln rather than in its input."""
    return INTERNAL_ERROR in diagnostics


def blamed_op(tb: TracebackType | None, root: ir.Operation) -> ir.Operation | None:
    """The op that the innermost frame of ``tb`` holding one was working on.

    Frames are searched from the innermost out; in each, a local called ``op``
    comes first. Only ops still inside ``root`` count: a handle to an op that a
    rewrite erased must not be touched (its memory is gone), so candidates are
    matched against ``root``'s live ops by their handles' hash, which is the
    op's address and reads nothing.
    """
    from kiln.ir import ir

    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    candidates: list[ir.Operation] = []
    for frame in reversed(frames):
        local_ops = [v for k, v in frame.f_locals.items() if k == "op"]
        local_ops += [v for k, v in frame.f_locals.items() if k != "op"]
        candidates += [v.operation for v in local_ops if isinstance(v, ir.OpView | ir.Operation)]
    if not candidates:
        return None
    live: set[int] = set()

    def visit(op):
        live.add(hash(op))
        return ir.WalkResult.ADVANCE

    root.walk(visit)
    live.discard(hash(root))
    return next((c for c in candidates if hash(c) in live), None)


class MLIRSyntaxError(KilnError):
    """Malformed .mlir input: the message holds MLIR's diagnostics with file:line:col."""


@dataclass(frozen=True)
class UnsupportedOp:
    """One op kiln cannot compile, with where it came from."""

    op: str
    location: str
    reason: str
    inside: str = ""  # the model library's line the user's line calls (``library_site``)


class UnsupportedOpsError(KilnError):
    """The model uses ops kiln cannot compile; ``ops`` lists every one of them."""

    def __init__(self, ops: list[UnsupportedOp]):
        self.ops = ops
        lines = [f"kiln cannot compile {len(ops)} op(s) of this model:"]
        lines += [f"  {u.op} at {_where(u)}: {u.reason}" for u in ops]
        super().__init__("\n".join(lines))


def _where(op: UnsupportedOp) -> str:
    return f"{op.location} (in {op.inside})" if op.inside else op.location


class PipelineError(KilnError):
    """A pipeline stage failed. Carries the stage, MLIR's diagnostics, the
    reproducer file and the exact kiln-opt command that replays the stage.

    ``internal`` is True when the failure is a bug in kiln rather than in its
    input (a kiln pass raised); the message then asks for a report.
    ``pass_spec`` is the stage's pass that fails, when it is known."""

    def __init__(
        self,
        stage: str,
        diagnostics: str,
        reproducer: str | None,
        command: str | None,
        internal: bool = False,
        pass_spec: str | None = None,
    ):
        self.stage = stage
        self.diagnostics = diagnostics
        self.reproducer = reproducer
        self.command = command
        self.internal = internal
        self.pass_spec = pass_spec
        in_pass = f" in pass '{pass_spec}'" if pass_spec else ""
        text = f"kiln: stage '{stage}' failed{in_pass}:\n{diagnostics}"
        if internal:
            text = (
                f"kiln: internal error in stage '{stage}'{in_pass.replace(' in', ',')} "
                f"({REPORT_REQUEST}):\n{diagnostics}"
            )
        if reproducer:
            text += f"\nreproducer: {reproducer}\nreplay with:\n  {command}"
        super().__init__(text)


class OptionError(KilnError, ValueError):
    """An argument of ``kiln.compile`` (or a tool's option) has a value kiln cannot use."""


class DumpDirError(KilnError, OSError):
    """``dump_dir`` cannot receive the stage dumps (it is a file, or not writable)."""


class BufferTooLargeError(KilnError, MemoryError):
    """A tensor of the model, or an output of a call, is larger than this machine can allocate."""


class InputMismatchError(KilnError, TypeError):
    """A compiled model was called with the wrong number, shape or dtype of inputs."""


class LibraryError(KilnError):
    """A kiln library cannot be built or loaded here: another architecture or CPU, another
    kiln ABI, a missing runtime or toolchain, a damaged file. The message says which."""


class KilnWarning(UserWarning):
    """Something kiln works around, at a cost the user should know of (e.g. no compile cache)."""
