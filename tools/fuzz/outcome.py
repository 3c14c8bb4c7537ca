"""How a fuzz case ended, and the signature that tells one failure class from another."""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass

from kiln.errors import INTERNAL_ERROR

OK = "ok"  # ran, or stopped with a clean diagnostic
REJECTED = "rejected"  # a generated (valid) function refused with a kiln error
CRASH = "crash"  # killed by a signal
BUG = "bug"  # a Python traceback or an "internal error"
WRONG = "wrong"  # ran, but disagrees with numpy
TIMEOUT = "timeout"
BAD = (CRASH, BUG, WRONG, TIMEOUT)

_INTERNAL_RE = re.compile(r"error: (kiln-[\w-]+): internal error(?: on '([^']+)')?: (\w+)")
_FRAME_RE = re.compile(r'File "([^"]+)", line (\d+),? in (\S+)')
_EXCEPTION_RE = re.compile(r"^(\w+(?:\.\w+)*(?:Error|Exception|Iteration|Interrupt)): ", re.M)


@dataclass(frozen=True)
class Outcome:
    """The class of a case's end, a signature (same signature: same bug) and details."""

    kind: str
    signature: str = ""
    detail: str = ""

    @property
    def bad(self) -> bool:
        """True for the classes the fuzzer reports: crash, bug, wrong answer, timeout."""
        return self.kind in BAD


def from_tool(returncode: int, stderr: str) -> Outcome:
    """Classifies a tool run (kiln-opt, kiln-compile) by its exit status and stderr."""
    if returncode < 0:
        return crashed(-returncode, stderr)
    if INTERNAL_ERROR in stderr or "Traceback (most recent call last)" in stderr:
        return Outcome(BUG, bug_signature(stderr), _tail(stderr))
    return Outcome(OK)


def crashed(signum: int, stderr: str = "") -> Outcome:
    """A death by signal ``signum``; the signature names the innermost kiln frame if known."""
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    frame = _innermost_kiln_frame(stderr, faulthandler=True)
    return Outcome(CRASH, f"{name} in {frame}" if frame else name, _tail(stderr))


def bug_signature(text: str) -> str:
    """``pass: ExceptionType`` for an internal-error diagnostic, else the exception and frame."""
    match = _INTERNAL_RE.search(text)
    if match:
        on = f" on {match.group(2)}" if match.group(2) else ""
        return f"{match.group(1)}: {match.group(3)}{on}"
    exceptions = _EXCEPTION_RE.findall(text)
    exception = exceptions[-1] if exceptions else "internal error"
    frame = _innermost_kiln_frame(text, faulthandler=False)
    return f"{exception} at {frame}" if frame else exception


def _innermost_kiln_frame(text: str, faulthandler: bool) -> str:
    """``file.py:function`` of the innermost frame in kiln's code (or any frame), followed
    by the kiln pass it ran in (the innermost ``run``) when that is another frame."""
    if faulthandler:  # the crashing thread's stack, most recent call first
        current = text.split("Current thread", 1)[-1].split("\n\n", 1)[0]
        frames = list(reversed(_FRAME_RE.findall(current)))
    else:
        frames = _FRAME_RE.findall(text)
    ours = [f for f in frames if "site-packages" not in f[0] and "/lib/python" not in f[0]]
    chosen = (ours or frames)[-1:]
    if not chosen:
        return ""
    where = _frame_name(chosen[0])
    passes = [f for f in ours if f[2] == "run"]
    if passes and passes[-1] is not chosen[0]:
        where += f" (in {_frame_name(passes[-1])})"
    return where


def _frame_name(frame: tuple[str, str, str]) -> str:
    return f"{frame[0].rsplit('/', 1)[-1]}:{frame[2]}"


def _tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
