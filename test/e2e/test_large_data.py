"""Libraries whose weights and static buffers pass ``LARGE_DATA_BYTES`` (1 GiB) use
x86-64's medium code model and large data sections, so they link past 2 GiB (LLMs of
0.5B+ parameters in f32; the small model's 32-bit offsets did not reach, "relocation
truncated to fit"). The layout is exercised here on a small model with the threshold
lowered to 0: the code must be the same model's, only addressed differently."""

from __future__ import annotations

import subprocess

import torch
from torch import nn

import kiln
from kiln.aot import codegen

LARGE_SECTIONS = (".lrodata", ".lbss")


class TwoLayers(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(256, 512)  # 512 KiB of weights: a large object (over 64 KiB)
        self.b = nn.Linear(512, 64)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


def _sections(path) -> set[str]:
    table = subprocess.run(["readelf", "-SW", str(path)], capture_output=True, text=True)
    return {word for line in table.stdout.splitlines() for word in line.split() if "." in word}


def _compile(tmp_path, monkeypatch, threshold: int, name: str):
    monkeypatch.setattr(codegen, "LARGE_DATA_BYTES", threshold)
    monkeypatch.setenv("KILN_CACHE_DIR", str(tmp_path / f"cache-{name}"))
    torch.manual_seed(0)
    model = TwoLayers().eval()
    x = torch.randn(128, 256)
    compiled = kiln.compile(model, x, threads=1)
    library = tmp_path / f"{name}.so"
    compiled.save(library)
    return model, x, compiled, library


def test_large_layout_computes_the_same(tmp_path, monkeypatch):
    model, x, compiled, library = _compile(tmp_path, monkeypatch, 0, "large")
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), rtol=1e-5, atol=1e-5)
    # The weights (and buffers over 64 KiB) in large sections, placed after .bss.
    assert ".lrodata" in _sections(library)


def test_small_libraries_keep_the_small_layout(tmp_path, monkeypatch):
    _, _, _, library = _compile(tmp_path, monkeypatch, codegen.LARGE_DATA_BYTES, "small")
    sections = _sections(library)
    assert ".rodata" in sections
    assert not any(s.startswith(LARGE_SECTIONS) for s in sections)


def test_static_bytes_counts_global_arrays():
    text = (
        "@__kiln_errors = private global [2 x i32] zeroinitializer\n"
        "@__kiln_buffer_0 = private global [1 x [71 x [128 x [128 x float]]]] undef, align 64\n"
        "@x = external global i32\n"
    )
    assert codegen.static_bytes(text) == 2 * 4 + 71 * 128 * 128 * 4
