"""The int8 workloads: a workload's model quantized with PyTorch's PT2E flow, once, and
saved, so every int8 peer runs the same quantized model.

PT2E as PyTorch documents it for x86 CPUs (torchao's ``prepare_pt2e`` / ``convert_pt2e``
with ``X86InductorQuantizer``'s default static config): per-channel symmetric int8
weights, per-tensor uint8 activations, calibrated on a few perturbed copies of the
workload's inputs. The quantized program is saved as ``benchmarks/.cache/<workload>.int8.pt2``
(``torch.export.save``); the torch-side int8 peers load it (kiln, Inductor), and
``onnx_export.export(..., "int8")`` exports the same program to a QDQ ONNX model for
ONNX Runtime and OpenVINO (the dynamo exporter writes QuantizeLinear /
DequantizeLinear pairs around the float Conv / Gemm / MatMul).
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from pathlib import Path

import torch

CACHE = Path(__file__).resolve().parent / ".cache"  # with the ONNX exports
CALIBRATION_BATCHES = 8


def calibration_inputs(inputs: tuple, count: int = CALIBRATION_BATCHES) -> list[tuple]:
    """``count`` copies of ``inputs`` with seeded noise on the float tensors (integer
    inputs, such as token ids and masks, are kept: noise would make them invalid)."""
    generator = torch.Generator().manual_seed(1)
    batches = []
    for _ in range(count):
        batch = tuple(
            x + 0.1 * x.std() * torch.randn(x.shape, generator=generator)
            if x.is_floating_point()
            else x
            for x in inputs
        )
        batches.append(batch)
    return batches


def quantize(model: torch.nn.Module, inputs: tuple) -> torch.export.ExportedProgram:
    """``model`` statically quantized by PT2E (X86InductorQuantizer's default config)."""
    import torchao.quantization.pt2e.quantize_pt2e as pt2e
    import torchao.quantization.pt2e.quantizer.x86_inductor_quantizer as x86

    exported = torch.export.export(model, inputs).module()
    # Computation nothing reads (BERT's pooler, when the model returns its hidden states)
    # makes partitions without an output, on which the quantizer's matchers fail.
    exported.graph.eliminate_dead_code()
    exported.recompile()
    _one_partition_per_call(exported)
    quantizer = x86.X86InductorQuantizer()
    quantizer.set_global(x86.get_default_x86_inductor_quantization_config())
    prepared = pt2e.prepare_pt2e(exported, quantizer)
    with torch.no_grad():
        for batch in calibration_inputs(inputs):
            prepared(*batch)
    converted = pt2e.convert_pt2e(prepared)
    return torch.export.export(converted, inputs)


def _one_partition_per_call(graph_module: torch.fx.GraphModule) -> None:
    """Gives each call of a module its own name in the ``nn_module_stack`` metadata that
    the quantizer partitions a non-strict export by. Otherwise a module called more than
    once (torchvision's ResNet blocks apply one ``self.relu`` three times) is one
    partition with several outputs, which X86InductorQuantizer's conv + add + relu
    matcher rejects ("Input partition has more than one output node"): ResNet-50 could
    not be quantized at all. torch.export already tells the calls apart in the stack's
    keys (``...relu@1``, ``...relu@2``); the names get the same suffix."""
    for node in graph_module.graph.nodes:
        stack = node.meta.get("nn_module_stack")
        if not stack:
            continue
        key, (name, kind) = list(stack.items())[-1]
        if "@" in key:
            stack[key] = (f"{name}@{key.rsplit('@', 1)[1]}", kind)


def quantized_path(workload: str) -> Path:
    return CACHE / f"{workload}.int8.pt2"


def quantized_program(workload: str, fresh: bool = False) -> torch.export.ExportedProgram:
    """The workload's PT2E-quantized program: loaded from ``benchmarks/.cache``, made and saved the
    first time or when ``fresh`` (quantizing is deterministic: the model and calibration
    are seeded; ``benchmarks.run`` quantizes afresh once per run, as kiln may have changed
    the workload)."""
    # torchao registers the quantized_decomposed ops the program calls (and torch.export.load
    # cannot deserialize it without them); it reports the CUDA kernels it cannot load.
    with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import torchao.quantization.pt2e.quantize_pt2e  # noqa: F401

    path = quantized_path(workload)
    if path.exists() and not fresh:
        return torch.export.load(str(path))
    from benchmarks.workloads import WORKLOADS

    model, inputs = WORKLOADS[workload].make()
    # torchao reports the C++ kernels it cannot load (CUDA ones) on stdout and warns.
    quiet = contextlib.redirect_stdout(sys.stderr)
    with warnings.catch_warnings(), quiet:
        warnings.simplefilter("ignore")
        program = quantize(model, inputs)
    CACHE.mkdir(exist_ok=True)
    partial = path.with_name(path.name.replace(".pt2", ".partial.pt2"))
    torch.export.save(program, str(partial))
    partial.replace(path)  # concurrent points never read half a file
    return program


def quantized_model(workload: str) -> tuple[torch.nn.Module, tuple]:
    """The quantized model as a module, and the workload's inputs."""
    from benchmarks.workloads import WORKLOADS

    _, inputs = WORKLOADS[workload].make()
    return quantized_program(workload).module(), inputs
