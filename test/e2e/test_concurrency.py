"""kiln.compile from several threads and processes at once: no crash, every result right.

Before the fix, four threads compiling MLIR text segfaulted about every other
run (kiln's Python-defined dialect was loaded into new contexts concurrently)
and four threads compiling nn.Modules failed every time (torch.export is not
thread-safe). The thread tests run several rounds so that a race shows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

import kiln

ROUNDS = 3
REPO = Path(__file__).resolve().parents[2]

ADD = """
func.func @f(%a: tensor<{n}x8xf32>, %b: tensor<{n}x8xf32>) -> tensor<{n}x8xf32> {{
  %e = tensor.empty() : tensor<{n}x8xf32>
  %r = linalg.add ins(%a, %b : tensor<{n}x8xf32>, tensor<{n}x8xf32>)
                  outs(%e : tensor<{n}x8xf32>) -> tensor<{n}x8xf32>
  return %r : tensor<{n}x8xf32>
}}
"""

MATMUL = """
func.func @f(%a: tensor<{n}x12xf32>, %b: tensor<12x16xf32>) -> tensor<{n}x16xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{n}x16xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<{n}x16xf32>) -> tensor<{n}x16xf32>
  %r = linalg.matmul ins(%a, %b : tensor<{n}x12xf32>, tensor<12x16xf32>)
                     outs(%c : tensor<{n}x16xf32>) -> tensor<{n}x16xf32>
  return %r : tensor<{n}x16xf32>
}}
"""

ROW_SUM = """
func.func @f(%a: tensor<{n}x24xf32>) -> tensor<{n}xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{n}xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<{n}xf32>) -> tensor<{n}xf32>
  %r = linalg.reduce ins(%a : tensor<{n}x24xf32>) outs(%c : tensor<{n}xf32>) dimensions = [1]
    (%x: f32, %acc: f32) {{
      %s = arith.addf %x, %acc : f32
      linalg.yield %s : f32
    }}
  return %r : tensor<{n}xf32>
}}
"""

MLIR_CASES = [
    (ADD, lambda n: [(n, 8), (n, 8)], lambda a, b: a + b),
    (MATMUL, lambda n: [(n, 12), (12, 16)], lambda a, b: a @ b),
    (ROW_SUM, lambda n: [(n, 24)], lambda a: a.sum(axis=1)),
]


class Mlp(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.a = nn.Linear(width, 16)
        self.b = nn.Linear(16, 4)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


class ConvNet(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, 4, 3, padding=1)

    def forward(self, x):
        return torch.sigmoid(self.conv(x))


class Softmax(nn.Module):
    def forward(self, x):
        return torch.softmax(x * 2.0, dim=-1)


def _nn_case(i: int):
    torch.manual_seed(i)
    kind = i % 3
    if kind == 0:
        return Mlp(5 + i), torch.randn(3, 5 + i)
    if kind == 1:
        return ConvNet(1 + i % 4), torch.randn(1, 1 + i % 4, 6, 7)
    return Softmax(), torch.randn(2, 9 + i)


def _compile_mlir(i: int) -> None:
    template, shapes, reference = MLIR_CASES[i % len(MLIR_CASES)]
    n = 3 + i
    rng = np.random.default_rng(i)
    args = [rng.standard_normal(s).astype(np.float32) for s in shapes(n)]
    compiled = kiln.compile(template.format(n=n), threads=1)
    np.testing.assert_allclose(np.asarray(compiled(*args)), reference(*args), rtol=1e-4, atol=1e-5)


def _compile_module(i: int) -> None:
    model, x = _nn_case(i)
    compiled = kiln.compile(model, x, threads=1)
    with torch.no_grad():
        expected = model(x)
    torch.testing.assert_close(torch.as_tensor(compiled(x)), expected, rtol=1e-4, atol=1e-5)


def _run_in_threads(jobs) -> list[str]:
    """Starts every job at once (a barrier), joins them, returns their failures."""
    failures: list[str] = []
    barrier = threading.Barrier(len(jobs))

    def run(job, i):
        barrier.wait()
        try:
            job(i)
        except Exception as err:  # collected: the assertion below shows every one
            failures.append(f"{job.__name__}({i}): {type(err).__name__}: {err}")

    threads = [threading.Thread(target=run, args=(job, i)) for job, i in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures


def test_threads_compile_different_mlir_at_once():
    for round_ in range(ROUNDS):
        jobs = [(_compile_mlir, round_ * 4 + i) for i in range(4)]
        assert _run_in_threads(jobs) == []


def test_threads_compile_different_modules_and_mlir_at_once():
    for round_ in range(ROUNDS - 1):
        jobs = [(_compile_module, round_ * 3 + i) for i in range(3)]
        jobs += [(_compile_mlir, round_ * 3 + i) for i in range(2)]
        assert _run_in_threads(jobs) == []


PROCESS_SCRIPT = textwrap.dedent(
    """
    import sys, torch, torch.nn as nn, kiln

    class Net(nn.Module):  # both processes: one class name, different models
        def __init__(self, width):
            super().__init__()
            self.fc = nn.Linear(width, 6)

        def forward(self, x):
            return torch.tanh(self.fc(x))

    width = int(sys.argv[1])
    torch.manual_seed(width)
    model, x = Net(width), torch.randn(2, width)
    compiled = kiln.compile(model, x, threads=1, dump_dir=sys.argv[2])
    torch.testing.assert_close(torch.as_tensor(compiled(x)), model(x), rtol=1e-4, atol=1e-5)
    print("ok", width)
    """
)


def test_two_processes_share_a_dump_dir_without_clobbering(tmp_path):
    script = tmp_path / "compile_net.py"
    script.write_text(PROCESS_SCRIPT)
    dumps = tmp_path / "dumps"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(width), str(dumps)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for width in (5, 7)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-2000:]
        assert out.startswith("ok")
    graphs = sorted(dumps.glob("net*.01-graph.mlir"))
    assert len(graphs) == 2, sorted(p.name for p in dumps.iterdir())
    texts = [p.read_text() for p in graphs]
    assert {("x5xf32>" in t, "x7xf32>" in t) for t in texts} == {(True, False), (False, True)}
    assert not list(dumps.glob("*.tmp*")), "temporary files left behind"
