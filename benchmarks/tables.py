"""The markdown tables of a run (pure functions of the results: no timing, no torch).

``results`` is what ``benchmarks.run.run`` returns: ``machine`` (FMA peak, copy
bandwidth), ``workloads`` (name → flops, bytes, memory_bound, overhead) and
``points``: one dict per (peer, workload, threads), either measured
(``latency_ms``, ``compile_s``, ``max_rel_error``) or failed (``error``).
"""

from __future__ import annotations

from benchmarks.peers import KILN_PEER, PEERS, PRECISIONS, TOLERANCE, peers_of

WRONG = "✗"
# A bf16 dot (vdpbf16ps) does two multiply-adds per f32 lane where an FMA does one: the
# bf16 table's % peak is of twice the measured f32 FMA peak (assumed, not measured). An
# int8 dot (vpdpbusd) does four u8 x s8 multiply-adds per i32 lane: four times.
PEAK_FACTOR = {"f32": 1, "bf16": 2, "int8": 4}
OPS = {"f32": "GFLOP/s", "bf16": "GFLOP/s", "int8": "GOP/s"}


def ms(value: float) -> str:
    """Milliseconds with about four significant digits."""
    if value < 10:
        return f"{value:.3f}"
    return f"{value:.2f}" if value < 100 else f"{value:.1f}"


def is_valid(point: dict | None) -> bool:
    """Measured, and within its precision's tolerance of eager f32."""
    if point is None or "error" in point:
        return False
    return point["max_rel_error"] <= TOLERANCE[PEERS[point["peer"]].precision]


def rows(results: dict) -> list[tuple[str, int, dict[str, dict]]]:
    """(workload, threads, {peer: point}) in workload order, then thread count."""
    out = []
    for name in results["workloads"]:
        mine = [p for p in results["points"] if p["workload"] == name]
        for threads in sorted({p["threads"] for p in mine}):
            out.append((name, threads, {p["peer"]: p for p in mine if p["threads"] == threads}))
    return out


def latency_cell(point: dict | None) -> str:
    """The latency; "—" when it failed; marked ✗ when its answer is wrong."""
    if point is None or "error" in point:
        return "—"
    return ms(point["latency_ms"]) + ("" if is_valid(point) else f" {WRONG}")


def best_peer(row: dict[str, dict], precision: str) -> tuple[str, float] | None:
    """The fastest valid peer of ``precision`` other than kiln, or None."""
    others = [
        (point["latency_ms"], name)
        for name, point in row.items()
        if name != KILN_PEER[precision] and PEERS[name].precision == precision and is_valid(point)
    ]
    if not others:
        return None
    latency, name = min(others)
    return name, latency


def ratio_cells(row: dict[str, dict], precision: str) -> list[str]:
    """[best peer, kiln / best]; "wrong" when kiln's answer is out of tolerance."""
    kiln = row.get(KILN_PEER[precision])
    best = best_peer(row, precision)
    if best is None or kiln is None or "error" in kiln:
        return [best[0] if best else "—", "—"]
    if not is_valid(kiln):
        return [best[0], "wrong"]
    return [best[0], f"{kiln['latency_ms'] / best[1]:.2f}"]


def throughput_cells(
    point: dict | None, info: dict, machine: dict, threads: int, peak_factor: int = 1
) -> list[str]:
    """kiln's GFLOP/s and % of the FMA peak times ``peak_factor`` (GB/s and % of copy
    bandwidth when memory-bound)."""
    if point is None or "error" in point:
        return ["—", "—"]
    if info.get("overhead"):
        return [f"{1000 * point['latency_ms']:.1f} µs/call", "—"]
    if info.get("memory_bound"):
        copy = machine["copy_gbs"].get(threads, machine["copy_gbs"].get(str(threads)))
        gbs = info["bytes"] / point["latency_ms"] / 1e6
        return [f"{gbs:.1f} GB/s", f"{100 * gbs / copy:.0f}% bw"]
    if not info.get("flops"):
        return ["—", "—"]
    gflops = info["flops"] / point["latency_ms"] / 1e6
    peak = machine["fma_peak_gflops_1core"] * threads * peak_factor
    return [f"{gflops:.1f}", f"{100 * gflops / peak:.0f}%"]


def present(results: dict, precision: str) -> list[str]:
    """The peers of ``precision`` that have at least one point, in table order."""
    seen = {p["peer"] for p in results["points"]}
    return [name for name in peers_of(precision) if name in seen]


def _markdown(head: list[str], body: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return lines + ["| " + " | ".join(cells) + " |" for cells in body]


def latency_table(results: dict, precision: str) -> list[str]:
    """Median latency (ms) of every peer of ``precision``, kiln's throughput, kiln / best."""
    peers = present(results, precision)
    if not peers:
        return []
    kiln = KILN_PEER[precision]
    head = ["workload", "T", *[f"{p} ms" for p in peers], f"kiln {OPS[precision]}", "% peak"]
    head += ["best peer", f"{kiln} / best"]
    body = []
    for name, threads, row in rows(results):
        info = results["workloads"][name]
        cells = [name, str(threads), *[latency_cell(row.get(p)) for p in peers]]
        factor = PEAK_FACTOR[precision]
        cells += throughput_cells(row.get(kiln), info, results["machine"], threads, factor)
        body.append(cells + ratio_cells(row, precision))
    return _markdown(head, body)


def compile_table(results: dict) -> list[str]:
    """Compile time (s) of every peer: compile + first call, cold (kiln's cache off)."""
    peers = [p for precision in PRECISIONS for p in present(results, precision)]
    peers = [p for p in peers if PEERS[p].name not in ("eager", "eager-bf16")]
    body = []
    for name, threads, row in rows(results):
        cells = [f"{row[p]['compile_s']:.2f}" if is_measured(row.get(p)) else "—" for p in peers]
        body.append([name, str(threads), *cells])
    return _markdown(["workload", "T", *[f"{p} s" for p in peers]], body) if peers else []


def is_measured(point: dict | None) -> bool:
    return point is not None and "error" not in point


def accuracy_table(results: dict, key: str = "max_rel_error", precisions=PRECISIONS) -> list[str]:
    """Max relative error (``key``: against eager f32, or for int8 peers against the
    quantized model's eager answer) of every peer of ``precisions``, worst over thread
    counts."""
    peers = [p for precision in precisions for p in present(results, precision)]
    peers = [p for p in peers if p != "eager"]
    body = []
    for name in results["workloads"]:
        cells = [name]
        for peer in peers:
            errors = [
                p[key]
                for p in results["points"]
                if p["workload"] == name and p["peer"] == peer and is_measured(p) and key in p
            ]
            cells.append(f"{max(errors):.1e}" if errors else "—")
        if any(cell != "—" for cell in cells[1:]):
            body.append(cells)
    return _markdown(["workload", *peers], body) if peers and body else []


def failures(results: dict) -> list[str]:
    """One line per failed point, with its reason."""
    return [
        f"- {p['workload']} {p['threads']}T {p['peer']}: {p['error']}"
        for p in results["points"]
        if "error" in p
    ]


def report(results: dict) -> str:
    """The whole markdown report: f32 and bf16 latency, compile times, accuracy, failures."""
    machine = results["machine"]
    bandwidth = ", ".join(f"{float(g):.1f} GB/s at {t}T" for t, g in machine["copy_gbs"].items())
    sections = [
        ("### f32", latency_table(results, "f32")),
        ("### bf16", latency_table(results, "bf16")),
        ("### int8 (the PT2E-quantized model)", latency_table(results, "int8")),
        ("### Compile time (s, cold, up to the end of the first call)", compile_table(results)),
        ("### Max relative error against eager f32", accuracy_table(results)),
        (
            "### int8: max relative error against the quantized model's eager answer",
            accuracy_table(results, "max_rel_error_quantized", ("int8",)),
        ),
        ("### Failed points", failures(results)),
    ]
    text = "\n\n".join(title + "\n\n" + "\n".join(lines) for title, lines in sections if lines)
    note = (
        f"Machine: FMA peak {machine['fma_peak_gflops_1core']:.1f} GFLOP/s per core (measured), "
        f"copy bandwidth {bandwidth} (measured). Latency: median ms. `% peak` is kiln's, of the "
        "FMA peak times the threads (in the bf16 table, of twice that: a bf16 dot does two "
        "multiply-adds per f32 lane; in the int8 table, of four times: vpdpbusd does four "
        "u8 x s8 multiply-adds per i32 lane; both assumed, not measured). `kiln / best` < 1 "
        "means kiln is faster than every peer of "
        "its precision measured. Error: max |y - ref| / max |ref| against eager f32; a latency "
        f"marked {WRONG} is over its precision's tolerance (f32 {TOLERANCE['f32']:g}, bf16 "
        f"{TOLERANCE['bf16']:g}, int8 {TOLERANCE['int8']:g}: the quantized model's own distance "
        "from the float one) and never counts as best. `tiny` (x+1 on 16 floats) measures "
        "what one call costs beyond its work."
    )
    return text + "\n\n" + note + "\n"
