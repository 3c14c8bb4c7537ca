"""llc's flags for kiln libraries: the schedulers' memory-dependence maps are capped (their
default makes llc quadratic on long blocks of unrolled copies: issue 12, compile time),
which the shipped llc accepts and which leaves such a block's instructions as they were."""

from __future__ import annotations

import collections
import subprocess

from kiln.aot import toolchain
from kiln.aot.codegen import SCHEDULER_MAP_LIMIT, llc_flags
from kiln.aot.target import codegen_target

TARGET = codegen_target(16, "x86_64-linux-gnu", tune="znver4")


def _copies(pairs: int) -> str:
    """One block of ``pairs`` <64 x float> load/store pairs (a window shift, fully unrolled)."""
    body = []
    for i in range(pairs):
        body += [
            f"  %s{i} = getelementptr float, ptr %src, i64 {i * 192}",
            f"  %d{i} = getelementptr float, ptr %dst, i64 {i * 64}",
            f"  %v{i} = load <64 x float>, ptr %s{i}, align 4",
            f"  store <64 x float> %v{i}, ptr %d{i}, align 4",
        ]
    return (
        "define void @copy(ptr noalias %dst, ptr noalias %src) #0 {\n"
        + "\n".join(body)
        + '\n  ret void\n}\nattributes #0 = { "tune-cpu"="znver4" }\n'
    )


def test_llc_caps_the_scheduler_maps():
    flags = llc_flags(TARGET, 2)
    assert f"-dag-maps-huge-region={SCHEDULER_MAP_LIMIT}" in flags
    assert SCHEDULER_MAP_LIMIT < 1000  # LLVM's default, quadratic on long blocks
    assert "-relocation-model=pic" in flags and "-mcpu=x86-64-v4" in flags


def _mnemonics(source, flags, out) -> collections.Counter:
    asm_flags = [f for f in flags if f != "-filetype=obj"] + ["-filetype=asm"]
    command = [toolchain.llvm_tool("llc"), *asm_flags, str(source), "-o", str(out)]
    subprocess.run(command, check=True, capture_output=True, text=True)
    lines = [line.split() for line in out.read_text().splitlines()]
    return collections.Counter(w[0] for w in lines if w and not w[0].startswith((".", "#")))


def test_capped_maps_schedule_the_same_instructions(tmp_path):
    """A block past the cap compiles to the instructions llc's defaults give: the cap only
    narrows how far the schedulers may move memory operations past each other."""
    source = tmp_path / "copy.ll"
    source.write_text(_copies(300))
    flags = llc_flags(TARGET, 2)
    capped = _mnemonics(source, flags, tmp_path / "capped.s")
    default = [f for f in flags if not f.startswith("-dag-maps")]
    assert capped == _mnemonics(source, default, tmp_path / "default.s")
    assert capped["vmovups"] == 2 * 4 * 300  # 4 zmm loads and stores per <64 x float> pair
