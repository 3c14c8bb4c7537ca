"""Runs fuzz cases: in a long-lived worker process (fast) or one per process (to confirm).

A case is a tool run (``kiln-opt`` or ``kiln-compile`` on MLIR text, their
``main`` called in this process with stdout and stderr captured) or an
execution (``kiln.compile`` on a generated function, then a call compared
with numpy). A crash kills the process, which the parent sees.

    python -X faulthandler -m kiln.tools.fuzz.worker case.pkl   # one case; prints its Outcome
    python -m kiln.tools.fuzz.worker --serve DIR                # cases on stdin (runner)
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import pickle
import struct
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

from kiln.tools.fuzz import outcome
from kiln.tools.fuzz.generate import Function
from kiln.tools.fuzz.outcome import Outcome
from kiln.tools.fuzz.reference import compare

TOOLS = ("kiln-opt", "kiln-compile")
EXEC = "exec"


@dataclass(frozen=True)
class Case:
    """One input and what to do with it (see module docstring)."""

    index: int
    origin: str  # e.g. "test/passes/vectorize.mlir (drop, dim)" or "generated matmul"
    tool: str  # kiln-opt, kiln-compile or exec
    text: str
    args: tuple[str, ...] = ()
    function: Function | None = None
    inputs_seed: int = 0
    threads: int = 1

    def with_text(self, text: str) -> Case:
        """The same case on other text (minimization)."""
        return dataclasses.replace(self, text=text)

    def command(self, path: str) -> list[str]:
        """The command line that replays a tool case on ``path``."""
        return [self.tool, path, *self.args]


def run_case(case: Case, workdir: str) -> Outcome:
    """Runs ``case`` in this process and classifies how it ended."""
    if case.tool == EXEC:
        return _execute(case)
    path = Path(workdir, f"case{case.index}.mlir")
    path.write_text(case.text)
    return _run_tool(case.tool, [str(path), *case.args])


def _run_tool(tool: str, argv: list[str]) -> Outcome:
    from kiln.tools import kiln_compile, kiln_opt

    main = kiln_opt.main if tool == "kiln-opt" else kiln_compile.main
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(argv)
    except SystemExit as exit_:  # argparse: a usage error
        status = exit_.code if isinstance(exit_.code, int) else 2
    except Exception:
        text = traceback.format_exc()
        return Outcome(outcome.BUG, outcome.bug_signature(text), text[-2000:])
    return outcome.from_tool(status, err.getvalue())


def _execute(case: Case) -> Outcome:
    """kiln.compile the generated function, call it, compare with numpy."""
    import kiln

    function = case.function
    inputs = function.inputs(case.inputs_seed)
    try:
        compiled = kiln.compile(case.text, threads=case.threads)
        got = compiled(*inputs)
    except kiln.KilnError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if outcome.INTERNAL_ERROR in str(err):
            return Outcome(outcome.BUG, outcome.bug_signature(str(err)), str(err)[-2000:])
        return Outcome(outcome.REJECTED, f"{type(err).__name__}: {first[:120]}", str(err)[-2000:])
    except Exception:
        text = traceback.format_exc()
        return Outcome(outcome.BUG, outcome.bug_signature(text), text[-2000:])
    actual = list(got) if isinstance(got, tuple) else [got]
    problem = compare(actual, function.expected(inputs), function.rtol, function.atol)
    if problem:
        return Outcome(outcome.WRONG, f"wrong {function.kind}", problem)
    return Outcome(outcome.OK)


def send_message(stream, obj) -> None:
    """Writes ``obj`` to a binary stream as an 8-byte length and a pickle."""
    data = pickle.dumps(obj)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def receive_message(stream):
    """The next object from ``send_message`` on ``stream``; None at end of stream."""
    head = stream.read(8)
    if len(head) < 8:
        return None
    (size,) = struct.unpack("<Q", head)
    data = stream.read(size)
    return pickle.loads(data) if len(data) == size else None


def serve(workdir: str) -> None:
    """The worker loop: cases from stdin, outcomes to stdout (see ``runner.WorkerProcess``).

    The protocol keeps the real stdout; file descriptor 1 then points at
    stderr, so that native code printing there cannot corrupt it.
    """
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    os.environ.setdefault("KILN_REPRO_DIR", os.path.join(workdir, "repro"))
    while (case := receive_message(requests)) is not None:
        send_message(replies, run_case(case, workdir))


def main(argv: list[str] | None = None) -> int:
    """One case from a pickle file; prints its Outcome as a pickle-free repr line."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[0] == "--serve":
        serve(argv[1])
        return 0
    case = pickle.loads(Path(argv[0]).read_bytes())
    with tempfile.TemporaryDirectory(prefix="kiln-fuzz-") as workdir:
        os.environ.setdefault("KILN_REPRO_DIR", os.path.join(workdir, "repro"))
        result = run_case(case, workdir)
    print(f"FUZZ-OUTCOME {result.kind}\t{result.signature}\t{result.detail!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
