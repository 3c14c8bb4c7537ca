"""Runs torch-mlir's end-to-end op test suite (a peer project's tests) through kiln.

    python -m tools.peer_suite --torch-mlir DIR [--set linalg-passes|linalg-fails|all]
        [--sample N] [--seed S] [--filter RE] [--timeout S] [--jsonl FILE] [-j N]

DIR is a torch-mlir source tree (``projects/pt1/python/torch_mlir_e2e_test`` and
``projects/pt1/e2e_testing/xfail_sets.py`` are read from it; the PyPI wheel does not ship
them). Each test builds its module, records PyTorch eager's outputs (the golden trace),
compiles the module with ``kiln.compile`` for each recorded call and compares with the
suite's own reporting (its tolerances, its type checks).

By default only the tests torch-mlir's own linalg backend passes are run (the suite minus
its FX-importer xfail and crash sets): those are the ones a user can expect a linalg
compiler to pass. ``--set linalg-fails`` runs the others, ``--set all`` both. Tests run in
a worker process that is restarted after a crash or a timeout, so one segfault costs one
test, not the run.

A torch-mlir tree for DIR: ``git clone https://github.com/llvm/torch-mlir`` (only the two
folders above are read; any recent commit works with torch 2.13).

Prints one line per failure (name, phase, first line of the reason), then the pass rate.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import selectors
import subprocess
import sys
import tempfile
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def _install_version_shim() -> None:
    """What the suite imports and kiln's environment lacks: ``torch_mlir._version`` (not in
    the wheel) and ``multiprocess``."""
    if "torch_mlir._version" in sys.modules:
        return
    import torch
    from packaging import version

    shim = types.ModuleType("torch_mlir._version")
    shim.version = version
    shim.torch_version_for_comparison = lambda: version.parse(torch.__version__.split("+")[0])
    sys.modules["torch_mlir._version"] = shim
    # The framework imports the `multiprocess` package for its own parallel runner, which
    # this tool does not use; the standard library's module stands in for it.
    import multiprocessing

    sys.modules.setdefault("multiprocess", multiprocessing)


def _suite_paths(root: Path) -> tuple[Path, Path]:
    python = root / "projects/pt1/python"
    testing = root / "projects/pt1/e2e_testing"
    if not (python / "torch_mlir_e2e_test").is_dir() or not (testing / "xfail_sets.py").is_file():
        sys.exit(f"peer_suite: {root} is not a torch-mlir source tree (no projects/pt1/...)")
    return python, testing


def _registry(root: Path):
    python, testing = _suite_paths(root)
    sys.path[:0] = [str(python), str(testing)]
    _install_version_shim()
    # The suite's vision models import torchvision, whose wheel does not load with the CPU
    # torch on its own; the model tier's loader makes it importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "test/e2e"))
    from models.torchvision_cpu import import_torchvision

    import_torchvision()
    from torch_mlir_e2e_test.registry import GLOBAL_TEST_REGISTRY
    from torch_mlir_e2e_test.test_suite import register_all_tests

    with contextlib.redirect_stdout(io.StringIO()):  # xfail_sets prints the torch version
        register_all_tests()
        import xfail_sets
    not_expected = set(xfail_sets.FX_IMPORTER_XFAIL_SET) | set(xfail_sets.FX_IMPORTER_CRASHING_SET)
    return {t.unique_name: t for t in GLOBAL_TEST_REGISTRY}, not_expected


def _kiln_config():
    from torch_mlir_e2e_test.framework import TestConfig, TraceItem

    import kiln

    class KilnTestConfig(TestConfig):
        """Compiles the module for each recorded call with kiln.compile and runs it."""

        def compile(self, program, verbose=False):
            return program

        def run(self, artifact, trace):
            result = []
            for item in trace:
                method = artifact if item.symbol == "forward" else getattr(artifact, item.symbol)
                compiled = kiln.compile(method, *item.inputs)
                output = compiled(*item.inputs)
                if isinstance(output, list):
                    output = tuple(output)
                result.append(TraceItem(symbol=item.symbol, inputs=item.inputs, output=output))
            return result

    return KilnTestConfig()


def _worker(root: Path, names: list[str]) -> None:
    """Runs the named tests in order; one JSON line per test on stdout."""
    tests, _ = _registry(root)
    from torch_mlir_e2e_test.framework import compile_and_run_test
    from torch_mlir_e2e_test.reporting import ErrorContext, SingleTestReport

    config = _kiln_config()
    for name in names:
        print(json.dumps({"name": name, "status": "started"}), flush=True)
        result = compile_and_run_test(tests[name], config)
        if result.compilation_error or result.runtime_error:
            phase = "compile" if result.compilation_error else "run"
            reason = (result.compilation_error or result.runtime_error).strip()
            status = {"status": "fail", "phase": phase, "reason": reason}
        else:
            report = SingleTestReport(result, ErrorContext.empty())
            status = (
                {"status": "fail", "phase": "numerics", "reason": report.error_str()}
                if report.failed
                else {"status": "pass"}
            )
        print(json.dumps({"name": name, **status}), flush=True)


def _summary_line(reason: str) -> str:
    """The line of a traceback that says what went wrong: its last non-blank line."""
    lines = [line.strip() for line in reason.splitlines() if line.strip()]
    return lines[-1][:240] if lines else "(no reason)"


def _failure(name: str | None, phase: str, reason: str) -> dict:
    return {"name": name, "status": "fail", "phase": phase, "reason": reason}


def _record(results: dict[str, dict], record: dict, out) -> None:
    """Keeps ``record``, writes it to ``out`` and prints it when it is a failure."""
    results[record["name"]] = record
    if out:
        out.write(json.dumps(record) + "\n")
        out.flush()
    if record["status"] != "pass":
        print(
            f"FAIL {record['name']} [{record['phase']}]: {_summary_line(record['reason'])}",
            flush=True,
        )


def _run(root: Path, names: list[str], timeout: float, out) -> dict[str, dict]:
    results: dict[str, dict] = {}
    pending = list(names)
    while pending:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(pending, f)
        command = [
            sys.executable,
            "-m",
            "tools.peer_suite",
            "--torch-mlir",
            str(root),
            "--worker",
            f.name,
        ]
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        current, finished = None, len(results)
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        while True:
            # Between tests the worker may be loading the suite (seconds): the per-test
            # limit runs from each test's start.
            if not selector.select(timeout=timeout if current else max(timeout, 300)):
                proc.kill()
                proc.wait()
                lost = _failure(current, "timeout", f"no result in {timeout:.0f} s")
                break
            line = proc.stdout.readline()
            if not line:
                proc.wait()
                lost = _failure(current, "crash", f"worker died (exit {proc.returncode})")
                break
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if record["status"] == "started":
                current = record["name"]
                continue
            _record(results, record, out)
            current = None
        if current is not None:
            _record(results, lost, out)
        elif len(results) == finished:  # the worker died before its first test: give up
            for name in pending:
                if name not in results:
                    _record(results, {**lost, "name": name}, out)
        os.unlink(f.name)
        pending = [n for n in pending if n not in results]
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torch-mlir", required=True, type=Path, help="torch-mlir source tree")
    parser.add_argument("--sample", type=int, help="run a random sample of this many tests")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--filter", help="only tests whose name matches this regex")
    parser.add_argument(
        "--set",
        choices=("linalg-passes", "linalg-fails", "all"),
        default="linalg-passes",
        help="the tests torch-mlir's linalg backend passes (default), those it fails, or all",
    )
    parser.add_argument("--timeout", type=float, default=180, help="seconds per test")
    parser.add_argument("--jsonl", type=Path, help="write every result here")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = args.torch_mlir.resolve()
    if args.worker:
        _worker(root, json.loads(Path(args.worker).read_text()))
        return 0

    tests, not_expected = _registry(root)
    wanted = {
        "linalg-passes": lambda n: n not in not_expected,
        "linalg-fails": lambda n: n in not_expected,
        "all": lambda n: True,
    }[args.set]
    names = sorted(n for n in tests if wanted(n))
    if args.filter:
        names = [n for n in names if re.search(args.filter, n)]
    if args.sample and args.sample < len(names):
        names = sorted(random.Random(args.seed).sample(names, args.sample))
    print(
        f"peer_suite: {len(names)} tests of {len(tests)} (set: {args.set})",
        flush=True,
    )
    shards = [names[i :: args.jobs] for i in range(args.jobs)]
    with (
        args.jsonl.open("w") if args.jsonl else contextlib.nullcontext() as out,
        ThreadPoolExecutor(args.jobs) as pool,
    ):
        parts = pool.map(lambda shard: _run(root, shard, args.timeout, out), shards)
        results = {name: record for part in parts for name, record in part.items()}
    passed = sum(r["status"] == "pass" for r in results.values())
    print(f"peer_suite: {passed}/{len(names)} passed ({100 * passed / max(len(names), 1):.1f}%)")
    return 0 if passed == len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
