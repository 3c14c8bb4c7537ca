"""kiln side by side with its peers, in one run, at 1 and 2 threads.

    python -m benchmarks.run                       # everything, writes benchmarks/results.md
    python -m benchmarks.run --workloads mlp matmul1024 --peers kiln eager
    python -m benchmarks.run --update-readme       # also rewrites the README's table

Peers: ``eager`` (PyTorch), ``torch.compile`` (Inductor), and when
``benchmarks/setup_peers.sh`` has been run, ``ort`` (ONNX Runtime) and
``iree`` (IREE llvm-cpu), each in its own process. Each point is measured in a
fresh process pinned to as many cores as it has threads. Reported: median
latency, kiln's GFLOP/s and % of this machine's measured FMA peak (GB/s and %
of copy bandwidth for memory-bound workloads), compile times, and kiln/best
peer (< 1 means kiln is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
DEFAULT_PEERS = ("kiln", "eager", "torch.compile", "ort", "iree")
README_BEGIN = "<!-- benchmarks:begin -->"
README_END = "<!-- benchmarks:end -->"


def _pinned(threads: int) -> list[str]:
    cores = ",".join(str(c) for c in sorted(os.sched_getaffinity(0))[:threads])
    return ["taskset", "-c", cores]


def measure(peer: str, workload: str, threads: int, timeout: int) -> dict | None:
    """One point, in a fresh process; None if the peer failed or is not installed."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), KILN_NUM_THREADS=str(threads))
    if peer in ("ort", "iree"):
        if not PEERS_PYTHON.exists():
            return None
        from benchmarks.peers.onnx_export import export

        try:
            model, inputs = export(workload)
        except Exception as err:  # noqa: BLE001 - an export failure only drops this peer
            print(f"  {peer}/{workload}: ONNX export failed: {err}", file=sys.stderr)
            return None
        script = ROOT / "benchmarks" / "peers" / "onnx_peers.py"
        cmd = [
            str(PEERS_PYTHON),
            str(script),
            "--runtime",
            peer,
            "--model",
            str(model),
            "--inputs",
            str(inputs),
        ]
    else:
        cmd = [sys.executable, "-m", "benchmarks.measure", "--peer", peer, "--workload", workload]
    cmd = _pinned(threads) + cmd + ["--threads", str(threads)]
    try:
        done = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        print(f"  {peer}/{workload}/{threads}T: timed out", file=sys.stderr)
        return None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        print(f"  {peer}/{workload}/{threads}T failed: {' | '.join(tail)}", file=sys.stderr)
        return None
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(peer=peer, workload=workload, threads=threads)
    return result


def run(workloads, peers, thread_counts, timeout: int) -> dict:
    """Measures everything; returns the machine figures and all points."""
    from benchmarks.machine import fma_peak_gflops, memory_bandwidth_gbs
    from benchmarks.workloads import WORKLOADS, bytes_moved, flop_count

    machine = {
        "fma_peak_gflops_1core": fma_peak_gflops(),
        "copy_gbs": {t: memory_bandwidth_gbs(threads=t) for t in thread_counts},
    }
    bandwidth = ", ".join(f"{gbs:.1f} GB/s at {t}T" for t, gbs in machine["copy_gbs"].items())
    print(
        f"machine: FMA peak {machine['fma_peak_gflops_1core']:.1f} GFLOP/s per core, "
        f"copy bandwidth {bandwidth}",
        file=sys.stderr,
    )
    points, work = [], {}
    for name in workloads:
        model, inputs = WORKLOADS[name].make()
        work[name] = {
            "flops": flop_count(model, inputs),
            "bytes": bytes_moved(model, inputs),
            "memory_bound": WORKLOADS[name].memory_bound,
            "overhead": WORKLOADS[name].overhead,
            "description": WORKLOADS[name].description,
        }
        for threads in thread_counts:
            for peer in peers:
                point = measure(peer, name, threads, timeout)
                if point is not None:
                    print(
                        f"  {name:>10} {threads}T {peer:>16}: {point['latency_ms']:9.3f} ms "
                        f"(compile {point['compile_s']:.1f} s)",
                        file=sys.stderr,
                    )
                    points.append(point)
    return {"machine": machine, "workloads": work, "points": points}


def table(results: dict) -> str:
    """The results as a markdown table."""
    machine, work = results["machine"], results["workloads"]
    peers = sorted({p["peer"] for p in results["points"]} - {"kiln"}, key=DEFAULT_PEERS.index)
    head = [
        "workload",
        "T",
        "kiln ms",
        *[f"{p} ms" for p in peers],
        "kiln GFLOP/s",
        "% peak",
        "kiln compile s",
        "best peer",
        "kiln / best",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, info in work.items():
        for threads in sorted({p["threads"] for p in results["points"] if p["workload"] == name}):
            row = {
                p["peer"]: p
                for p in results["points"]
                if p["workload"] == name and p["threads"] == threads
            }
            kiln = row.get("kiln")
            cells = [name, str(threads), f"{kiln['latency_ms']:.3f}" if kiln else "fail"]
            cells += [f"{row[p]['latency_ms']:.3f}" if p in row else "—" for p in peers]
            if kiln and info.get("overhead"):
                cells += [f"{1000 * kiln['latency_ms']:.1f} µs/call", "—"]
            elif kiln and info["memory_bound"]:
                gbs = info["bytes"] / kiln["latency_ms"] / 1e6
                copy = (
                    machine["copy_gbs"][threads]
                    if threads in machine["copy_gbs"]
                    else machine["copy_gbs"][str(threads)]
                )
                cells += [f"{gbs:.1f} GB/s", f"{100 * gbs / copy:.0f}% bw"]
            elif kiln:
                gflops = info["flops"] / kiln["latency_ms"] / 1e6
                peak = machine["fma_peak_gflops_1core"] * threads
                cells += [f"{gflops:.1f}", f"{100 * gflops / peak:.0f}%"]
            else:
                cells += ["—", "—"]
            cells.append(f"{kiln['compile_s']:.1f}" if kiln else "—")
            others = [(row[p]["latency_ms"], p) for p in peers if p in row]
            if others and kiln:
                best_ms, best = min(others)
                cells += [best, f"{kiln['latency_ms'] / best_ms:.2f}"]
            else:
                cells += ["—", "—"]
            lines.append("| " + " | ".join(cells) + " |")
    bandwidth = ", ".join(f"{float(g):.1f} GB/s at {t}T" for t, g in machine["copy_gbs"].items())
    note = (
        f"\nMachine: FMA peak {machine['fma_peak_gflops_1core']:.1f} GFLOP/s per core (measured), "
        f"copy bandwidth {bandwidth} (measured). Latency: median. `% peak` is of the FMA peak "
        "times the threads. `kiln / best` < 1 means kiln is faster than every peer measured. "
        "`tiny` (x+1 on 16 floats) measures what one call costs beyond its work.\n"
    )
    return "\n".join(lines) + "\n" + note


def main() -> int:
    from benchmarks.workloads import WORKLOADS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    parser.add_argument(
        "--peers",
        nargs="+",
        default=list(DEFAULT_PEERS),
        choices=list(DEFAULT_PEERS) + ["torch.compile-max-autotune"],
    )
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--timeout", type=int, default=900, help="seconds per point")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results.md"))
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args()
    results = run(args.workloads, args.peers, args.threads, args.timeout)
    command = "python -m benchmarks.run " + " ".join(sys.argv[1:])
    text = f"Command: `{command.strip()}`\n\n" + table(results)
    Path(args.output).write_text(text)
    Path(args.output).with_suffix(".json").write_text(json.dumps(results, indent=1))
    print(text)
    if args.update_readme:
        readme = ROOT / "README.md"
        body = readme.read_text()
        start, end = body.index(README_BEGIN) + len(README_BEGIN), body.index(README_END)
        readme.write_text(body[:start] + "\n" + text + body[end:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
