"""What an ahead-of-time library is built for: an LLVM triple, a CPU and the features it needs.

The host gets a portable instruction-set level rather than its exact CPU, so
a library runs on any machine of that level: kiln's vector code is explicit
in the IR (its width is ``CpuTarget.vector_width``), and the level is the
smallest one with vectors that wide. ``features`` are the ``/proc/cpuinfo``
flags a machine must show to run the code; the library records them and
checks them when it is loaded (``kiln.load``) and on its first call (C).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

# x86-64 micro-architecture levels (the psABI's), by the f32 lanes kiln vectorizes for,
# with the /proc/cpuinfo flags each level requires.
_X86_V2 = ("cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3")
_X86_V3 = (*_X86_V2, "abm", "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "movbe", "xsave")
_X86_V4 = (*_X86_V3, "avx512bw", "avx512cd", "avx512dq", "avx512f", "avx512vl")
X86_LEVELS = {4: ("x86-64-v2", _X86_V2), 8: ("x86-64-v3", _X86_V3), 16: ("x86-64-v4", _X86_V4)}

# The triples kiln can build for, by the ``uname -m`` of the machines they run on.
TRIPLES = {"x86_64": "x86_64-unknown-linux-gnu", "aarch64": "aarch64-unknown-linux-gnu"}
# Spellings users may give for the same architecture.
_ARCH_ALIASES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


@dataclass(frozen=True)
class CodegenTarget:
    """The machine code of a library: ``llc -mtriple -mcpu -mattr`` and what it needs to run."""

    machine: str  # "x86_64" or "aarch64" (uname -m of the machines it runs on)
    triple: str
    cpu: str
    attributes: str  # llc -mattr ("" for none)
    features: tuple[str, ...]  # /proc/cpuinfo flags the code needs
    # The CPU whose costs and scheduling the code is tuned for ("" for ``cpu``'s own): the
    # instructions stay ``cpu``'s, so the library still runs on any machine of that level.
    tune: str = ""

    @property
    def is_host(self) -> bool:
        """True if code for this target runs on this machine's architecture."""
        return self.machine == host_machine()


def host_machine() -> str:
    """This machine's architecture, as ``uname -m`` spells it (normalized)."""
    machine = platform.machine().lower()
    return _ARCH_ALIASES.get(machine, machine)


def codegen_target(
    vector_width: int,
    triple: str | None = None,
    tune: str = "",
    bf16: bool = False,
    vnni: bool = False,
) -> CodegenTarget:
    """The target for code vectorized ``vector_width`` f32 lanes wide, for ``triple``
    (default: this machine), tuned for the CPU ``tune`` (LLVM's name; "" for none);
    ``bf16``: the code has AVX512-BF16 dot products (``precision="bf16"``); ``vnni``:
    AVX512-VNNI ones (int8 contractions of quantized models).
    ValueError for an architecture kiln cannot build for, or a vector width that
    architecture does not have.
    """
    machine = host_machine() if triple is None else _triple_machine(triple)
    if machine not in TRIPLES:
        known = ", ".join(TRIPLES.values())
        raise ValueError(
            f"kiln cannot build libraries for '{triple or machine}' (it knows {known})"
        )
    triple = triple or TRIPLES[machine]
    if machine == "aarch64":
        if vector_width != 4:
            raise ValueError(
                f"aarch64 has 128-bit NEON vectors (4 f32 lanes): vector width {vector_width} "
                "cannot run there; build with vector_width=4"
            )
        # NEON (Advanced SIMD) is part of every AArch64 Linux machine; /proc/cpuinfo: asimd.
        return CodegenTarget(machine, triple, "generic", "+neon", ("asimd",), tune)
    cpu, features = X86_LEVELS[vector_width]
    # No x86-64 level includes AVX512-BF16 or AVX512-VNNI: named on top of x86-64-v4.
    extras = [
        (flag, attr, feature)
        for flag, attr, feature in (
            (bf16, "+avx512bf16", "avx512_bf16"),
            (vnni, "+avx512vnni", "avx512_vnni"),
        )
        if flag
    ]
    if extras and vector_width != 16:
        raise ValueError(f"bf16/int8 dot products need 16 f32 lanes (AVX-512), not {vector_width}")
    attributes = ",".join(attr for _, attr, _ in extras)
    needed = (*features, *(feature for _, _, feature in extras))
    return CodegenTarget(machine, triple, cpu, attributes, needed, tune)


def _triple_machine(triple: str) -> str:
    arch = triple.split("-", 1)[0].lower()
    return _ARCH_ALIASES.get(arch, arch)
