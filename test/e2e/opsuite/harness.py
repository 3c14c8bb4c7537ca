"""Runs one op-suite case through kiln and compares it with eager PyTorch.

``failure_summary`` words a failure in one line; an xfail reason is that
line, so a case that starts failing differently fails the run. Isolated
cases run in a child process (``python -m opsuite.harness NAME THREADS``),
so that an abort in compiled code is reported instead of killing pytest.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import warnings
from pathlib import Path

import torch
from caller_inputs import call_keeping_inputs

import kiln

from .registry import Case, all_cases

MISMATCH = "mismatch"


class IsolatedFailure(Exception):
    """A case that failed or crashed in its child process; ``summary`` says how."""

    def __init__(self, summary: str, detail: str):
        self.summary = summary
        super().__init__(f"{summary}\n{detail}")


def eager(model: torch.nn.Module, inputs: tuple) -> tuple[torch.Tensor, ...]:
    """The model's outputs in eager PyTorch, as a tuple (on copies of the inputs)."""
    with torch.no_grad():
        return as_tuple(model(*(x.clone() for x in inputs)))


def as_tuple(outputs) -> tuple:
    """One output or several, as a tuple."""
    return tuple(outputs) if isinstance(outputs, (tuple, list)) else (outputs,)


def check(case: Case, threads: int) -> None:
    """Runs ``case`` (in a child process if it is isolated); raises if it fails."""
    if case.isolate:
        run_isolated(case, threads)
    else:
        run_case(case, threads)


def run_case(case: Case, threads: int) -> None:
    """Compiles ``case`` on ``threads`` threads; raises if it fails, differs from eager or
    writes into its inputs."""
    model, inputs = case.build()
    expected = eager(model, inputs)
    compiled = kiln.compile(model, *inputs, threads=threads)
    actual = as_tuple(call_keeping_inputs(compiled, *inputs))  # inputs left as they were
    torch.testing.assert_close(
        actual, expected, rtol=case.rtol, atol=case.atol, equal_nan=case.equal_nan
    )


def run_isolated(case: Case, threads: int) -> None:
    """``run_case`` in a child process; a failure or a crash there raises ``IsolatedFailure``."""
    child = subprocess.run(
        [sys.executable, "-m", f"{__package__}.harness", case.name, str(threads)],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if child.returncode == 0:
        return
    if child.returncode < 0:  # compiled code's own messages (e.g. a failed assert) go to stdout
        said = [line for line in (child.stderr + child.stdout).splitlines() if line.strip()]
        last = said[-1].strip() if said else ""
        signame = signal.Signals(-child.returncode).name
        summary = f"crash: {signame}: {last}" if last else f"crash: {signame}"
        raise IsolatedFailure(summary, child.stderr + child.stdout)
    raise IsolatedFailure(child.stdout.strip().splitlines()[-1], child.stderr)


def failure_summary(err: BaseException) -> str:
    """One line naming how a case failed: the kiln error and its op or stage, or a mismatch."""
    if isinstance(err, IsolatedFailure):
        return err.summary
    if isinstance(err, kiln.UnsupportedOpsError):
        return "UnsupportedOpsError: " + "; ".join(f"{u.op}: {_short(u.reason)}" for u in err.ops)
    if isinstance(err, kiln.PipelineError):
        return f"PipelineError: stage '{err.stage}': {_first_error(err.diagnostics)}"
    if isinstance(err, AssertionError):
        return MISMATCH
    if isinstance(err, kiln.KilnError):
        return f"{type(err).__name__}: {_first_error(str(err))}"
    return f"{type(err).__name__}: {_short(str(err))}"


def matches_reason(err: BaseException, reason: str) -> bool:
    """Whether ``err`` is the failure ``reason`` records.

    Errors must match exactly; a mismatch reason (``mismatch: <what differs>``)
    describes the observed numbers in words, so any assertion error matches it.
    """
    summary = failure_summary(err)
    if summary == MISMATCH:
        return reason.startswith(f"{MISMATCH}: ")
    return summary == reason


def _short(message: str) -> str:
    """The first line of a message, without the dump of the op that MLIR appends."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    return first.split(": %", 1)[0]


def _first_error(text: str) -> str:
    """The message of the first ``error:`` line of diagnostics, else their last line."""
    for line in text.splitlines():
        if "error: " in line:
            return line.split("error: ", 1)[1].strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _child_main(name: str, threads: int) -> int:
    """The child process of ``run_isolated``: prints the failure summary, exits 1 on failure."""
    warnings.filterwarnings("ignore")  # keep the output to what the compiled code says
    case = next(c for c in all_cases() if c.name == name)
    try:
        run_case(case, threads)
    except Exception as err:  # the parent reads the summary line
        print(failure_summary(err))
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1], int(sys.argv[2])))
