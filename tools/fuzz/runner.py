"""The fuzz loop: draw cases, run each in a worker process, classify, collect failures.

Cases come from hypothesis strategies (``cases``), run by hypothesis's
engine with a fixed seed, for a number of cases or a time budget. A worker
process runs them one after another and is restarted after a crash, a
timeout or ``RECYCLE`` cases. A crash is replayed alone in a fresh process
under ``faulthandler``, whose stack gives the crash its signature.
"""

from __future__ import annotations

import os
import pickle
import select
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from kiln.tools.fuzz import outcome
from kiln.tools.fuzz.generate import functions
from kiln.tools.fuzz.mutate import mutants
from kiln.tools.fuzz.outcome import Outcome
from kiln.tools.fuzz.worker import EXEC, Case, receive_message, send_message

REPO = str(Path(__file__).resolve().parents[2])
RECYCLE = 150
CPU = ("--kiln-pipeline=cpu",)
PTX = ("--target=cuda", "--emit=ptx", "-o", os.devnull)


@st.composite
def cases(draw, root: str = REPO, index: int = 0) -> Case:
    """A mutant of the lit corpus or a generated function, and how to run it."""
    if draw(st.booleans()):
        seed, text, applied = draw(mutants(root))
        choices = ["cpu", "cpu", "own", "own", "ptx"] if seed.own_args else ["cpu", "cpu", "ptx"]
        how = draw(st.sampled_from(choices))
        origin = f"{seed.source} ({', '.join(applied)})"
    else:
        function = draw(functions())
        text, origin = function.text, f"generated {function.kind}"
        how = draw(st.sampled_from(["exec", "exec", "exec", "cpu", "ptx"]))
    if how == "exec":
        threads, inputs = draw(st.sampled_from([1, 2])), draw(st.integers(0, 2**16))
        return Case(index, origin, EXEC, text, (), function, inputs, threads)
    if how == "own":
        return Case(index, origin, "kiln-opt", text, seed.own_args)
    tool, args = ("kiln-opt", CPU) if how == "cpu" else ("kiln-compile", PTX)
    return Case(index, origin, tool, text, args)


class WorkerProcess:
    """A ``python -m kiln.tools.fuzz.worker --serve DIR`` child (see module docstring).

    Cases go to its stdin and outcomes come back on its stdout, as
    length-prefixed pickles; its stderr goes nowhere (tools print there).
    """

    def __init__(self, timeout: float):
        self.timeout = timeout
        self._process: subprocess.Popen | None = None
        self._served = 0
        self._workdir = tempfile.TemporaryDirectory(prefix="kiln-fuzz-")

    def run(self, case: Case) -> Outcome:
        """Runs ``case``; CRASH if the worker died, TIMEOUT if it took too long."""
        if self._process is None or self._served >= RECYCLE:
            self._start()
        self._served += 1
        try:
            send_message(self._process.stdin, case)
        except BrokenPipeError:
            return self._died()
        ready, _, _ = select.select([self._process.stdout], [], [], self.timeout)
        if not ready:
            self.close()
            return Outcome(outcome.TIMEOUT, f"timeout in {case.tool}", f"over {self.timeout:.0f} s")
        result = receive_message(self._process.stdout)
        return result if result is not None else self._died()

    def _died(self) -> Outcome:
        code = self._process.wait(10)
        self.close()
        return outcome.crashed(-code if code < 0 else 0)

    def _start(self) -> None:
        self.close()
        command = [sys.executable, "-m", "kiln.tools.fuzz.worker", "--serve", self._workdir.name]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self._served = 0

    def close(self) -> None:
        """Stops the child process (it is started again on the next case)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
        self._process = None


def run_alone(case: Case, timeout: float) -> Outcome:
    """Runs ``case`` in a fresh process under faulthandler (the stack names a crash)."""
    with tempfile.TemporaryDirectory(prefix="kiln-fuzz-") as tmp:
        path = Path(tmp, "case.pkl")
        path.write_bytes(pickle.dumps(case))
        command = [sys.executable, "-X", "faulthandler", "-m", "kiln.tools.fuzz.worker", str(path)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return Outcome(outcome.TIMEOUT, f"timeout in {case.tool}", f"over {timeout:.0f} s")
    if done.returncode < 0:
        return outcome.crashed(-done.returncode, done.stderr)
    for line in done.stdout.splitlines():
        if line.startswith("FUZZ-OUTCOME "):
            kind, signature, detail = line.removeprefix("FUZZ-OUTCOME ").split("\t", 2)
            return Outcome(kind, signature, eval(detail))  # noqa: S307 - our own repr of a str
    return Outcome(outcome.BUG, "the fuzz worker failed", done.stderr[-2000:])


@dataclass
class Finding:
    """The first case of one failure signature, how often it came, its minimized repro."""

    outcome: Outcome
    case: Case
    count: int = 1
    repro: str | None = None


@dataclass
class Report:
    """What a fuzz run did."""

    seed: int
    cases: int = 0
    seconds: float = 0.0
    kinds: Counter = field(default_factory=Counter)
    findings: dict[str, Finding] = field(default_factory=dict)
    rejections: Counter = field(default_factory=Counter)  # valid functions refused, by reason

    def record(self, case: Case, result: Outcome) -> None:
        """Counts ``result``; keeps the first case of each new bad signature."""
        self.cases += 1
        self.kinds[result.kind] += 1
        if result.kind == outcome.REJECTED:
            self.rejections[f"{case.origin}: {result.signature}"] += 1
        if not result.bad:
            return
        key = f"{result.kind}: {result.signature}"
        if key in self.findings:
            self.findings[key].count += 1
        else:
            self.findings[key] = Finding(result, case)

    def bad(self) -> list[Finding]:
        """The findings, most frequent first."""
        return sorted(self.findings.values(), key=lambda f: -f.count)


class _TimeUp(Exception):
    """Ends hypothesis's loop when the time budget is spent."""


def fuzz(
    seed: int = 0,
    max_cases: int | None = None,
    seconds: float | None = None,
    timeout: float = 90.0,
    root: str = REPO,
    log=None,
) -> Report:
    """Runs cases until ``max_cases`` or ``seconds`` is reached; returns the report."""
    report, worker, start = Report(seed), WorkerProcess(timeout), time.monotonic()
    deadline = start + seconds if seconds else float("inf")

    @settings(
        max_examples=max_cases or 10**9,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis_seed(seed)
    @given(st.data())
    def loop(data):
        case = data.draw(cases(root, report.cases))
        if time.monotonic() > deadline:  # after the draw: hypothesis replays it identically
            raise _TimeUp
        result = worker.run(case)
        if result.kind == outcome.CRASH:  # alone, under faulthandler: where it crashed
            alone = run_alone(case, timeout)
            result = alone if alone.kind == outcome.CRASH else result
        report.record(case, result)
        if log is not None:
            log(case, result)

    try:
        loop()
    except _TimeUp:
        pass
    finally:
        worker.close()
        report.seconds = time.monotonic() - start
    return report
