"""Time an ONNX model with ONNX Runtime, OpenVINO or IREE; runs in the peers' virtualenv
(no torch, no kiln), from the repository root:

    .venv-peers/bin/python -m benchmarks.peers.onnx_peers --peer openvino \
        --model m.onnx --inputs m.npz --reference m.ref.npz --threads 2 [--quick]

Prints one JSON line: latency_ms (median), compile_s (session creation + first
call), max_rel_error against the eager f32 reference outputs, and what the runtime
reports about its own settings (``settings``), so a run shows that OpenVINO's f32 is
really f32.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from benchmarks.timing import FULL, QUICK, error_summary, max_rel_error, time_calls


def run_ort(model: str, feeds: dict, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    return (lambda: session.run(None, feeds)), {"ort": ort.__version__}


def openvino_runner(precision: str):
    """An OpenVINO runner at ``precision``: it defaults to bf16 on CPUs with AVX512-BF16,
    so f32 must be asked for; one stream, ``threads`` threads, the latency hint."""

    def run(model: str, feeds: dict, threads: int):
        import openvino as ov

        core = ov.Core()
        config = {
            "INFERENCE_PRECISION_HINT": precision,
            "INFERENCE_NUM_THREADS": threads,
            "PERFORMANCE_HINT": "LATENCY",
            "NUM_STREAMS": 1,
        }
        compiled = core.compile_model(model, "CPU", config)
        wanted = {"f32": ov.Type.f32, "bf16": ov.Type.bf16}[precision]
        got = compiled.get_property("INFERENCE_PRECISION_HINT")
        if got != wanted:  # a silent bf16 "f32" would be compared with f32 peers
            raise RuntimeError(f"OpenVINO compiled for {got}, asked for {precision}")
        request = compiled.create_infer_request()
        outputs = len(compiled.outputs)

        def call():
            request.infer(feeds)
            return [request.get_output_tensor(i).data for i in range(outputs)]

        settings = {key: str(compiled.get_property(key)) for key in config}
        return call, {"openvino": ov.__version__, **settings}

    return run


def run_iree(model: str, feeds: dict, threads: int):
    import iree.compiler as compiler
    import iree.runtime as rt

    with tempfile.TemporaryDirectory() as tmp:
        imported = os.path.join(tmp, "model.mlir")
        importer = os.path.join(os.path.dirname(sys.executable), "iree-import-onnx")
        subprocess.run([importer, model, "-o", imported], check=True, capture_output=True)
        vmfb = compiler.compile_file(
            imported,
            target_backends=["llvm-cpu"],
            extra_args=[
                "--iree-llvmcpu-target-cpu=host",
                "--iree-opt-level=O3",
                # The default 32 KiB check rejects BERT's attention ("exceeded stack
                # allocation limit ... Got 73920 bytes"); it is a check, not a tuning knob.
                "--iree-llvmcpu-stack-allocation-limit=1048576",
            ],
        )
    rt.flags.parse_flags(f"--task_topology_max_group_count={threads}")
    ctx = rt.SystemContext(config=rt.Config("local-task"))
    ctx.add_vm_module(rt.VmModule.copy_buffer(ctx.instance, vmfb))
    fn = ctx.modules.module["main_graph"]
    args = [np.ascontiguousarray(v) for v in feeds.values()]

    def call():
        out = fn(*args)
        return [o.to_host() for o in (out if isinstance(out, (list, tuple)) else [out])]

    return call, {}


RUNNERS = {
    "ort": run_ort,
    "openvino": openvino_runner("f32"),
    "openvino-bf16": openvino_runner("bf16"),
    "iree": run_iree,
    # On a QDQ model: ORT fuses the pairs into QLinearConv/MatMulInteger kernels, and
    # OpenVINO runs the quantized ops in u8/i8 (its low-precision transformations), the
    # rest at the f32 hint (its default here would be bf16: another precision's error).
    "ort-int8": run_ort,
    "openvino-int8": openvino_runner("f32"),
}


def measure(peer: str, model: str, feeds: dict, references: dict, threads: int, repeats) -> dict:
    """Compile (timed, up to the first call's end), check against each of ``references``
    (error name -> outputs), time."""
    start = time.perf_counter()
    call, settings = RUNNERS[peer](model, feeds, threads)
    outputs = [np.asarray(o) for o in call()]
    compile_s = time.perf_counter() - start
    errors = {key: max_rel_error(outputs, expected) for key, expected in references.items()}
    return {
        "latency_ms": time_calls(call, repeats),
        "compile_s": compile_s,
        **errors,
        "settings": settings,
    }


def load_outputs(path: str) -> list:
    saved = np.load(path)
    return [saved[f"output{i}"] for i in range(len(saved.files))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer", choices=list(RUNNERS), required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--inputs", required=True)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--quantized-reference", help="an int8 model's own eager outputs")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    feeds = dict(np.load(args.inputs))
    references = {"max_rel_error": load_outputs(args.reference)}
    if args.quantized_reference:
        references["max_rel_error_quantized"] = load_outputs(args.quantized_reference)
    repeats = QUICK if args.quick else FULL
    try:
        result = measure(args.peer, args.model, feeds, references, args.threads, repeats)
    except Exception as err:  # noqa: BLE001 - reported as this point's failure, not a crash
        print(json.dumps({"error": error_summary(err)}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
