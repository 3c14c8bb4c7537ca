"""The oracle of fuzz regression tests: runs one case, fails on a kiln bug.

    python -m kiln.tools.fuzz.check kiln-opt file.mlir --kiln-pipeline=cpu
    python -m kiln.tools.fuzz.check --exec file.mlir   # a generated function, vs numpy

Exit 0 when the case ends cleanly (output, or a diagnostic); exit 1, saying
why, on a crash, a Python traceback, an "internal error", a timeout or (for
``--exec``) an answer that differs from numpy's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kiln.tools.fuzz import outcome
from kiln.tools.fuzz.generate import Function
from kiln.tools.fuzz.minimize import FUNCTION_TAG
from kiln.tools.fuzz.runner import run_alone
from kiln.tools.fuzz.worker import EXEC, Case

MODULES = {"kiln-opt": "kiln.tools.kiln_opt", "kiln-compile": "kiln.tools.kiln_compile"}
TIMEOUT = 300


def main(argv: list[str] | None = None) -> int:
    """Entry point (see module docstring)."""
    argv = sys.argv[1:] if argv is None else argv
    result = _exec(Path(argv[1])) if argv[0] == "--exec" else _tool(argv)
    if not result.bad:
        return 0
    print(f"kiln fuzz check: {result.kind}: {result.signature}\n{result.detail}", file=sys.stderr)
    return 1


def _tool(argv: list[str]) -> outcome.Outcome:
    module = MODULES[os.path.basename(argv[0])]
    command = [sys.executable, "-X", "faulthandler", "-m", module, *argv[1:]]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return outcome.Outcome(outcome.TIMEOUT, f"timeout in {argv[0]}", f"over {TIMEOUT} s")
    return outcome.from_tool(done.returncode, done.stderr)


def _exec(path: Path) -> outcome.Outcome:
    text = path.read_text()
    tagged = [line for line in text.splitlines() if line.startswith(FUNCTION_TAG)]
    spec = json.loads(tagged[0].removeprefix(FUNCTION_TAG))
    function = Function(
        spec["kind"],
        text,
        _tuples(spec["input_shapes"]),
        _tuples(spec["recipe"]),
        spec["rtol"],
        spec["atol"],
    )
    return run_alone(
        Case(0, str(path), EXEC, text, (), function, spec["seed"], spec["threads"]), TIMEOUT
    )


def _tuples(value):
    """JSON lists back to the tuples the recipes were built from."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


if __name__ == "__main__":
    sys.exit(main())
