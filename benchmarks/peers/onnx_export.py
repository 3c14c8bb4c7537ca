"""Export a workload to ONNX for the ONNX-based peers, with its inputs and eager f32's
outputs (the reference every peer is checked against) as .npz files; at int8, the
workload's PT2E-quantized program (``benchmarks.quantize``) as a QDQ model, with the
quantized model's own eager outputs as a second reference."""

from __future__ import annotations

import contextlib
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

from benchmarks.workloads import WORKLOADS, eager_reference

CACHE = Path(__file__).resolve().parent.parent / ".cache"


def export(workload: str, fresh: bool = False, precision: str = "f32") -> tuple[Path, ...]:
    """Paths of ``<workload>.onnx``, ``.npz`` (inputs) and ``.ref.npz`` (eager f32's
    outputs), created if missing or if ``fresh``. At ``precision="int8"``:
    ``<workload>.int8.onnx`` (the quantized model), the same inputs and reference, and
    ``<workload>.int8.qref.npz`` (the quantized model's eager outputs)."""
    CACHE.mkdir(exist_ok=True)
    stem = workload if precision != "int8" else f"{workload}.int8"
    onnx_path, inputs_path = CACHE / f"{stem}.onnx", CACHE / f"{stem}.npz"
    paths = (onnx_path, inputs_path, CACHE / f"{stem}.ref.npz")
    if precision == "int8":
        paths += (CACHE / f"{stem}.qref.npz",)
    if not fresh and all(p.exists() for p in paths):
        return paths
    for path in paths:  # a failed export must not leave an older run's files behind
        path.unlink(missing_ok=True)
    model, inputs = WORKLOADS[workload].make()
    if precision == "int8":
        from benchmarks.quantize import quantized_program

        quantized = quantized_program(workload)
        _save_outputs(paths[3], eager_reference(quantized.module(), inputs))
        # The quantized program exports as it is (the dynamo exporter turns its
        # quantize/dequantize ops into QuantizeLinear/DequantizeLinear).
        _to_onnx(quantized, inputs, onnx_path)
    else:
        _to_onnx(model, inputs, onnx_path)
    np.savez(inputs_path, **{f"input{i}": t.numpy() for i, t in enumerate(inputs)})
    _save_outputs(paths[2], eager_reference(model, inputs))
    return paths


def _save_outputs(path: Path, outputs: list) -> None:
    np.savez(path, **{f"output{i}": out.numpy() for i, out in enumerate(outputs)})


def _to_onnx(model, inputs: tuple, onnx_path: Path) -> None:
    """``model`` (a module, or an ExportedProgram: the quantized ones) written to
    ``onnx_path``, its inputs named ``input0``, ``input1``, ..."""
    names = [f"input{i}" for i in range(len(inputs))]

    def dynamo():  # torch.export + onnxscript: QDQ pairs for quantized programs
        torch.onnx.export(
            model, inputs, str(onnx_path), input_names=names, opset_version=18, dynamo=True
        )

    # nn.TransformerEncoderLayer's inference fast path is one fused op that ONNX
    # cannot express; the exporter needs the plain attention ops.
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        # The dynamo exporter reports progress on stdout, where the harness writes its tables.
        quiet = contextlib.redirect_stdout(sys.stderr)
        with warnings.catch_warnings(), torch.no_grad(), quiet:
            warnings.simplefilter("ignore")
            if isinstance(model, torch.export.ExportedProgram):
                dynamo()
                return
            try:
                torch.onnx.export(
                    model, inputs, str(onnx_path), input_names=names, opset_version=17, dynamo=False
                )
            except Exception:  # noqa: BLE001 - e.g. nn.TransformerEncoderLayer in torch 2.13
                # The TorchScript exporter cannot trace some modules; the dynamo one can.
                dynamo()
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
