"""kiln-run: run a kiln library on given or random inputs; print its outputs or its timings.

    kiln-run model.so                          # random inputs, outputs summarized
    kiln-run model.so --inputs x.npz --outputs y.npz
    kiln-run model.so --benchmark --iterations 200 --threads 2
    kiln-run model.so --info                   # what the library records (any architecture)

``--inputs`` is an ``.npz`` (arrays named ``input0``, ``input1``, ... or saved in order, as
``np.savez(path, x, y)`` does) or an ``.npy`` for a model with one input. Random inputs
are seeded (``--seed``): floats standard normal, integers in [0, 10), booleans fair coins.
It imports neither MLIR nor torch (``kiln.load``). Errors print a message and exit with 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from kiln.errors import KilnError
from kiln.runtime.signature import TensorSpec


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(prog="kiln-run", description="Run a kiln library (model.so).")
    p.add_argument("library", help="the .so written by kiln-compile or CompiledModel.save")
    p.add_argument("--inputs", help=".npz (input0, input1, ... or in order) or .npy")
    p.add_argument("--outputs", help="also save the outputs here (.npz: output0, ...)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    p.add_argument("--threads", type=int, help="threads (default: as compiled)")
    p.add_argument("--benchmark", action="store_true", help="time calls instead of printing")
    p.add_argument("--iterations", type=int, default=100, help="timed calls (default 100)")
    p.add_argument("--warmup", type=int, default=10, help="untimed calls first (default 10)")
    p.add_argument("--info", action="store_true", help="print what the library records, only")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kiln-run`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except (KilnError, ValueError, OSError) as err:
        print(f"kiln-run: error: {err}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from kiln.runtime.library import load, read_info

    if args.info:
        print(json.dumps(json.loads(read_info(args.library).to_json()), indent=2))
        return 0
    if args.iterations < 1 or args.warmup < 0:
        raise ValueError("--iterations must be >= 1 and --warmup >= 0")
    model = load(args.library)
    if args.threads is not None:
        model.set_threads(args.threads)
    specs = model.signature.inputs
    inputs = read_inputs(args.inputs, specs) if args.inputs else random_inputs(specs, args.seed)
    if args.benchmark:
        _benchmark(model, inputs, args.warmup, args.iterations)
        return 0
    outputs = model(*inputs)
    outputs = list(outputs) if isinstance(outputs, tuple) else [outputs]
    for index, array in enumerate(outputs):
        print(_summary(f"output{index}", array))
    if args.outputs:
        np.savez(args.outputs, **{f"output{i}": a for i, a in enumerate(outputs)})
        print(f"kiln-run: wrote {args.outputs}")
    return 0


def read_inputs(path: str, specs: tuple[TensorSpec, ...]) -> list[np.ndarray]:
    """The inputs stored at ``path``, in the model's order; ValueError naming what is wrong."""
    if Path(path).suffix == ".npy":
        arrays = [np.load(path)]
    else:
        with np.load(path) as data:
            names = list(data.files)
            wanted = [f"input{i}" for i in range(len(specs))]
            if set(wanted) <= set(names):
                names = wanted
            elif len(names) != len(specs):
                raise ValueError(
                    f"{path} holds {len(names)} array(s) ({', '.join(names)}); the model takes "
                    f"{len(specs)} input(s): name them input0..input{len(specs) - 1}"
                )
            arrays = [data[name] for name in names]
    if len(arrays) != len(specs):
        raise ValueError(f"{path} holds 1 array; the model takes {len(specs)} input(s)")
    return arrays


def random_inputs(specs: tuple[TensorSpec, ...], seed: int) -> list[np.ndarray]:
    """Seeded random inputs of the model's shapes and dtypes."""
    rng = np.random.default_rng(seed)
    arrays = []
    for spec in specs:
        dtype = np.dtype(spec.numpy_dtype)
        if dtype == np.bool_:
            arrays.append(rng.random(spec.shape) < 0.5)
        elif np.issubdtype(dtype, np.integer):
            arrays.append(rng.integers(0, 10, spec.shape).astype(dtype))
        else:
            arrays.append(rng.standard_normal(spec.shape).astype(dtype))
    return arrays


def _summary(name: str, array: np.ndarray) -> str:
    head = f"{name}: {array.dtype.name}{list(array.shape)}"
    if array.size == 0:
        return head
    values = array.astype(np.float64)
    stats = f"min {values.min():.6g} max {values.max():.6g} mean {values.mean():.6g}"
    values_text = np.array2string(array, threshold=8, edgeitems=3, prefix="  ")
    return f"{head} {stats}\n  {values_text}"


def _benchmark(model, inputs: list[np.ndarray], warmup: int, iterations: int) -> None:
    inputs = [np.ascontiguousarray(a) for a in inputs]
    outputs = [np.empty(s.shape, s.numpy_dtype) for s in model.signature.outputs]
    pointers = [a.ctypes.data for a in (*inputs, *outputs)]
    model(*inputs)  # checks the inputs once; the timed calls skip the checks
    for _ in range(warmup):
        model.run_raw(pointers)
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        model.run_raw(pointers)
        times.append(time.perf_counter() - start)
    ms = np.array(times) * 1e3
    print(
        f"kiln-run: {iterations} calls on {model.threads} thread(s): median {np.median(ms):.4g} ms, "
        f"min {ms.min():.4g} ms, mean {ms.mean():.4g} ms, p90 {np.percentile(ms, 90):.4g} ms"
    )


if __name__ == "__main__":
    sys.exit(main())
