"""Progress on a real terminal: kiln.compile prints one line per stage with its time when
stderr is a terminal (a pty here), and nothing into a pipe or with KILN_QUIET=1."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

import pytest

COMPILE = """
import kiln
kiln.compile('''
func.func @f(%a: tensor<64xf32>) -> tensor<64xf32> {
  %e = tensor.empty() : tensor<64xf32>
  %0 = linalg.add ins(%a, %a : tensor<64xf32>, tensor<64xf32>) outs(%e : tensor<64xf32>) -> tensor<64xf32>
  return %0 : tensor<64xf32>
}''', threads=1)
print("done")
"""
# Static shapes: the last step builds the library (kiln.aot; the JIT's step is "jit").
STEPS = [
    "import",
    "graph",
    "grouped",
    "tiled",
    "vectorized",
    "bufferized",
    "loops",
    "llvm",
    "library",
]


def _compile_with_stderr_on_a_terminal(env: dict) -> str:
    """Runs COMPILE with stderr on a new pty; returns what the terminal showed."""
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", COMPILE], stdout=subprocess.PIPE, stderr=secondary, env=env
    )
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert process.wait(timeout=300) == 0
    assert process.stdout.read().strip() == b"done"
    return shown.decode().replace("\r\n", "\n")


@pytest.fixture
def env():
    # KILN_CACHE=0: every run compiles (a compile-cache hit on MLIR text prints nothing).
    return {**{k: v for k, v in os.environ.items() if k != "KILN_QUIET"}, "KILN_CACHE": "0"}


def test_a_terminal_sees_each_stage_with_its_time(env):
    lines = [line for line in _compile_with_stderr_on_a_terminal(env).splitlines() if line]
    steps = [line for line in lines if not line.startswith("kiln: compiled")]
    assert [line.split()[1] for line in steps] == STEPS
    assert all(re.fullmatch(r"kiln: [a-z]+ +\d+\.\d\d s", line) for line in steps)
    assert re.fullmatch(r"kiln: compiled module in \d+\.\d\d s", lines[-1])


def test_quiet_with_kiln_quiet(env):
    assert _compile_with_stderr_on_a_terminal({**env, "KILN_QUIET": "1"}).strip() == ""


def test_quiet_into_a_pipe(env):
    done = subprocess.run(
        [sys.executable, "-c", COMPILE], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0 and done.stdout.strip() == "done"
    assert "kiln:" not in done.stderr
