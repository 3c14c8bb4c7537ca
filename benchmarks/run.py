"""kiln side by side with its peers, in one run, at 1 and 2 threads, f32, bf16 and int8.

    python -m benchmarks.run                       # the zoo set, writes benchmarks/results.md
    python -m benchmarks.run --set real            # the real models (ResNet-50 ... LLaMA)
    python -m benchmarks.run --all                 # every workload (= --set all)
    python -m benchmarks.run --workloads mlp resnet50 --peers kiln openvino --quick
    python -m benchmarks.run --update-readme       # also rewrites the README's section
    python -m benchmarks.run --precisions int8     # only the int8 peers

Peers (``benchmarks/peers/__init__.py``): f32 ``kiln``, ``eager``, ``torch.compile``,
``inductor-frozen`` (freezing + max-autotune), and after ``benchmarks/setup_peers.sh``
``ort``, ``openvino``, ``iree`` on the same ONNX export; bf16 ``kiln-bf16``,
``openvino-bf16``, ``eager-bf16`` (autocast); int8 ``kiln-int8``, ``inductor-int8``,
``ort-int8``, ``openvino-int8``, all on the workload's PT2E-quantized model
(``benchmarks.quantize``; the ONNX peers on its QDQ export). Each point is measured in a fresh
process pinned to as many cores as it has threads, with kiln's and Inductor's
compile caches off (compile times are cold). Every output is checked against eager
f32. A point that fails or passes ``--timeout`` shows "—" and its reason. Reported:
median latency, kiln's GFLOP/s and % of this machine's FMA peak (GB/s and % of copy
bandwidth for memory-bound workloads), kiln / best peer per precision, compile times,
max relative errors.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.peers import PEERS, PRECISIONS
from benchmarks.timing import error_summary

ROOT = Path(__file__).resolve().parent.parent
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
README_BEGIN = "<!-- benchmarks:begin -->"
README_END = "<!-- benchmarks:end -->"
COLD = {"KILN_CACHE": "0", "TORCHINDUCTOR_FORCE_DISABLE_CACHES": "1"}


def pinned(threads: int) -> list[str]:
    """taskset prefix pinning a process to the first ``threads`` cores we may use."""
    cores = ",".join(str(c) for c in sorted(os.sched_getaffinity(0))[:threads])
    return ["taskset", "-c", cores]


def command(peer: str, workload: str, threads: int, quick: bool) -> list[str]:
    """The command measuring one point; exports the ONNX file first for ONNX peers."""
    tail = ["--threads", str(threads)] + (["--quick"] if quick else [])
    precision = PEERS[peer].precision
    if precision == "int8" and (failure := quantize(workload)):
        raise RuntimeError(failure)
    if PEERS[peer].process == "torch":
        measure = [sys.executable, "-m", "benchmarks.measure"]
        return measure + ["--peer", peer, "--workload", workload, *tail]
    if not PEERS_PYTHON.exists():
        raise RuntimeError("not installed (run benchmarks/setup_peers.sh)")
    exported = onnx_files(workload, "int8" if precision == "int8" else "f32")
    if isinstance(exported, str):
        raise RuntimeError(exported)
    model, inputs, reference, *quantized = exported
    module = "benchmarks.peers.onnx_peers"
    files = ["--model", str(model), "--inputs", str(inputs), "--reference", str(reference)]
    if quantized:
        files += ["--quantized-reference", str(quantized[0])]
    return [str(PEERS_PYTHON), "-m", module, "--peer", peer, *files, *tail]


@functools.cache
def onnx_files(workload: str, precision: str = "f32") -> tuple[Path, ...] | str:
    """The workload's ONNX model, inputs and eager reference (at int8: the quantized
    model, and its own eager answer too), exported afresh once per run (a file left by an
    older run could hold another model or another reference); the reason as a string
    when the export fails (it drops the ONNX peers, not the run)."""
    from benchmarks.peers.onnx_export import export

    try:
        return export(workload, fresh=True, precision=precision)
    except Exception as err:  # noqa: BLE001 - an export failure only drops the ONNX peers
        return f"ONNX export failed: {error_summary(err)}"


@functools.cache
def quantize(workload: str) -> str | None:
    """Quantizes the workload afresh once per run, for the int8 peers (which load the
    saved program, so all of them run the same one); the reason when that fails."""
    from benchmarks.workloads import INT8_WORKLOADS

    if workload not in INT8_WORKLOADS:
        return "not an int8 workload (benchmarks.workloads.INT8_WORKLOADS)"
    from benchmarks.quantize import quantized_program

    try:
        quantized_program(workload, fresh=True)
    except Exception as err:  # noqa: BLE001 - a quantization failure only drops int8 peers
        return f"PT2E quantization failed: {error_summary(err)}"
    return None


def parse_point(stdout: str, stderr: str, returncode: int) -> dict:
    """A point's result from its process's output: the last JSON line, else the error tail."""
    lines = [line for line in stdout.strip().splitlines() if line.startswith("{")]
    if lines:
        try:
            result = json.loads(lines[-1])
        except json.JSONDecodeError:
            result = None
        if isinstance(result, dict) and (returncode == 0 or "error" in result):
            return result
    tail = (stderr or stdout).strip().splitlines()[-2:]
    return {"error": f"exit {returncode}: {' | '.join(tail)}"[:300]}


def measure(peer: str, workload: str, threads: int, timeout: int, quick: bool) -> dict:
    """One point, in a fresh pinned process; a failure is a point with ``error``."""
    point = {"peer": peer, "workload": workload, "threads": threads}
    try:
        cmd = command(peer, workload, threads, quick)
    except RuntimeError as err:
        return point | {"error": str(err)}
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), KILN_NUM_THREADS=str(threads), **COLD)
    start, cpu = time.perf_counter(), _children_cpu_s()
    try:
        done = subprocess.run(
            pinned(threads) + cmd,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return point | {"error": f"timed out after {timeout} s", "wall_s": timeout}
    # What the point cost the run: wall time under the load there was, and CPU time, which
    # bounds the wall time on a quiet machine (for planning a full run).
    cost = {
        "wall_s": round(time.perf_counter() - start, 1),
        "cpu_s": round(_children_cpu_s() - cpu, 1),
    }
    return point | parse_point(done.stdout, done.stderr, done.returncode) | cost


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def describe(point: dict) -> str:
    """One log line for a point."""
    head = f"  {point['workload']:>18} {point['threads']}T {point['peer']:>16}: "
    wall = f" [{point.get('wall_s', 0):.0f} s wall, {point.get('cpu_s', 0):.0f} s CPU]"
    if "error" in point:
        return head + "— " + point["error"] + wall
    return head + (
        f"{point['latency_ms']:9.3f} ms (compile {point['compile_s']:.1f} s, "
        f"error {point['max_rel_error']:.1e})" + wall
    )


def workload_info(name: str) -> dict:
    """FLOPs / bytes of a workload, for kiln's GFLOP/s and % peak columns."""
    from benchmarks.workloads import WORKLOADS, bytes_moved, flop_count

    workload = WORKLOADS[name]
    model, inputs = workload.make()
    return {
        "flops": flop_count(model, inputs) if not workload.memory_bound else 0,
        "bytes": bytes_moved(model, inputs),
        "memory_bound": workload.memory_bound,
        "overhead": workload.overhead,
        "description": workload.description,
    }


def run(workloads, peers, thread_counts, timeout: int, quick: bool = False) -> dict:
    """Measures everything; returns the machine figures, the workloads and all points."""
    from benchmarks.machine import fma_peak_gflops, memory_bandwidth_gbs

    machine = {
        "fma_peak_gflops_1core": fma_peak_gflops(),
        "copy_gbs": {t: memory_bandwidth_gbs(threads=t) for t in thread_counts},
    }
    print(f"machine: {machine}", file=sys.stderr)
    points, work = [], {}
    for name in workloads:
        work[name] = workload_info(name)
        for threads in thread_counts:
            for peer in applicable(peers, name):
                point = measure(peer, name, threads, timeout, quick)
                print(describe(point), file=sys.stderr, flush=True)
                points.append(point)
    return {"machine": machine, "workloads": work, "points": points}


def applicable(peers: list[str], workload: str) -> list[str]:
    """The peers that measure ``workload``: the int8 ones only on the workloads PT2E
    quantizes (on the others they would run the float model under an int8 name)."""
    from benchmarks.workloads import INT8_WORKLOADS

    return [p for p in peers if PEERS[p].precision != "int8" or workload in INT8_WORKLOADS]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from benchmarks.workloads import WORKLOAD_SETS, WORKLOADS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS))
    parser.add_argument("--set", choices=list(WORKLOAD_SETS), help="a named set (default: zoo)")
    parser.add_argument("--all", action="store_true", help="every workload: --set all")
    parser.add_argument("--peers", nargs="+", default=list(PEERS), choices=list(PEERS))
    parser.add_argument(
        "--precisions",
        nargs="+",
        default=list(PRECISIONS),
        choices=list(PRECISIONS),
        help="keep the peers of these precisions (default: all)",
    )
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--timeout", type=int, default=600, help="seconds per point")
    parser.add_argument(
        "--quick", action="store_true", help="a few calls a point: checks, not figures"
    )
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results.md"))
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args(argv)
    if sum(map(bool, (args.all, args.set, args.workloads))) > 1:
        parser.error("--workloads, --set and --all exclude each other")
    if not args.workloads:
        args.workloads = list(WORKLOAD_SETS["all" if args.all else args.set or "zoo"])
    args.peers = [p for p in args.peers if PEERS[p].precision in args.precisions]
    return args


def main(argv: list[str] | None = None) -> int:
    from benchmarks.tables import report

    args = parse_args(argv)
    results = run(args.workloads, args.peers, args.threads, args.timeout, args.quick)
    shown = " ".join(["python -m benchmarks.run", *(sys.argv[1:] if argv is None else argv)])
    text = f"Command: `{shown}`\n\n" + report(results)
    Path(args.output).write_text(text)
    Path(args.output).with_suffix(".json").write_text(json.dumps(results, indent=1))
    print(text)
    if args.update_readme:
        update_readme(ROOT / "README.md", text)
    return 0


def update_readme(readme: Path, text: str) -> None:
    """Replaces what lies between the README's benchmark markers with ``text``."""
    body = readme.read_text()
    start, end = body.index(README_BEGIN) + len(README_BEGIN), body.index(README_END)
    readme.write_text(body[:start] + "\n" + text + body[end:])


if __name__ == "__main__":
    sys.exit(main())
