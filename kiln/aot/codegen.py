"""LLVM-dialect module -> relocatable objects, with LLVM 22's opt and llc, one per core at once.

Like the JIT (``kiln.runtime.jit``): large constants (weights) leave the module
(``externalize_constants``; they are linked in as raw data, which costs
nothing to compile), and a large module's loop nests are dealt out to one
module per core (``split_module``), each compiled by its own ``opt | llc``
process. The modules are translated to LLVM IR text by the wheel's LLVM 24,
whose float literals LLVM 22 cannot parse until respelled
(``llvm_literals``). Code is position independent (a shared library's).

Pre: the cpu pipeline's ``llvm`` stage output.
Post: the objects together define every function of the module; the
externalized constants are undefined symbols, returned with their data.
"""

from __future__ import annotations

import os
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


def emit_objects(
    module: ir.Module, target: CodegenTarget, opt_level: int, work_dir: Path
) -> tuple[list[Path], dict[str, np.ndarray]]:
    """Compiles ``module`` into objects in ``work_dir``; returns them and the constants' data."""
    constants = externalize_constants(module)
    cores = _cores()
    parts = [part for part, _ in split_module(module, cores)] if cores > 1 else []
    sources = []
    for index, part in enumerate([module, *parts]):
        path = work_dir / f"part{index}.ll"
        path.write_text(fix_float_literals(llvm.translate_module_to_llvmir(part.operation)))
        sources.append(path)
    with ThreadPoolExecutor(max_workers=cores) as pool:
        objects = list(pool.map(lambda src: _compile(src, target, opt_level), sources))
    return objects, constants


def _compile(source: Path, target: CodegenTarget, opt_level: int) -> Path:
    """``opt -O<n>`` then ``llc -O<n>`` on one LLVM IR file; LibraryError with the command."""
    bitcode, obj = source.with_suffix(".bc"), source.with_suffix(".o")
    flags = [f"-mtriple={target.triple}", f"-mcpu={target.cpu}"]
    if target.attributes:
        flags.append(f"-mattr={target.attributes}")
    commands = [
        [llvm_tool("opt"), f"-O{opt_level}", *flags, str(source), "-o", str(bitcode)],
        [
            llvm_tool("llc"),
            f"-O{opt_level}",
            *flags,
            "-relocation-model=pic",
            "-filetype=obj",
            str(bitcode),
            "-o",
            str(obj),
        ],
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
