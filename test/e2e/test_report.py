"""kiln.compile(..., report=...): the compile report is one self-contained HTML page with
the stages, the fusion groups and (profile=True) every loop nest on a roofline; a real
headless browser renders it without errors."""

from __future__ import annotations

import inspect
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
import torch

import kiln

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")


class Model(torch.nn.Module):
    """Two Linears with bias and ReLU: two contraction fusion groups."""

    def __init__(self):
        super().__init__()
        self.first = torch.nn.Linear(64, 128)
        self.second = torch.nn.Linear(128, 32)

    def forward(self, x):
        h = torch.relu(self.first(x))  # line: first
        return torch.relu(self.second(h))


class Report(HTMLParser):
    """The parts of a report the tests read: section ids, each section's table rows
    (cell texts), the roofline's circles, every link and anything loaded from outside."""

    def __init__(self, text: str):
        super().__init__()
        self.sections: dict[str, list[list[str]]] = {}
        self.ids: set[str] = set()
        self.circles = 0
        self.hrefs: list[str] = []
        self.external: list[str] = []
        self._section = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "section":
            self._section = attrs["id"]
            self.sections[self._section] = []
        elif tag == "tr" and self._section:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "circle":
            self.circles += 1
        if tag in ("script", "link", "img", "iframe") or "src" in attrs:
            self.external.append(tag)
        if "href" in attrs:
            self.hrefs.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.sections[self._section].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def profiled(tmp_path_factory):
    """A profile=True compile with a report, and its dumped stages."""
    tmp = tmp_path_factory.mktemp("report")
    torch.manual_seed(0)
    model, x = Model().eval(), torch.randn(16, 64)
    compiled = kiln.compile(
        model, x, threads=1, profile=True, report=tmp / "report.html", dump_dir=tmp / "dump"
    )
    torch.testing.assert_close(compiled(x), model(x), rtol=1e-4, atol=1e-5)
    return compiled, tmp


def _line(marker: str) -> int:
    lines, first = inspect.getsourcelines(Model)
    return next(first + i for i, line in enumerate(lines) if f"# line: {marker}" in line)


def test_stages_table_lists_every_step_with_its_time_and_size(profiled):
    compiled, tmp = profiled
    report = Report((tmp / "report.html").read_text())
    rows = report.sections["stages"]
    steps = [r[0] for r in rows[1:-1]]  # between the header and the total
    stages = ["graph", "grouped", "tiled", "vectorized", "bufferized", "loops", "profile", "llvm"]
    assert steps == ["import", *stages, "jit"]
    times = [float(r[1]) for r in rows[1:-1]]
    assert all(t >= 0 for t in times)
    assert float(rows[-1][1]) == pytest.approx(sum(times), abs=0.01)
    ops = {r[0]: int(r[3]) for r in rows[1:-1] if r[3]}
    assert set(ops) == set(stages) and ops["llvm"] > ops["graph"] > 0


def test_fusion_groups_are_the_groups_after_the_grouped_stage(profiled):
    _, tmp = profiled
    report = Report((tmp / "report.html").read_text())
    # Dumps are named <name>-<hash>.<NN>-<stage>.mlir (kiln.driver.run_pipeline).
    (dumped,) = (tmp / "dump").glob("model-*.02-grouped.mlir")
    grouped = dumped.read_text()
    rows = report.sections["fusion-groups"][1:]
    assert len(rows) == grouped.count('"kiln.fusion_group"') == 2
    for row in rows:
        assert row[1] == "contraction" and "linalg.generic" in row[3]
        assert re.match(r"test_report\.py:\d+", row[4])
    assert rows[0][4].startswith(f"test_report.py:{_line('first')}")


def test_loop_nests_have_times_rates_and_a_roofline(profiled):
    compiled, tmp = profiled
    report = Report((tmp / "report.html").read_text())
    rows = report.sections["loop-nests"][1:]
    assert len(rows) == len(compiled.profile())
    assert {"loop-nests", "roofline", "machine"} <= report.ids
    text = (tmp / "report.html").read_text()
    assert re.search(r"FMA peak <b>\d+\.\d GFLOP/s</b>, copy bandwidth <b>\d+\.\d GB/s</b>", text)
    assert re.search(r"cycle counter \d\.\d{3} GHz", text)
    fma = [r for r in rows if r[1].startswith("fma")]
    assert len(fma) == 2
    first = next(r for r in fma if r[9].startswith(f"test_report.py:{_line('first')} "))
    # The matmul's multiply-adds, then its bias add and ReLU.
    assert int(first[4]) == 2 * 16 * 64 * 128 + 2 * 16 * 128
    assert int(first[5]) >= 4 * (16 * 64 + 64 * 128 + 16 * 128)  # x, the weights, the result
    for row in fma:
        micros, flops, nbytes = float(row[2]), int(row[4]), int(row[5])
        gflops, gbs, intensity = float(row[6]), float(row[7]), float(row[8])
        assert micros > 0
        assert gflops == pytest.approx(flops / micros / 1e3, rel=0.01)
        assert gbs == pytest.approx(nbytes / micros / 1e3, rel=0.01)
        assert intensity == pytest.approx(flops / nbytes, rel=0.01)
    plotted = [r for r in rows if r[6] and r[8] and float(r[8]) > 0]
    assert report.circles == len(plotted)
    assert sum(float(r[3].rstrip("%")) for r in rows) == pytest.approx(100, abs=0.5)
    assert all(f"#nest-{r[0]}" in report.hrefs for r in plotted)


def test_report_is_self_contained(profiled):
    _, tmp = profiled
    report = Report((tmp / "report.html").read_text())
    assert report.external == []
    assert all(h.startswith(("#", "file://")) for h in report.hrefs)
    assert any(h == Path(__file__).resolve().as_uri() for h in report.hrefs)


def test_without_profile_the_report_says_how_to_get_one(tmp_path):
    model, x = Model().eval(), torch.randn(16, 64)
    kiln.compile(model, x, threads=1, report=tmp_path / "r.html")
    text = (tmp_path / "r.html").read_text()
    report = Report(text)
    assert report.circles == 0 and "Compile with <code>profile=True</code>" in text
    assert len(report.sections["fusion-groups"]) == 3


def test_report_is_a_cpu_option():
    with pytest.raises(ValueError, match="report= is a cpu option"):
        kiln.compile(Model(), torch.randn(16, 64), target="cuda", report="r.html")


def test_a_browser_renders_the_report_without_errors(profiled):
    """Headless Chromium loads the page: no console message or uncaught error, the DOM
    has the tables and the roofline's points, and the screenshot is not blank."""
    _, tmp = profiled
    browser = next((b for b in map(shutil.which, BROWSERS) if b), None)
    if browser is None:
        pytest.fail(
            "no headless Chromium on PATH: tools/dev.sh setup installs Debian's "
            "chromium-headless-shell"
        )
    page = (tmp / "report.html").resolve().as_uri()
    shot = tmp / "report.png"
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    run = subprocess.run(
        [
            *common,
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={shot}",
            "--window-size=1200,1800",
            page,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    width, height, pixels = _png(shot.read_bytes())
    assert (width, height) == (1200, 1800)
    assert len(set(pixels[::101])) > 8, "the screenshot is blank"
    dom = subprocess.run(
        [*common, "--dump-dom", page], capture_output=True, text=True, timeout=120
    ).stdout
    rendered = Report(dom)
    expected = Report((tmp / "report.html").read_text())
    assert rendered.circles == expected.circles > 0
    assert rendered.sections["loop-nests"] == expected.sections["loop-nests"]


def _png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the decompressed scanlines of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, width, height = 8, [], 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    return width, height, zlib.decompress(b"".join(chunks))
