"""Where in the user's source a traced construct came from.

torch.export records a Python stack per FX node, and a failing trace leaves
one in its traceback; both run through torch's and kiln's own frames. The
frame a user wants is the innermost one in their own code.
"""

from __future__ import annotations

import inspect
import re
import traceback
from pathlib import Path

from kiln.errors import SourceLocation, UnsupportedOp, library_site

_KILN_DIR = str(Path(__file__).resolve().parent.parent)
_LIBRARY_MARKERS = (
    "/site-packages/",
    "/torch/",
    "/torch_mlir/",
    "<frozen ",
    "<string>",
    "<eval_with_key>",  # code torch.fx generated
)
_STACK_FRAME_RE = re.compile(r'File "([^"]+)", line (\d+)')
UNKNOWN = "unknown location"


def is_library_file(file: str) -> bool:
    """True for installed libraries (torch, torch.nn modules) and kiln itself."""
    return file.startswith(_KILN_DIR) or any(marker in file for marker in _LIBRARY_MARKERS)


def innermost_user_frame(frames: list[tuple[str, int]]) -> str:
    """``file:line:0`` of the last frame outside libraries (the innermost one wins).

    ``frames`` are (file, line) pairs, outermost first, as tracebacks print
    them. Falls back to the innermost frame when every frame is a library's.
    """
    for file, line in reversed(frames):
        if not is_library_file(file):
            return str(SourceLocation(file, line, 0))
    if frames:
        file, line = frames[-1]
        return str(SourceLocation(file, line, 0))
    return UNKNOWN


def node_location(node) -> str:
    """The user's source line that produced an FX node of an exported program."""
    stack = node.meta.get("stack_trace") or ""
    frames = [(file, int(line)) for file, line in _STACK_FRAME_RE.findall(stack)]
    return innermost_user_frame(frames)


def node_library_site(node) -> str:
    """The model library's line (``kiln.errors.library_site``) that produced an FX node."""
    stack = node.meta.get("stack_trace") or ""
    frames = [SourceLocation(f, int(line), 0) for f, line in _STACK_FRAME_RE.findall(stack)]
    return library_site(frames[::-1])


def unsupported_node(node, reason: str, op: str | None = None) -> UnsupportedOp:
    """An ``UnsupportedOp`` for an FX node: its op (or ``op``), the user's line and the
    model library's line inside it."""
    return UnsupportedOp(
        op or op_name(node), node_location(node), reason, inside=node_library_site(node)
    )


def traceback_location(tb) -> str:
    """The user's source line in a traceback (a non-strict trace runs their forward)."""
    return innermost_user_frame([(f.filename, f.lineno) for f in traceback.extract_tb(tb)])


# Frames of the tracer itself, never the code a user would read to find the construct.
_TRACER_MARKERS = ("/torch/", "/torch_mlir/", "<frozen ", "<string>", "<eval_with_key>")


def library_frame(tb) -> str:
    """`` (in FILE:LINE: `code`)`` for the innermost frame of a model library (transformers,
    timm: installed, not torch nor kiln) below the user's innermost frame, else "".

    The user's innermost frame of a Hugging Face model is their call of it; the construct
    that stopped the trace (``if is_global_attn:``) is in the library's file.
    """
    frames = traceback.extract_tb(tb)
    user = [i for i, f in enumerate(frames) if not is_library_file(f.filename)]
    library = [
        i
        for i, f in enumerate(frames)
        if not f.filename.startswith(_KILN_DIR)
        and not any(marker in f.filename for marker in _TRACER_MARKERS)
        and is_library_file(f.filename)
    ]
    if not library or (user and library[-1] < user[-1]):
        return ""
    frame = frames[library[-1]]
    code = f": `{frame.line.strip()}`" if frame.line else ""
    return f" (in {frame.filename}:{frame.lineno}{code})"


def op_name(node) -> str:
    """``aten.polar.default`` for an ATen node; the target's own name otherwise."""
    if hasattr(node.target, "_schema"):
        return str(node.target)
    return getattr(node.target, "__name__", str(node.target))


def forward_location(model) -> str:
    """``file:line:0`` of the model's ``forward`` definition, where its inputs are declared."""
    forward = getattr(type(model), "forward", None) or model
    try:
        file = inspect.getsourcefile(forward)
        line = inspect.getsourcelines(forward)[1]
    except (OSError, TypeError):
        return UNKNOWN
    return str(SourceLocation(file, line, 0)) if file else UNKNOWN
