"""A compile report: one self-contained HTML page about one compile.

Sections: the stages (wall time and op count after each), the fusion groups
(``kiln.fusion_group`` ops after ``grouped``), and, for ``profile=True``
compiles, every loop nest's time per call with its GFLOP/s and GB/s, placed on
a roofline (inline SVG) against this machine's measured FMA peak and copy
bandwidth (``kiln.debug.machine``), each linked to the user's source line.
No scripts, no external files: it opens anywhere, offline.

    kiln.compile(model, x, report="report.html", profile=True)
    kiln-opt model.mlir --kiln-pipeline=cpu --report=report.html
"""

from __future__ import annotations

import linecache
import re
import time
from dataclasses import dataclass
from html import escape
from pathlib import Path

from kiln.debug.machine import cache_path
from kiln.debug.progress import CompileLog
from kiln.debug.roofline import NestCost, Point, roofline_svg

_LOCATION_RE = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+)$")


@dataclass(frozen=True)
class Nest:
    """One profiled loop nest: what it is, where it came from, its cost and time per call."""

    index: int
    what: str
    location: str
    seconds: float
    share: float
    cost: NestCost

    @property
    def gflops(self) -> float | None:
        """GFLOP/s (None when the flops are unknown or the time is zero)."""
        if not self.cost.flops or self.seconds <= 0:
            return None
        return self.cost.flops / self.seconds / 1e9

    @property
    def gbs(self) -> float | None:
        """GB/s of compulsory traffic."""
        if not self.cost.bytes or self.seconds <= 0:
            return None
        return self.cost.bytes / self.seconds / 1e9


def write_report(
    path,
    log: CompileLog,
    *,
    compiled=None,
    inputs: tuple = (),
    target=None,
    pipeline_name: str = "",
    source: str | None = None,
) -> Path:
    """Writes the report of the compile ``log`` recorded to ``path`` and returns the path.

    With a ``compiled`` model built with ``profile=True``, the model is first run
    on copies of ``inputs`` (seeded random data when none) for about half a second, and
    the machine is measured (``measure_machine``, cached) for the roofline.
    """
    nests, machine = [], None
    if compiled is not None and getattr(compiled, "_profile_regions", None) is not None:
        from kiln.debug.machine import measure_machine

        machine = measure_machine(getattr(target, "threads", 1))
        nests = profile_nests(compiled, inputs, log.nest_costs, machine.cycles_hz)
    html = render(log, nests, machine, target=target, pipeline_name=pipeline_name, source=source)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html)
    return out


def profile_nests(compiled, inputs: tuple, costs: list[NestCost], cycles_hz: float) -> list[Nest]:
    """Runs ``compiled`` for about half a second and returns each nest's time per call."""
    # Copies: a model that updates its inputs in place must not change the caller's.
    args = [x.clone() if hasattr(x, "clone") else x for x in inputs]
    args = args or _random_inputs(compiled.signature)
    calls, start = 0, time.perf_counter()
    while calls < 3 or (time.perf_counter() - start < 0.5 and calls < 100):
        compiled(*args)
        calls += 1
    cycles = compiled.profile_cycles()
    total = max(sum(c for _, c in cycles), 1)
    nests = []
    for i, (name, count) in enumerate(cycles):
        what, _, where = name.rpartition(" at ")
        what = re.sub(r"^\d+ ", "", what)  # the region's name starts with its index
        cost = costs[i] if i < len(costs) else NestCost(None, 0)
        nests.append(Nest(i, what, where, count / calls / cycles_hz, count / total, cost))
    return nests


def _random_inputs(signature) -> list:
    import numpy as np

    from kiln.debug.runner import random_like_spec

    rng = np.random.default_rng(0)
    return [random_like_spec(spec, rng) for spec in signature.inputs]


# --- HTML ------------------------------------------------------------------------------

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { padding: .2em .7em; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 12px ui-monospace, monospace; background: #f4f4f4; padding: 0 .2em; }
.bar { background: #4a7fb5; height: .8em; display: inline-block; }
.note { color: #666; }
svg.roofline { border: 1px solid #ddd; background: #fff; }
svg .grid { stroke: #eee; } svg .roof { fill: none; stroke: #c33; stroke-width: 2; }
svg .tick, svg .axis, svg .roof-label, svg .nest-label { font: 11px system-ui, sans-serif; fill: #444; }
svg .nest { fill: #4a7fb5; fill-opacity: .8; stroke: #234; }
"""


def render(log: CompileLog, nests: list[Nest], machine, *, target, pipeline_name, source) -> str:
    """The report's HTML text."""
    title = f"kiln compile report: {log.name}"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        _summary(log, target, pipeline_name, source),
        _stages(log),
        _groups(log, source),
        _nests(nests, machine, source),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _summary(log: CompileLog, target, pipeline_name: str, source: str | None) -> str:
    facts = [f"compiled in <b>{log.total:.2f} s</b>"]
    if pipeline_name:
        facts.append(f"pipeline <code>{escape(pipeline_name)}</code>")
    if target is not None:
        facts.append(escape(_describe_target(target)))
    if source:
        facts.append(f"from <code>{escape(source)}</code>")
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    return f'<p id="summary">{", ".join(facts)}; written {stamp}.</p>'


def _describe_target(target) -> str:
    threads = getattr(target, "threads", None)
    lanes = getattr(target, "vector_width", None)
    words = [f"target {getattr(target, 'name', target)}"]
    if threads is not None:
        words.append(f"{threads} thread(s)")
    if lanes is not None:
        words.append(f"{lanes} f32 lanes")
    return ", ".join(words)


def _stages(log: CompileLog) -> str:
    longest = max((s.seconds for s in log.steps), default=0) or 1
    rows = []
    for step in log.steps:
        width = 12 * step.seconds / longest
        ops = "" if step.ops is None else str(step.ops)
        rows.append(
            f'<tr><td>{escape(step.name)}</td><td class="num">{step.seconds:.3f}</td>'
            f'<td><span class="bar" style="width:{width:.2f}em"></span></td>'
            f'<td class="num">{ops}</td></tr>'
        )
    return (
        '<section id="stages"><h2>Stages</h2>'
        '<table><thead><tr><th>stage</th><th class="num">time (s)</th><th></th>'
        '<th class="num">ops after</th></tr></thead><tbody>'
        + "\n".join(rows)
        + f'</tbody><tfoot><tr><th>total</th><th class="num">{log.total:.3f}</th><th></th>'
        "<th></th></tr></tfoot></table></section>"
    )


def _groups(log: CompileLog, source: str | None) -> str:
    if not log.groups:
        body = '<p class="note">No fusion groups: nothing was fused around a contraction.</p>'
    else:
        rows = [
            f'<tr><td class="num">{i}</td><td>{escape(g.kind)}</td><td><code>{escape(g.anchor)}'
            f"</code></td><td>{' '.join(f'<code>{escape(m)}</code>' for m in g.members)}</td>"
            f"<td>{_source_link(g.location, source)}</td></tr>"
            for i, g in enumerate(log.groups)
        ]
        body = (
            '<table><thead><tr><th class="num">#</th><th>kind</th><th>anchor</th>'
            "<th>ops in the group</th><th>source</th></tr></thead><tbody>"
            + "\n".join(rows)
            + "</tbody></table>"
        )
    return f'<section id="fusion-groups"><h2>Fusion groups</h2>{body}</section>'


def _nests(nests: list[Nest], machine, source: str | None) -> str:
    if not nests:
        body = (
            '<p class="note">Compile with <code>profile=True</code> to time every loop nest '
            "and see it on a roofline.</p>"
        )
        return f'<section id="loop-nests"><h2>Loop nests</h2>{body}</section>'
    rows = [_nest_row(n, source) for n in sorted(nests, key=lambda n: -n.seconds)]
    table = (
        '<table><thead><tr><th class="num">#</th><th>loop nest</th><th class="num">µs per call</th>'
        '<th class="num">share</th><th class="num">FLOP</th><th class="num">bytes</th>'
        '<th class="num">GFLOP/s</th><th class="num">GB/s</th>'
        '<th class="num">FLOP/byte</th><th>source</th></tr></thead><tbody>'
        + "\n".join(rows)
        + "</tbody></table>"
    )
    points = [
        Point(
            f"{n.index:02d}",
            f"nest-{n.index:02d}",
            n.cost.intensity,
            n.gflops,
            f"{n.index:02d} {n.what}: {n.gflops:.2f} GFLOP/s at {n.cost.intensity:.2f} FLOP/byte",
        )
        for n in nests
        if n.gflops and n.cost.intensity
    ]
    plot = roofline_svg(points, machine.peak_gflops, machine.bandwidth_gbs) if points else ""
    skipped = len(nests) - len(points)
    note = (
        f'<p class="note">{skipped} nest(s) without floating-point work (copies, integer code) '
        "are in the table only.</p>"
        if skipped
        else ""
    )
    return (
        '<section id="loop-nests"><h2>Loop nests</h2>'
        + table
        + '<h3 id="roofline">Roofline</h3>'
        + plot
        + note
        + _machine(machine)
        + "</section>"
    )


def _nest_row(n: Nest, source: str | None) -> str:
    def num(value, fmt):
        return "" if value is None else format(value, fmt)

    return (
        f'<tr id="nest-{n.index:02d}"><td class="num">{n.index:02d}</td><td>{escape(n.what)}</td>'
        f'<td class="num">{n.seconds * 1e6:.4g}</td><td class="num">{n.share:.1%}</td>'
        f'<td class="num">{num(n.cost.flops, "d")}</td><td class="num">{n.cost.bytes}</td>'
        f'<td class="num">{num(n.gflops, ".2f")}</td><td class="num">{num(n.gbs, ".2f")}</td>'
        f'<td class="num">{num(n.cost.intensity, ".2f")}</td><td>{_source_link(n.location, source)}</td></tr>'
    )


def _machine(machine) -> str:
    return (
        f'<p id="machine">Roofs measured on this machine ({escape(machine.cpu)}, '
        f"{machine.threads} thread(s)): f32 FMA peak <b>{machine.peak_gflops:.1f} GFLOP/s</b>, "
        f"copy bandwidth <b>{machine.bandwidth_gbs:.1f} GB/s</b>; "
        f"cycle counter {machine.cycles_hz / 1e9:.3f} GHz; measured {escape(machine.measured)} "
        f"(delete <code>{escape(str(cache_path()))}</code> to measure again). Flops and bytes are "
        "counted in the loop-level IR; bytes are each buffer a nest touches, once (a lower "
        "bound), so nests whose data stays in cache can sit above the bandwidth roof.</p>"
    )


def _source_link(location: str, source: str | None) -> str:
    """``file:line`` linked to the file, with the line's text when the file is readable.

    ``-`` (MLIR parsed from memory) is the ``source`` file.
    """
    match = _LOCATION_RE.match(location.strip())
    if not match:
        return f"<code>{escape(location)}</code>"
    file, line = match.group("file"), int(match.group("line"))
    if file == "-" and source:
        file = source
    text = linecache.getline(file, line).strip()
    href = Path(file).resolve().as_uri() if Path(file).is_absolute() or Path(file).exists() else ""
    label = f"{escape(Path(file).name)}:{line}"
    link = f'<a href="{escape(href)}" title="{escape(file)}">{label}</a>' if href else label
    code = f" <code>{escape(text)}</code>" if text else ""
    return f'<span class="source">{link}{code}</span>'
