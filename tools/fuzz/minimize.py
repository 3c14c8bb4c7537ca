"""Line-delta minimization of a failing case, and the lit test that keeps it.

``minimize`` is Zeller's ddmin over lines: it removes ever smaller groups of
lines while the case still fails with the same class and signature, within
a budget of probes and seconds. ``write_lit_test`` writes the result to
``test/fuzz`` with a RUN line through ``kiln.tools.fuzz.check``, the oracle
that fails on a crash, a traceback, an internal error, a timeout or a wrong
answer; a finding that is not fixed yet is a strict XFAIL with its reason.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable
from pathlib import Path

from kiln.tools.fuzz.outcome import CRASH, Outcome
from kiln.tools.fuzz.worker import EXEC, Case

from kiln.files import atomic_write, short_hash

FUNCTION_TAG = "// FUZZ-FUNCTION: "


def minimize(
    text: str, still_fails: Callable[[str], bool], max_probes: int = 60, seconds: float = 120.0
) -> str:
    """The smallest text (by lines) found for which ``still_fails`` holds."""
    lines = text.splitlines()
    deadline, probes, parts = time.monotonic() + seconds, 0, 2
    while len(lines) >= 2 and probes < max_probes and time.monotonic() < deadline:
        size = -(-len(lines) // parts)
        for start in range(0, len(lines), size):
            candidate = lines[:start] + lines[start + size :]
            probes += 1
            if still_fails("\n".join(candidate) + "\n"):
                lines, parts = candidate, max(parts - 1, 2)
                break
            if probes >= max_probes or time.monotonic() >= deadline:
                break
        else:
            if parts >= len(lines):
                break
            parts = min(len(lines), parts * 2)
    return "\n".join(lines) + "\n"


def same_failure(expected: Outcome) -> Callable[[Outcome], bool]:
    """A predicate: the outcome is the same failure (for a crash: the same signal)."""

    def check(result: Outcome) -> bool:
        if result.kind != expected.kind:
            return False
        if result.kind == CRASH:  # the worker knows the signal, not the frame
            return result.signature.split(" ")[0] == expected.signature.split(" ")[0]
        return result.signature == expected.signature

    return check


def existing_test(directory: Path, result: Outcome) -> Path | None:
    """The lit test in ``directory`` already kept for ``result``'s failure, if any."""
    line = f"// {result.kind}: {result.signature}\n"
    if not directory.is_dir():
        return None
    return next((p for p in sorted(directory.glob("*.mlir")) if line in p.read_text()), None)


def write_lit_test(directory: Path, case: Case, result: Outcome, seed: int, fixed: bool) -> Path:
    """Writes ``case`` as a lit test that fails while the bug is there; returns its path."""
    stem = f"{result.kind}-{short_hash(result.signature, case.text)}"
    header = [
        f"// Found by kiln's fuzzer (python -m kiln.tools.fuzz --seed {seed}, case {case.index}),",
        f"// from {case.origin}; minimized.",
        f"// {result.kind}: {result.signature}",
    ]
    if not fixed:
        header.append("// Not fixed yet: an expected failure until it is (then drop the XFAIL).")
        header.append("// XFAIL: *")
    if case.tool == EXEC:
        function = case.function
        spec = {
            "kind": function.kind,
            "input_shapes": function.input_shapes,
            "recipe": function.recipe,
            "rtol": function.rtol,
            "atol": function.atol,
            "seed": case.inputs_seed,
            "threads": case.threads,
        }
        header.append(FUNCTION_TAG + json.dumps(spec))
        header.append("// RUN: %PYTHON -m kiln.tools.fuzz.check --exec %s")
    else:
        args = " ".join(shlex.quote(a) for a in case.args)
        header.append(f"// RUN: %PYTHON -m kiln.tools.fuzz.check {case.tool} %s {args}")
    path = directory / f"{stem}.mlir"
    atomic_write(path, "\n".join(header) + "\n\n" + case.text)
    return path
