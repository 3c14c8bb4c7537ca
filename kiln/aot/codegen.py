"""LLVM-dialect module -> relocatable objects, with LLVM 22's opt and llc, one per core at once.

Like the JIT (``kiln.runtime.jit``): large constants (weights) leave the module
(``externalize_constants``; they are linked in as raw data, which costs
nothing to compile), and a large module's loop nests are dealt out to one
module per core (``split_module``), each compiled by its own ``opt | llc``
process. The modules are translated to LLVM IR text by the wheel's LLVM 24,
whose float literals LLVM 22 cannot parse until respelled
(``llvm_literals``). Code is position independent (a shared library's).

Code that rounds to bfloat16 on a CPU without AVX512-BF16 (or NEON's BF16)
calls compiler-rt's ``__truncsfbf2``/``__truncdfbf2``, which the JIT finds in
the process but libgcc 12 lacks: when the module has bfloat16, the objects
include kiln's own definitions (``SUPPORT_IR``, hidden), so the library links
with ``--no-undefined``.

Pre: the cpu pipeline's ``llvm`` stage output.
Post: the objects together define every function of the module, and every
compiler runtime function its bfloat16 conversions call; the externalized
constants are undefined symbols, returned with their data.
"""

from __future__ import annotations

import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from kiln.aot.target import CodegenTarget
from kiln.aot.toolchain import llvm_tool
from kiln.errors import LibraryError
from kiln.ir import ir, llvm
from kiln.lowering.cuda.llvm_literals import fix_float_literals
from kiln.runtime.jit import externalize_constants
from kiln.runtime.split_module import split_module

# float/double -> bfloat16, rounded to nearest even; a NaN stays a quiet NaN (as compiler-rt).
SUPPORT_IR = """
define weak hidden bfloat @__truncsfbf2(float %x) {
  %bits = bitcast float %x to i32
  %magnitude = and i32 %bits, 2147483647
  %nan = icmp ugt i32 %magnitude, 2139095040
  %high = lshr i32 %bits, 16
  %odd = and i32 %high, 1
  %bias = add i32 %odd, 32767
  %rounded = add i32 %bits, %bias
  %result = lshr i32 %rounded, 16
  %quiet = or i32 %high, 64
  %chosen = select i1 %nan, i32 %quiet, i32 %result
  %short = trunc i32 %chosen to i16
  %value = bitcast i16 %short to bfloat
  ret bfloat %value
}

define weak hidden bfloat @__truncdfbf2(double %x) {
  %single = fptrunc double %x to float
  %value = call bfloat @__truncsfbf2(float %single)
  ret bfloat %value
}
"""


# x86-64's default (small) code model reaches every symbol with 32-bit offsets: a library
# whose weights or static buffers come near 2 GiB does not link ("relocation truncated to
# fit", LLMs of 0.5B+ parameters in f32). Past this many bytes the medium code model puts
# data objects over 64 KiB in large sections (.lbss, .lrodata) addressed with 64-bit
# offsets, which the linker places after all the others.
LARGE_DATA_BYTES = 1 << 30
_ELEMENT_BYTES = {"float": 4, "double": 8, "half": 2, "bfloat": 2, "i8": 1, "i16": 2, "i32": 4}
_ELEMENT_BYTES |= {"i64": 8, "i1": 1}
_GLOBAL_ARRAY = re.compile(r"^@\S+ = \w+ global ((?:\[\d+ x )+)(\w+)", re.MULTILINE)


def static_bytes(llvm_ir: str) -> int:
    """Bytes of the global arrays an LLVM IR module defines (static buffers, error flags)."""
    total = 0
    for dims, element in _GLOBAL_ARRAY.findall(llvm_ir):
        count = 1
        for extent in re.findall(r"\d+", dims):
            count *= int(extent)
        total += count * _ELEMENT_BYTES.get(element, 8)
    return total


def needs_large_data(target: CodegenTarget, data_bytes: int) -> bool:
    """Whether a library of ``target`` with ``data_bytes`` of weights and static buffers is
    laid out with large data sections (x86-64 only: AArch64's small model reaches 4 GiB)."""
    return target.machine == "x86_64" and data_bytes >= LARGE_DATA_BYTES


def emit_objects(
    module: ir.Module, target: CodegenTarget, opt_level: int, work_dir: Path
) -> tuple[list[Path], dict[str, np.ndarray], bool]:
    """Compiles ``module`` into objects in ``work_dir``; returns them, the constants' data
    and whether they use large data sections (``needs_large_data``)."""
    constants = externalize_constants(module, copy=False)  # written out while module lives
    if target.tune:
        _tune_functions(module, target.tune)
    cores = _cores()
    parts = [part for part, _ in split_module(module, cores)] if cores > 1 else []
    texts = [
        fix_float_literals(llvm.translate_module_to_llvmir(p.operation)) for p in [module, *parts]
    ]
    if any("bfloat" in text for text in texts):
        texts.append(SUPPORT_IR)
    sources = [work_dir / f"part{index}.ll" for index in range(len(texts))]
    for path, text in zip(sources, texts, strict=True):
        path.write_text(text)
    data_bytes = sum(a.nbytes for a in constants.values()) + sum(map(static_bytes, texts))
    large = needs_large_data(target, data_bytes)
    with ThreadPoolExecutor(max_workers=cores) as pool:
        objects = list(pool.map(lambda src: _compile(src, target, opt_level, large), sources))
    return objects, constants, large


def _tune_functions(module: ir.Module, cpu: str) -> None:
    """Tunes every function for ``cpu`` (LLVM's ``"tune-cpu"`` attribute; opt and llc have
    no -mtune). Instructions stay the target's level: only costs and scheduling change.

    Why: the JIT targets the host CPU itself. With x86-64-v4's generic tuning ResNet-18's
    library ran 3-4% slower than the JIT on a Zen 4 (paired medians); tuned for znver4, level.
    """
    name = ir.StringAttr.get(cpu, module.context)
    for op in module.body.operations:
        op = op.operation
        if op.name == "llvm.func" and len(op.regions[0].blocks):
            op.attributes["tune_cpu"] = name


# llc's schedulers (before and after register allocation) build a dependence graph per
# block; memory operations are kept in per-address maps, each new one checked against every
# pending entry until a map holds this many ("huge region"), then the maps are reduced. LLVM's
# default (1000) makes that quadratic on the long blocks of unrolled vector copies that
# LLVM's full unrolling leaves (Swin's window shifts: 294 <64 x float> load/store pairs
# in one block): 2/3 of llc's time on swin_t. At 200 llc took 5.8 -> 2.3 s on swin_t's
# largest part, and every object of swin_t and llama came out byte for byte the same.
SCHEDULER_MAP_LIMIT = 200


def llc_flags(target: CodegenTarget, opt_level: int, large_data: bool = False) -> list[str]:
    """llc's flags for an object of ``target`` (position independent: a shared library's;
    the medium code model with ``large_data``, see ``LARGE_DATA_BYTES``)."""
    return [
        f"-O{opt_level}",
        *_target_flags(target),
        "-relocation-model=pic",
        *(["-code-model=medium"] if large_data else []),
        f"-dag-maps-huge-region={SCHEDULER_MAP_LIMIT}",
        "-filetype=obj",
    ]


def _target_flags(target: CodegenTarget) -> list[str]:
    flags = [f"-mtriple={target.triple}", f"-mcpu={target.cpu}"]
    if target.attributes:
        flags.append(f"-mattr={target.attributes}")
    return flags


def _compile(source: Path, target: CodegenTarget, opt_level: int, large_data: bool) -> Path:
    """``opt -O<n>`` then ``llc -O<n>`` on one LLVM IR file; LibraryError with the command."""
    bitcode, obj = source.with_suffix(".bc"), source.with_suffix(".o")
    flags = _target_flags(target)
    commands = [
        [llvm_tool("opt"), f"-O{opt_level}", *flags, str(source), "-o", str(bitcode)],
        [llvm_tool("llc"), *llc_flags(target, opt_level, large_data), str(bitcode), "-o", str(obj)],
    ]
    for command in commands:
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise LibraryError(
                f"kiln: {Path(command[0]).name} failed on {source}:\n{result.stderr.strip()}\n"
                f"command: {' '.join(command)}"
            )
    return obj


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def entry_arity(module: ir.Module, name: str) -> int | None:
    """The number of parameters of ``llvm.func @name`` if all are pointers and it returns
    nothing (the bare-pointer ABI the wrapper calls), else None."""
    for op in module.body.operations:
        op = op.operation
        if op.name != "llvm.func" or ir.StringAttr(op.attributes["sym_name"]).value != name:
            continue
        ftype = ir.TypeAttr(op.attributes["function_type"]).value  # an llvm.FunctionType
        types = [str(t) for t in ftype.inputs]
        if str(ftype.return_type) != "!llvm.void" or any(t != "!llvm.ptr" for t in types):
            return None
        return len(types)
    return None
