"""Export a workload to ONNX for the ONNX-based peers, with its inputs and eager f32's
outputs (the reference every peer is checked against) as .npz files."""

from __future__ import annotations

import contextlib
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

from benchmarks.workloads import WORKLOADS, eager_reference

CACHE = Path(__file__).resolve().parent.parent / ".cache"


def export(workload: str, fresh: bool = False) -> tuple[Path, Path, Path]:
    """Paths of ``<workload>.onnx``, ``.npz`` (inputs) and ``.ref.npz`` (eager f32's
    outputs), created if missing or if ``fresh``."""
    CACHE.mkdir(exist_ok=True)
    onnx_path, inputs_path = CACHE / f"{workload}.onnx", CACHE / f"{workload}.npz"
    reference_path = CACHE / f"{workload}.ref.npz"
    paths = (onnx_path, inputs_path, reference_path)
    if not fresh and all(p.exists() for p in paths):
        return paths
    for path in paths:  # a failed export must not leave an older run's files behind
        path.unlink(missing_ok=True)
    model, inputs = WORKLOADS[workload].make()
    names = [f"input{i}" for i in range(len(inputs))]
    # nn.TransformerEncoderLayer's inference fast path is one fused op that ONNX
    # cannot express; the exporter needs the plain attention ops.
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        # The dynamo exporter reports progress on stdout, where the harness writes its tables.
        quiet = contextlib.redirect_stdout(sys.stderr)
        with warnings.catch_warnings(), torch.no_grad(), quiet:
            warnings.simplefilter("ignore")
            try:
                torch.onnx.export(
                    model, inputs, str(onnx_path), input_names=names, opset_version=17, dynamo=False
                )
            except Exception:  # noqa: BLE001 - e.g. nn.TransformerEncoderLayer in torch 2.13
                # The TorchScript exporter cannot trace some modules; the dynamo
                # exporter (torch.export + onnxscript) can.
                torch.onnx.export(
                    model, inputs, str(onnx_path), input_names=names, opset_version=18, dynamo=True
                )
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    np.savez(inputs_path, **{n: t.numpy() for n, t in zip(names, inputs, strict=True)})
    outputs = eager_reference(model, inputs)
    np.savez(reference_path, **{f"output{i}": out.numpy() for i, out in enumerate(outputs)})
    return paths
