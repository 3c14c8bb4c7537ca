"""Compiles one real model with kiln and checks it against eager PyTorch.

The rule (``within_tolerance``): with ``ref`` the model run eagerly in float64,

    max|kiln - ref| <= FACTOR * max|eager_f32 - ref| + FLOOR * max|ref|

kiln's float32 result may be up to FACTOR times further from the exact answer
than eager PyTorch's own float32 result is; FLOOR (relative to the output's
largest value) covers a model on which eager float32 happens to be nearly exact.
Where the float64 run fails, ``ref`` is eager float32 and the bound is
``FLOOR_F32 * max|ref|``.

Besides numerics: a second call on the same inputs gives bit-identical outputs,
and the inputs are untouched by the calls (compared with clones).
"""

from __future__ import annotations

import contextlib
import copy
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

import kiln

FACTOR = 10.0
FLOOR = 1e-5
FLOOR_F32 = 1e-4
COMPILE_THREADS = 2
# Frames that run every stage or pass (and this tier's own wrappers): the culprit is below them.
NOT_THE_CULPRIT = ("kiln/__init__.py", "kiln/driver.py", "kiln/api.py", "test/")


@dataclass
class Outcome:
    """What happened to one model; ``status`` is "pass", "mismatch" or "error"."""

    name: str
    source: str
    status: str = "error"
    compiled: bool = False
    error: str = ""  # one line: the exception type, the stage, the first line of the message
    detail: str = ""  # the full message (truncated), for sorting failures into classes
    where: str = ""  # for a Python exception inside kiln: its innermost kiln frame
    err_kiln: float | None = None  # max|kiln - ref|
    err_eager: float | None = None  # max|eager f32 - ref| (None without a float64 run)
    scale: float | None = None  # max|ref|
    compile_s: float | None = None
    phases: dict[str, float] = field(default_factory=dict)  # where compile time went
    kiln_ms: dict[int, float] = field(default_factory=dict)  # threads -> best ms
    eager_ms: dict[int, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def within_tolerance(err_kiln: float, err_eager: float | None, scale: float) -> bool:
    """The tier's rule (module docstring)."""
    if err_eager is None:
        return err_kiln <= FLOOR_F32 * scale
    return err_kiln <= FACTOR * err_eager + FLOOR * scale


def summarize(err: BaseException) -> str:
    """One line for the table: exception type, stage if any, first line of the message."""
    text = str(err).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    stage = getattr(err, "stage", None)
    if stage and len(lines) > 1:
        head = f"{type(err).__name__} [{stage}]: {lines[1]}"
    else:
        head = f"{type(err).__name__}: {lines[0] if lines else ''}"
        # A KilnError wrapping another exception: name the inner one too.
        if len(lines) > 1 and len(head) < 60:
            head += " " + lines[1]
    return head[:240]


def kiln_frame(err: BaseException) -> str:
    """``file:line (function)`` of the innermost frame in kiln's own code that raised ``err``
    or its cause ("" if none): names the pass behind a bare IndexError in a stage."""
    root = Path(kiln.__file__).resolve().parent.parent
    where = ""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        for frame in traceback.extract_tb(err.__traceback__):
            path = Path(frame.filename).resolve()
            if not path.is_relative_to(root) or "site-packages" in path.parts:
                continue
            name = path.relative_to(root).as_posix()
            if not name.startswith(NOT_THE_CULPRIT):
                where = f"{name}:{frame.lineno} ({frame.name})"
        err = err.__cause__ or err.__context__
    return where


def float64_reference(model: torch.nn.Module, inputs: tuple):
    """The model run in float64 on float64 copies of its float inputs (None if it fails)."""
    try:
        model64 = copy.deepcopy(model).double()
        inputs64 = tuple(x.double() if x.is_floating_point() else x for x in inputs)
        with torch.no_grad():
            return model64(*inputs64)
    except Exception:  # some models hard-code float32 somewhere
        return None


def usable_reference(ref, eager):
    """``ref``, or None where it is no reference for ``eager``: not one tensor of its shape,
    or NaN/inf where eager float32 is finite (a model whose float64 run breaks, such as
    CANINE's, made every error NaN and failed every compiler)."""
    if not isinstance(ref, torch.Tensor) or not isinstance(eager, torch.Tensor):
        return ref
    if ref.shape != eager.shape:
        return ref
    if (torch.isfinite(eager) & ~torch.isfinite(ref)).any():
        return None
    return ref


def best_ms(fn, inputs: tuple, budget_s: float = 1.0, max_reps: int = 10) -> float:
    """The best wall time of ``fn(*inputs)`` in ms over up to ``max_reps`` calls (at least 3)
    in about ``budget_s``, after one warm-up call: on a shared machine the best run is the
    one least disturbed by other processes."""
    fn(*inputs)
    times = []
    start = time.perf_counter()
    while len(times) < max_reps and (len(times) < 3 or time.perf_counter() - start < budget_s):
        t = time.perf_counter()
        fn(*inputs)
        times.append((time.perf_counter() - t) * 1e3)
    return min(times)


@contextlib.contextmanager
def phase_clock(phases: dict[str, float]):
    """Records kiln.compile's own step times (``import``, each stage, ``jit``) into ``phases``.

    Subclasses ``kiln.debug.progress.CompileLog`` while active; records nothing if kiln
    has none.
    """
    try:
        from kiln.debug import progress
    except ImportError:
        yield
        return
    base = progress.CompileLog

    class Recording(base):
        def mark(self, name, module=None):
            super().mark(name, module)
            step = self.steps[-1]
            phases[step.name] = phases.get(step.name, 0.0) + step.seconds

    progress.CompileLog = Recording
    try:
        yield
    finally:
        progress.CompileLog = base


def _max_abs(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a.double() - b.double()).abs().max().item()


def run_case(case, timing: bool = False) -> Outcome:
    """Compiles ``case`` (a zoo.ModelCase) at 2 threads and checks it; never raises."""
    out = Outcome(case.name, case.source)
    try:
        model, inputs = case.make()
        with torch.no_grad():
            eager = model(*inputs)
        ref = usable_reference(float64_reference(model, inputs), eager)
        if timing:  # before kiln starts its OpenMP threads, which spin a while after each call
            _time(out.eager_ms, _no_grad(model), inputs)
        clones = tuple(x.clone() for x in inputs)
        start = time.perf_counter()
        with phase_clock(out.phases):
            compiled = kiln.compile(model, *inputs, threads=COMPILE_THREADS)
        out.compile_s = time.perf_counter() - start
        out.compiled = True
        first = compiled(*inputs)
        second = compiled(*inputs)
    except Exception as err:
        out.error = summarize(err)
        out.detail = "".join(traceback.format_exception_only(type(err), err))[-4000:]
        out.where = kiln_frame(err)
        return out
    problems = _check(out, eager, ref, first, second, inputs, clones)
    out.status = "mismatch" if problems else "pass"
    out.error = "; ".join(problems)
    if timing:
        _time(out.kiln_ms, compiled, inputs)
    return out


def _check(out: Outcome, eager, ref, first, second, inputs, clones) -> list[str]:
    """Fills the errors of ``out``; returns what is wrong (empty if nothing)."""
    if not isinstance(first, torch.Tensor) or first.shape != eager.shape:
        got = tuple(first.shape) if isinstance(first, torch.Tensor) else type(first).__name__
        return [f"wrong output: {got}, expected {tuple(eager.shape)}"]
    problems = []
    if first.dtype != eager.dtype:
        problems.append(f"dtype {first.dtype}, expected {eager.dtype}")
    if ref is None:
        out.err_kiln, out.scale = _max_abs(first, eager), eager.abs().max().item()
    else:
        out.err_kiln, out.scale = _max_abs(first, ref), ref.abs().max().item()
        out.err_eager = _max_abs(eager, ref)
    if not torch.isfinite(first).all() and torch.isfinite(eager).all():
        problems.append("non-finite outputs")
    elif not within_tolerance(out.err_kiln, out.err_eager, out.scale):
        problems.append(
            f"mismatch: max error {out.err_kiln:.3g}, eager f32 {out.err_eager or 0:.3g}"
        )
    if not torch.equal(first, second):
        problems.append(f"second call differs by {_max_abs(first, second):.3g}")
    if not all(torch.equal(a, b) for a, b in zip(inputs, clones, strict=True)):
        problems.append("inputs modified by the call")
    return problems


def _no_grad(model):
    def run(*inputs):
        with torch.no_grad():
            return model(*inputs)

    return run


def _time(into: dict[int, float], fn, inputs: tuple) -> None:
    """Best ms of ``fn`` at 1 and 2 threads (kiln's and torch's thread counts both set)."""
    threads = torch.get_num_threads()
    try:
        for n in (1, 2):
            if hasattr(fn, "set_threads"):
                fn.set_threads(n)
            torch.set_num_threads(n)
            into[n] = best_ms(fn, inputs)
    finally:
        torch.set_num_threads(threads)
