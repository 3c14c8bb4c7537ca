"""kiln's cuda target next to PyTorch on one NVIDIA GPU (issue 5's benchmark).

    python -m benchmarks.gpu                         # 4096^3 f16 GEMM + the zoo, on GPU 0
    python -m benchmarks.gpu --gemm 8192 --skip-zoo
    python -m benchmarks.gpu --compile-only --chip sm_90a  # no GPU: compile only, report kernels

GEMM: ``a @ b`` on f16 tensors (PyTorch's f16 matmul: f32 sums, f16 result)
compiled by kiln against ``torch.matmul`` (cuBLAS). Zoo: each model of
``kiln.zoo`` in f32 against eager CUDA PyTorch, and the MLP, encoder and
GPT-2 block in f16 (where tensor cores apply). Times are medians of CUDA-event
timings over repeated calls on torch's current stream, after warm-up; both
sides get the same inputs, and kiln's result is checked against PyTorch's
(GEMM: relative error of the f16 result; zoo: the zoo's tolerances).

Reported per workload: kiln ms, torch ms, kiln/torch (< 1: kiln is faster),
TFLOP/s for the GEMM, kiln's compile time, kernels per call. Needs a CUDA
build of torch and a visible GPU; without them it says why and exits with
status 2, unless ``--compile-only`` (then it compiles for ``--chip`` and
reports compile times and kernel counts).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
from kiln.lowering.cuda.pipeline import CudaTarget, compile_cuda

import kiln
from kiln.frontend.torch_import import import_torch_module
from kiln.zoo import ZOO


class MatMul(torch.nn.Module):
    def forward(self, a, b):
        return a @ b


def gemm_case(n: int) -> tuple[torch.nn.Module, tuple, float]:
    """The GEMM model, its f16 inputs (CPU) and its FLOP count."""
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=gen).half()
    b = torch.randn(n, n, generator=gen).half()
    return MatMul(), (a, b), 2.0 * n**3


def cuda_ready() -> str | None:
    """None when a CUDA GPU is usable from torch and kiln, else why not."""
    if not torch.cuda.is_available():
        build = torch.version.cuda or "none (a CPU-only build)"
        return f"torch sees no CUDA GPU (torch {torch.__version__}, CUDA runtime: {build})"
    from kiln.runtime import cuda_driver as cuda

    if not cuda.available():
        return "kiln finds no CUDA driver (libcuda.so.1)"
    return None


def time_cuda(fn, args, warmup: int = 5, reps: int = 20) -> float:
    """Median milliseconds of ``fn(*args)`` with CUDA events, after ``warmup`` calls."""
    for _ in range(warmup):
        fn(*args)
    torch.cuda.synchronize()
    samples = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn(*args)
        end.record()
        end.synchronize()
        samples.append(start.elapsed_time(end))
    return statistics.median(samples)


def compile_only(name: str, model, inputs, chip: str) -> dict:
    start = time.perf_counter()
    module = import_torch_module(model, inputs)
    compiled = compile_cuda(module, CudaTarget(chip=chip))
    seconds = time.perf_counter() - start
    kernels = sum(len(plan.steps) for plan in compiled.plans.values())
    ptx = compiled.binary.ptx
    cores = "wgmma" if "wgmma.mma_async" in ptx else "mma.sync" if "mma.sync" in ptx else "no"
    return {"workload": name, "compile_s": seconds, "steps": kernels, "tensor_cores": cores}


def run_point(name: str, model, inputs, chip: str, flops: float | None, check) -> dict:
    start = time.perf_counter()
    program = kiln.compile(model, *inputs, target="cuda", cuda_options={"chip": chip})
    compile_s = time.perf_counter() - start
    steps = sum(len(plan.steps) for plan in program.plans.values())
    model = model.cuda().eval()
    gpu_inputs = tuple(x.cuda() for x in inputs)
    with torch.no_grad():
        expected = model(*gpu_inputs)
        got = program(*gpu_inputs)
        torch.cuda.synchronize()
        error = check(got, expected)
        kiln_ms = time_cuda(program, gpu_inputs)
        torch_ms = time_cuda(model, gpu_inputs)
    point = {
        "workload": name,
        "kiln_ms": kiln_ms,
        "torch_ms": torch_ms,
        "ratio": kiln_ms / torch_ms,
        "compile_s": compile_s,
        "steps": steps,
        "error": error,
    }
    if flops:
        point["kiln_tflops"] = flops / kiln_ms / 1e9
        point["torch_tflops"] = flops / torch_ms / 1e9
    return point


def gemm_error(got, expected) -> str:
    rel = ((got.float() - expected.float()).norm() / expected.float().norm()).item()
    return f"rel {rel:.1e}" + ("" if rel < 1e-2 else " TOO LARGE")


HALF_ZOO = ("mlp", "encoder", "gpt2")
HALF_TOLERANCE = 2e-2  # f16 results of sums in another order: a few f16 ulps of the largest values


def half_check(got, expected) -> str:
    scale = expected.float().abs().max().item() or 1.0
    err = (got.float() - expected.float()).abs().max().item() / scale
    return f"max err {err:.1e} of max" + ("" if err < HALF_TOLERANCE else " TOO LARGE")


def zoo_check(entry):
    def check(got, expected) -> str:
        try:
            torch.testing.assert_close(got, expected, rtol=entry.rtol, atol=entry.atol)
        except AssertionError as err:
            return "MISMATCH: " + str(err).splitlines()[0]
        return "ok"

    return check


def table(points: list[dict]) -> str:
    lines = [
        "| workload | kiln ms | torch ms | kiln / torch | kiln TFLOP/s | torch TFLOP/s "
        "| compile s | launches | check |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for p in points:
        tf = [f"{p[k]:.1f}" if k in p else "—" for k in ("kiln_tflops", "torch_tflops")]
        lines.append(
            f"| {p['workload']} | {p['kiln_ms']:.3f} | {p['torch_ms']:.3f} | {p['ratio']:.2f} "
            f"| {tf[0]} | {tf[1]} | {p['compile_s']:.1f} | {p['steps']} | {p['error']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gemm", type=int, default=4096, help="GEMM size n (n x n x n)")
    parser.add_argument("--skip-zoo", action="store_true")
    parser.add_argument("--chip", help="sm_XX to compile for (default: the GPU's)")
    parser.add_argument("--compile-only", action="store_true", help="no GPU needed")
    args = parser.parse_args(argv)
    cases = [(f"gemm{args.gemm} f16", *gemm_case(args.gemm), gemm_error)]
    if not args.skip_zoo:
        for name in sorted(ZOO):
            model, inputs = ZOO[name].make()
            cases.append((name, model, inputs, None, zoo_check(ZOO[name])))
        for name in HALF_ZOO:  # where tensor cores apply: the transformer blocks and the MLP
            model, inputs = ZOO[name].make()
            half = tuple(x.half() if x.is_floating_point() else x for x in inputs)
            cases.append((f"{name} f16", model.half(), half, None, half_check))
    if args.compile_only:
        chip = args.chip or "sm_90a"
        for name, model, inputs, _, _ in cases:
            p = compile_only(name, model, inputs, chip)
            print(
                f"{p['workload']}: {chip}, compiled in {p['compile_s']:.1f} s, "
                f"{p['steps']} launches/copies, tensor cores: {p['tensor_cores']}"
            )
        return 0
    reason = cuda_ready()
    if reason:
        print(f"benchmarks.gpu: no GPU to run on: {reason}", file=sys.stderr)
        return 2
    from kiln.runtime.cuda_driver import device_chip

    chip = args.chip or device_chip(0)
    print(f"# {torch.cuda.get_device_name(0)} ({chip}), torch {torch.__version__}")
    points = [run_point(name, m, x, chip, f, check) for name, m, x, f, check in cases]
    print(table(points))
    return 0


if __name__ == "__main__":
    sys.exit(main())
