"""kiln.tools.fuzz's parts: outcome classification, mutants, generated functions,
minimization, lit tests and their oracle."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from kiln.tools.fuzz import outcome
from kiln.tools.fuzz.generate import functions
from kiln.tools.fuzz.minimize import existing_test, minimize, same_failure, write_lit_test
from kiln.tools.fuzz.mutate import _run_args, load_corpus, mutants
from kiln.tools.fuzz.reference import compare
from kiln.tools.fuzz.runner import REPO, WorkerProcess
from kiln.tools.fuzz.worker import EXEC, Case

SETTINGS = dict(deadline=None, derandomize=True, database=None)

FAULTHANDLER = """\
Fatal Python error: Segmentation fault

Current thread 0x00007f (most recent call first):
  File "/repo/kiln/ir.py", line 152 in apply_named_sequence
  File "/repo/passes/transform_script.py", line 170 in apply
  File "/repo/lowering/cpu/tile_and_fuse.py", line 96 in run
  File "/repo/passes/registry.py", line 105 in __call__

Thread 0x00007e (most recent call first):
  File "/usr/lib/python3.11/threading.py", line 320 in wait
"""

TRACEBACK = """\
Traceback (most recent call last):
  File "/repo/tools/kiln_opt.py", line 90, in main
  File "/repo/lowering/cpu/vectorize.py", line 60, in _masked_sizes
IndexError: list index out of range
"""


def test_outcomes_of_tool_runs():
    assert outcome.from_tool(0, "") == outcome.Outcome(outcome.OK)
    assert outcome.from_tool(1, "in.mlir:3:5: error: 'x' op bad").kind == outcome.OK
    crash = outcome.from_tool(-11, FAULTHANDLER)
    assert crash.kind == outcome.CRASH
    assert crash.signature == "SIGSEGV in ir.py:apply_named_sequence (in tile_and_fuse.py:run)"
    bug = outcome.from_tool(1, TRACEBACK)
    assert (bug.kind, bug.signature) == (outcome.BUG, "IndexError at vectorize.py:_masked_sizes")
    internal = outcome.from_tool(
        1, "a.mlir:2:8: error: kiln-x: internal error on 'linalg.add': KeyError: 'k' (a bug ...)"
    )
    assert internal.signature == "kiln-x: KeyError on linalg.add"


def test_same_failure_compares_crashes_by_signal():
    crash = outcome.Outcome(outcome.CRASH, "SIGSEGV in a.py:f")
    assert same_failure(crash)(outcome.Outcome(outcome.CRASH, "SIGSEGV"))
    assert not same_failure(crash)(outcome.Outcome(outcome.CRASH, "SIGABRT"))
    bug = outcome.Outcome(outcome.BUG, "kiln-x: KeyError")
    assert not same_failure(bug)(outcome.Outcome(outcome.BUG, "kiln-x: IndexError"))


def test_minimize_keeps_the_lines_that_matter():
    text = "".join(f"line {i}\n" for i in range(40))
    probes = []

    def fails(candidate: str) -> bool:
        probes.append(candidate)
        return "line 7\n" in candidate and "line 31\n" in candidate

    assert minimize(text, fails) == "line 7\nline 31\n"
    assert len(probes) <= 60


def test_corpus_seeds_and_their_pipelines():
    corpus = load_corpus(REPO)
    assert len(corpus) > 100
    assert all("// RUN" not in seed.text for seed in corpus)
    assert _run_args(
        "// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(cse)' | FileCheck %s"
    ) == ("--split-input-file", "--pass-pipeline=builtin.module(cse)")


@settings(max_examples=30, **SETTINGS)
@given(mutants(REPO))
def test_mutants_differ_from_their_seed_or_say_why(mutant):
    seed, text, applied = mutant
    assert 1 <= len(applied) <= 3
    assert text.endswith("\n")


@settings(max_examples=40, **SETTINGS)
@given(functions())
def test_generated_functions_parse_and_their_references_run(function):
    from kiln.ir import new_context, parse_module

    parse_module(function.text, new_context()).operation.verify()
    inputs = function.inputs(0)
    assert [x.shape for x in inputs] == [tuple(s) for s in function.input_shapes]
    (expected,) = function.expected(inputs)
    assert expected.dtype == np.float32
    assert compare([expected], [expected], function.rtol, function.atol) == ""


def test_compare_reports_the_first_difference():
    want = np.array([1.0, np.nan, np.inf], np.float32)
    assert compare([want.copy()], [want], 1e-4, 1e-4) == ""
    got = np.array([1.0, np.nan, -np.inf], np.float32)
    assert compare([got], [want], 1e-4, 1e-4).startswith("output 0[2]: got")


@pytest.fixture(scope="module")
def worker():
    """A fuzz worker that can unpickle this module's classes (it imports it by name)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join([str(Path(__file__).parent), *sys.path]))
        process = WorkerProcess(timeout=120)
        yield process
        process.close()


def test_worker_classifies_and_survives_a_crash(worker, tmp_path):
    ok = worker.run(
        Case(0, "t", "kiln-opt", "func.func @f() { return }\n", ("--kiln-pipeline=cpu",))
    )
    assert ok.kind == outcome.OK
    bad = worker.run(Case(1, "t", "kiln-opt", "func.func @f( {\n", ()))
    assert bad.kind == outcome.OK  # a parse error is a clean diagnostic
    crash = worker.run(Case(2, "t", EXEC, "", (), _Segfaults(), 0, 1))
    assert crash.kind == outcome.CRASH and crash.signature.startswith("SIGSEGV")
    assert (
        worker.run(Case(3, "t", "kiln-opt", "func.func @f() { return }\n", ())).kind == outcome.OK
    )


class _Segfaults:
    """A picklable stand-in for a generated function whose inputs crash the worker."""

    def inputs(self, seed):
        import ctypes

        ctypes.string_at(0)


def test_lit_test_of_a_finding_runs_its_oracle(tmp_path):
    case = Case(
        5, "generated matmul", "kiln-opt", "func.func @f() { return }\n", ("--kiln-pipeline=cpu",)
    )
    found = outcome.Outcome(outcome.CRASH, "SIGSEGV in x.py:f")
    path = write_lit_test(tmp_path, case, found, seed=3, fixed=False)
    text = path.read_text()
    assert "--seed 3, case 5" in text and "// XFAIL: *" in text
    assert "// RUN: %PYTHON -m kiln.tools.fuzz.check kiln-opt %s --kiln-pipeline=cpu" in text
    assert existing_test(tmp_path, found) == path  # a later run keeps no second copy
    assert existing_test(tmp_path, outcome.Outcome(outcome.CRASH, "SIGABRT")) is None
    check = [
        sys.executable,
        "-m",
        "kiln.tools.fuzz.check",
        "kiln-opt",
        str(path),
        "--kiln-pipeline=cpu",
    ]
    assert subprocess.run(check, capture_output=True, timeout=300).returncode == 0
