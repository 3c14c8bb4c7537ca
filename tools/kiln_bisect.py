"""kiln-bisect: find the first stage and op of a pipeline that compute a wrong answer.

    kiln-bisect model.mlir                                  # kiln's cpu pipeline vs the plain lowering
    kiln-bisect model.mlir --pipeline=my_pipes.py:buggy --reference=my_pipes.py:good -o bisect/
    kiln-bisect model.mlir --pass-pipeline='builtin.module(canonicalize, kiln-fuse-elementwise)'
    kiln-bisect --check reduced.mlir --pass-pipeline='builtin.module(...)'   # a reduced test's RUN line

A pipeline given as ``FILE.py:FUNCTION`` (or ``module:function``) is what
that function returns (a ``kiln.pipeline.Pipeline``); ``--pass-pipeline``
makes each top-level pass a stage, so bisection names the pass. ``--load``
runs a Python file first (one that ``@register``-s kiln passes). The input is
linalg-on-tensors MLIR; its entry function gets seeded random inputs.

Exit status: 0 when the answers agree, 1 when they differ (bisection done,
reduced test written; ``--check``: the passes change the answer), 2 on errors.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from kiln.errors import KilnError


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(
        prog="kiln-bisect",
        description="Bisect a pipeline to the first stage and op that compute a wrong answer.",
    )
    p.add_argument("input", help="input .mlir file (linalg on tensors; --check: any level)")
    p.add_argument("-o", "--out-dir", default="kiln-bisect", help="where the reduced test goes")
    p.add_argument("--pipeline", help="FILE.py:FUNCTION or module:function returning a Pipeline")
    p.add_argument("--pass-pipeline", help="textual pipeline; each top-level pass is a stage")
    p.add_argument("--reference", help="the reference pipeline, as --pipeline (default: plain)")
    p.add_argument("--kiln-threads", type=int, default=1, help="cpu pipeline: threads (default 1)")
    p.add_argument(
        "--load", action="append", default=[], help="Python file to import first (registers passes)"
    )
    p.add_argument("--check", action="store_true", help="check --pass-pipeline on the input")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    p.add_argument("--rtol", type=float, help="relative tolerance (default 1e-3)")
    p.add_argument("--atol", type=float, help="absolute tolerance (default 1e-4)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kiln-bisect`` console script."""
    args = build_parser().parse_args(argv)
    try:
        from kiln.debug.reduce import load_plugin

        for path in args.load:
            load_plugin(path)
        return _check(args) if args.check else _bisect(args)
    except (KilnError, ValueError, OSError) as err:
        print(f"kiln-bisect: error: {err}", file=sys.stderr)
        return 2


def _tolerances(args) -> dict:
    from kiln.debug.runner import DEFAULT_ATOL, DEFAULT_RTOL

    return {
        "rtol": DEFAULT_RTOL if args.rtol is None else args.rtol,
        "atol": DEFAULT_ATOL if args.atol is None else args.atol,
    }


def _check(args) -> int:
    from kiln.debug.check import check_passes
    from kiln.pipeline import split_pipeline

    if not args.pass_pipeline:
        raise ValueError("--check needs --pass-pipeline")
    text = Path(args.input).read_text()
    mismatch = check_passes(
        text, split_pipeline(args.pass_pipeline), seed=args.seed, **_tolerances(args)
    )
    if mismatch is None:
        print("kiln-bisect: results match")
        return 0
    print(f"kiln-bisect: results differ: {mismatch}")
    return 1


def _bisect(args) -> int:
    from kiln.debug.bisect import bisect
    from kiln.pipeline import one_stage_per_pass, split_pipeline

    if args.pipeline and args.pass_pipeline:
        raise ValueError("give --pipeline or --pass-pipeline, not both")
    if args.pass_pipeline:
        pipeline = one_stage_per_pass("pass-pipeline", split_pipeline(args.pass_pipeline))
    elif args.pipeline:
        pipeline = load_pipeline(args.pipeline)
    else:
        from kiln.targets import TARGETS, host_target

        pipeline = TARGETS["cpu"].pipeline(host_target(args.kiln_threads))
    reference = load_pipeline(args.reference) if args.reference else None
    result = bisect(
        Path(args.input),
        pipeline=pipeline,
        reference=reference,
        out_dir=args.out_dir,
        seed=args.seed,
        **_tolerances(args),
    )
    return 0 if result.stage is None else 1


def load_pipeline(where: str):
    """The Pipeline returned by ``FILE.py:FUNCTION`` or ``module:function``."""
    from kiln.pipeline import Pipeline

    source, sep, name = where.rpartition(":")
    if not sep or not source or not name:
        raise ValueError(f"'{where}': expected FILE.py:FUNCTION or module:function")
    if source.endswith(".py"):
        from kiln.debug.reduce import load_plugin

        namespace = vars(load_plugin(source))
    else:
        namespace = vars(importlib.import_module(source))
    if name not in namespace:
        raise ValueError(f"'{where}': {source} defines no '{name}'")
    pipeline = namespace[name]()
    if not isinstance(pipeline, Pipeline):
        raise ValueError(f"'{where}' returned {type(pipeline).__name__}, not a kiln Pipeline")
    return pipeline


if __name__ == "__main__":
    sys.exit(main())
