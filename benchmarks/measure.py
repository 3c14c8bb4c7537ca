"""Measure one (peer, workload, threads) point of a PyTorch-side peer in this process;
print one JSON line.

    python -m benchmarks.measure --peer kiln --workload resnet18 --threads 2 [--quick]
    python -m benchmarks.measure --peer kiln --workload gpt2 --threads 2 --precision bf16
    python -m benchmarks.measure --peer kiln-int8 --workload resnet18 --threads 2

Each point runs in its own process, so thread settings and JIT state never leak
between peers. The ONNX peers (ONNX Runtime, OpenVINO, IREE) run in the peers'
virtualenv (``benchmarks.peers.onnx_peers``). Every peer's output is compared with
eager PyTorch's f32 output (``max_rel_error``). The int8 peers run the workload's
PT2E-quantized model (``benchmarks.quantize``), and are also compared with that model's
own eager answer (``max_rel_error_quantized``). On failure the JSON line is
``{"error": "..."}`` and the exit status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

from benchmarks.timing import FULL, QUICK, Repeats, error_summary, max_rel_error, time_calls


def _kiln(precision: str | None):
    def build(model, inputs, threads):
        import kiln

        options = {"precision": precision} if precision else {}
        compiled = kiln.compile(model, *inputs, threads=threads, quiet=True, **options)
        return lambda: compiled(*inputs)

    return build


def _eager(model, inputs, threads):
    return lambda: model(*inputs)


def _eager_bf16(model, inputs, threads):
    import torch

    def run():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return model(*inputs)

    return run


def _torch_compile(model, inputs, threads):
    import torch

    compiled = torch.compile(model)
    return lambda: compiled(*inputs)


def _inductor_frozen(model, inputs, threads):
    """Inductor as PyTorch's CPU inference guide recommends: weights frozen into the graph
    (constant-folded, pre-packed), max-autotune; compiled on the first call, under no_grad."""
    import torch
    import torch._inductor.config as inductor_config

    inductor_config.freezing = True
    compiled = torch.compile(model, mode="max-autotune")
    return lambda: compiled(*inputs)


BUILDERS = {
    "kiln": _kiln(None),
    "kiln-bf16": _kiln("bf16"),
    "eager": _eager,
    "eager-bf16": _eager_bf16,
    "torch.compile": _torch_compile,
    "inductor-frozen": _inductor_frozen,
    # int8: the same builders on the quantized model (kiln picks int8 contractions from
    # the quantize/dequantize pairs; Inductor's x86 int8 lowering needs freezing).
    "kiln-int8": _kiln(None),
    "inductor-int8": _inductor_frozen,
}


def measure(peer: str, workload: str, threads: int, repeats: Repeats = FULL) -> dict:
    """Compile ``workload`` with ``peer`` (timed up to the end of the first call, where
    torch.compile compiles), check its output against eager f32 (and an int8 peer's
    against the quantized model's eager answer too), and time it."""
    import torch

    from benchmarks.peers import PEERS
    from benchmarks.workloads import WORKLOADS, eager_reference, flat_outputs

    torch.set_num_threads(threads)
    model, inputs = WORKLOADS[workload].make()
    references = {"max_rel_error": eager_reference(model, inputs)}
    if PEERS[peer].precision == "int8":
        from benchmarks.quantize import quantized_model

        model, inputs = quantized_model(workload)
        references["max_rel_error_quantized"] = eager_reference(model, inputs)
    with torch.no_grad():
        start = time.perf_counter()
        run = BUILDERS[peer](model, inputs, threads)
        outputs = flat_outputs(run())
        compile_s = time.perf_counter() - start
        latency = time_calls(run, repeats)
    outputs = [o.detach().float().numpy() for o in outputs]
    errors = {
        key: max_rel_error(outputs, [r.numpy() for r in reference])
        for key, reference in references.items()
    }
    return {"latency_ms": latency, "compile_s": compile_s, **errors}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer", choices=list(BUILDERS), required=True)
    parser.add_argument("--workload", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--precision", default="f32", choices=("f32", "bf16"), help="kiln's: --peer kiln-bf16"
    )
    args = parser.parse_args()
    if args.precision == "bf16":
        if args.peer != "kiln":
            parser.error(f"--precision bf16 is a kiln option, not {args.peer}'s")
        args.peer = "kiln-bf16"
    warnings.filterwarnings("ignore")
    os.environ.setdefault("KILN_NUM_THREADS", str(args.threads))
    repeats = QUICK if args.quick else FULL
    try:
        result = measure(args.peer, args.workload, args.threads, repeats)
    except Exception as err:  # noqa: BLE001 - reported as this point's failure, not a crash
        print(json.dumps({"error": error_summary(err)}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
