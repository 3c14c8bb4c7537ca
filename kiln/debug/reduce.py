"""The reduced test: the smallest function around the wrong op that still shows the bug.

Candidates, smallest first: the op alone (its computed operands become
arguments, its constants stay), the op with everything it depends on, the
whole function up to the op. Each is taken through the stages before the
wrong one and checked with the wrong stage's passes (``check_passes``, on
seeded random inputs, as the test's RUN line will); the first that differs
is written, with a RUN line that fails until the stage is fixed.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import shlex
import sys
import types
from collections.abc import Sequence
from pathlib import Path

from kiln.debug.carve import Body, backward_slice, carve, frontier
from kiln.debug.check import check_passes
from kiln.debug.runner import DEFAULT_ATOL, DEFAULT_RTOL
from kiln.driver import module_text, run_pipeline
from kiln.ir import ir, parse_module
from kiln.pipeline import KILN_PASS_RE, pipeline_text


def write_reduced_test(session, result, out_dir: Path, say) -> None:
    """Writes ``<out_dir>/<model>-<stage>.mlir`` and sets ``result.test_path`` and
    ``result.reproduces``. ``session`` is bisect's (its IR, pipeline and tolerances)."""
    stage = session.pipeline.stage(result.stage)
    names = session.pipeline.stage_names()
    before = names[names.index(stage.name) - 1] if names.index(stage.name) > 0 else None
    text = ""
    for what, keep, results in _candidates(session, result.op_index):
        probe = parse_module(session.text, session.ctx)
        carve(probe, keep, results if results is not None else frontier(probe, keep))
        if before is not None:
            run_pipeline(probe, session.pipeline, stop_after=before, name=session.name)
        text = module_text(probe)
        mismatch = check_passes(
            text, stage.passes, rtol=session.rtol, atol=session.atol, threads=session.threads
        )
        say(f"  reduced to {what}: {'differs' if mismatch else 'agrees'}")
        if mismatch is not None:
            result.reproduces = True
            break
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{session.name}-{stage.name}.mlir"
    path.write_text(_header(session, result, stage.passes) + text)
    result.test_path = str(path)


def _candidates(session, index: int) -> list[tuple[str, set[int], list | None]]:
    """(description, ops kept, results or None for the frontier), smallest first."""
    module = parse_module(session.text, session.ctx)
    op_results = [
        (index, r)
        for r, v in enumerate(Body(module).ops[index].results)
        if isinstance(v.type, ir.RankedTensorType)
    ]
    return [
        ("the op alone", {index}, op_results),
        ("the op and what it depends on", backward_slice(module, index), op_results),
        ("the function up to the op", set(range(index + 1)), None),
    ]


def _header(session, result, passes: Sequence[str]) -> str:
    """Comment lines naming the bug, the RUN line and its CHECK line."""
    run = ["kiln-bisect", "--check", "%s", f"--pass-pipeline={pipeline_text(passes)}"]
    run += [f"--load={path}" for path in plugin_files(passes)]
    if (session.rtol, session.atol) != (DEFAULT_RTOL, DEFAULT_ATOL):
        run += [f"--rtol={session.rtol}", f"--atol={session.atol}"]
    command = " ".join(a if a == "%s" else shlex.quote(a) for a in run)
    op = "\n".join(f"//   {line}" for line in (result.op or "").splitlines())
    caveat = (
        ""
        if result.reproduces
        else "// NOTE: on random inputs this function did NOT show the difference.\n"
    )
    return (
        f"// Reduced by kiln-bisect from {session.source or session.name}: stage "
        f"'{result.stage}'\n// computes a different answer for the op at {result.location}:\n"
        f"{op}\n{caveat}"
        "// The RUN line runs the stage on this function and, on seeded random inputs,\n"
        "// compares it with the plain reference lowering: it fails until the stage is fixed.\n"
        f"// RUN: {command} | FileCheck %s\n"
        "// CHECK: kiln-bisect: results match\n\n"
    )


def load_plugin(path: str | Path) -> types.ModuleType:
    """Imports the Python file ``path`` (one that ``@register``-s kiln passes) as a module.

    Imported this way (not run as a script), its passes know their source file,
    which reduced tests name in their RUN lines (``--load``).
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise OSError(f"no such Python file: {path}")
    name = "kiln_plugin_" + re.sub(r"\W", "_", str(path))
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def plugin_files(passes: Sequence[str]) -> list[str]:
    """Source files of the kiln passes in ``passes`` that kiln's own table does not name."""
    from kiln.passes import registry

    files = []
    for spec in passes:
        match = KILN_PASS_RE.match(spec)
        if not match or match.group(0) in registry.PASS_MODULES:
            continue
        cls = registry.lookup(match.group(0))
        try:
            path = str(Path(inspect.getsourcefile(cls)).resolve())
        except TypeError:  # defined in no file (an interactive session)
            continue
        if path not in files:
            files.append(path)
    return files
