"""The model zoo through the cuda pipeline down to cubin and launch plans (no GPU to run them).

Every model compiles to kernels and copies only: padded convolutions'
``tensor.pad`` becomes an elementwise kernel (``kiln-pad-to-generic``), whose
numerics are checked here through the CPU pipeline.
"""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as F
from kiln.lowering.cpu.pipeline import cpu_pipeline
from kiln.lowering.cuda.gpu_launch_plan import Copy, Launch
from kiln.lowering.cuda.pipeline import CudaTarget, compile_cuda

import kiln
from kiln.frontend.torch_import import import_torch_module
from kiln.pipeline import Stage
from kiln.targets import host_target
from kiln.zoo import ZOO


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_model_compiles_for_cuda(name):
    model, inputs = ZOO[name].make()
    module = import_torch_module(model, inputs)
    compiled = compile_cuda(module, CudaTarget(chip="sm_80"))
    (plan,) = compiled.plans.values()
    assert plan.num_outputs >= 1
    entries = dict(
        (n, p.count(".param"))
        for n, p in re.findall(r"\.visible \.entry (\w+)\(\n(.*?)\n\)", compiled.binary.ptx, re.S)
    )
    launches = [step for step in plan.steps if isinstance(step, Launch)]
    assert launches and all(isinstance(s, Launch | Copy) for s in plan.steps)
    for launch in launches:
        assert entries[launch.kernel] == len(launch.args)
        assert launch.block[0] * launch.block[1] * launch.block[2] <= 1024
    assert compiled.binary.cubin is None or compiled.binary.cubin[:4] == b"\x7fELF"


class _Pad(torch.nn.Module):
    def forward(self, x):
        return F.pad(x, (1, 2, 0, 3), value=0.25) * 2.0


@pytest.mark.parametrize("name", ["pad", "cnn"])
def test_pads_as_generics_compute_what_the_pads_did(name):
    """The cuda graph stage's pad rewrite, run in the CPU pipeline, against PyTorch eager."""
    if name == "pad":
        model, inputs = _Pad(), (torch.randn(2, 3, 5, 7),)
    else:
        model, inputs = ZOO[name].make()
    base = cpu_pipeline(host_target(1))
    graph = base.stage("graph")
    pipeline = base.replace_stage("graph", Stage("graph", ("kiln-pad-to-generic", *graph.passes)))
    compiled = kiln.compile(model, *inputs, pipeline=pipeline)
    with torch.no_grad():
        expected = model(*inputs)
    tolerance = 0.0 if name == "pad" else 1e-4  # the pad alone is exact
    torch.testing.assert_close(compiled(*inputs), expected, rtol=tolerance, atol=tolerance)


class _HalfMLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(256, 512)
        self.fc2 = torch.nn.Linear(512, 128)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
def test_torch_half_matmuls_run_on_tensor_cores(chip):
    """PyTorch's f16 matmul (f16 x f16 -> f32, then truncated) reaches mma.sync with f32 sums."""
    model = _HalfMLP().half()
    module = import_torch_module(model, (torch.randn(64, 256, dtype=torch.float16),))
    compiled = compile_cuda(module, CudaTarget(chip=chip))
    ptx = compiled.binary.ptx
    mma_kernels = [
        name
        for name, body in re.findall(r"\.visible \.entry (\w+)\((.*?)\n\}", ptx, re.S)
        if "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32" in body
    ]
    assert len(mma_kernels) == 2  # one per Linear
    assert "ldmatrix.sync.aligned.m8n8.x4.shared.b16" in ptx
    assert compiled.binary.cubin is None or compiled.binary.cubin[:4] == b"\x7fELF"


def test_torch_bfloat16_matmuls_run_on_tensor_cores():
    """bf16 reaches mma.sync on sm_80 (kiln-gpu-mma-sync puns it through the f16 conversion)."""
    model = _HalfMLP().to(torch.bfloat16)
    module = import_torch_module(model, (torch.randn(64, 256, dtype=torch.bfloat16),))
    compiled = compile_cuda(module, CudaTarget(chip="sm_80"))
    ptx = compiled.binary.ptx
    assert ptx.count("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32") > 0
    assert "f16.f16" not in ptx.replace("bf16.bf16", "")  # no mma multiplies the bits as f16
    assert compiled.binary.cubin is None or compiled.binary.cubin[:4] == b"\x7fELF"


def test_unextended_half_matmuls_compute_what_pytorch_does(tmp_path):
    """The cuda graph stage's kiln-fold-matmul-extensions, run in the CPU pipeline, against eager."""
    torch.manual_seed(0)
    model = _HalfMLP().half()
    inputs = (torch.randn(64, 256, dtype=torch.float16),)
    base = cpu_pipeline(host_target(1))
    graph = base.stage("graph")
    fold = ("kiln-fold-matmul-extensions", "canonicalize")
    pipeline = base.replace_stage("graph", Stage("graph", (*fold, *graph.passes)))
    compiled = kiln.compile(model, *inputs, pipeline=pipeline, dump_dir=tmp_path)
    graph_ir = next(tmp_path.glob("*graph.mlir")).read_text()
    assert "tensor<64x256xf16>, tensor<256x512xf16>) outs" in graph_ir  # the fold happened
    with torch.no_grad():
        expected = model(*inputs)
    # f16 outputs of sums over 256 and 512 products: a few f16 ulps apart from eager's order.
    torch.testing.assert_close(compiled(*inputs), expected, rtol=2e-3, atol=2e-3)


class _StridedConvs(torch.nn.Module):
    """ResNet's convolution kinds: a 7x7 stride-2 stem, a 3x3, a 1x1 stride-2 downsample."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 16, 7, stride=2, padding=3)
        self.conv = torch.nn.Conv2d(16, 16, 3, padding=1)
        self.down = torch.nn.Conv2d(16, 32, 1, stride=2)

    def forward(self, x):
        return self.down(torch.relu(self.conv(torch.relu(self.stem(x)))))


@pytest.mark.parametrize("name", ["gpt2", "encoder", "cnn", "strided_convs"])
def test_cuda_graph_rewrites_compute_what_pytorch_does(name):
    """The cuda graph stage's rewrites (convolutions as im2col gathers and matmuls, unit dims
    dropped, matmul-shaped generics made named matmuls), run in the CPU pipeline, against eager
    at the zoo's tolerances."""
    if name == "strided_convs":
        torch.manual_seed(0)
        model, inputs, rtol, atol = _StridedConvs().eval(), (torch.randn(2, 3, 32, 32),), 1e-4, 1e-4
    else:
        model, inputs = ZOO[name].make()
        rtol, atol = ZOO[name].rtol, ZOO[name].atol
    base = cpu_pipeline(host_target(1))
    graph = base.stage("graph")
    rewrite = (
        "kiln-conv-to-img2col",
        "kiln-gather-to-extract",
        "func.func(linalg-fold-unit-extent-dims)",
        "kiln-specialize-contractions",
        "canonicalize",
    )
    pipeline = base.replace_stage("graph", Stage("graph", (*rewrite, *graph.passes)))
    compiled = kiln.compile(model, *inputs, pipeline=pipeline)
    with torch.no_grad():
        expected = model(*inputs)
    torch.testing.assert_close(compiled(*inputs), expected, rtol=rtol, atol=atol)


def test_half_gpt2_block_runs_its_linears_on_wgmma():
    """sm_90a: the GPT-2 block's four Linear layers (f16, 256 tokens) are TMA + wgmma kernels."""
    model, inputs = ZOO["gpt2"].make()
    model, inputs = model.half(), tuple(x.half() for x in inputs)
    compiled = compile_cuda(import_torch_module(model, inputs), CudaTarget(chip="sm_90a"))
    bodies = re.findall(r"\.visible \.entry (\w+)\((.*?)\n\}", compiled.binary.ptx, re.S)
    wgmma = [name for name, body in bodies if "wgmma.mma_async" in body]
    assert len(wgmma) == 4
    assert compiled.binary.cubin is None or compiled.binary.cubin[:4] == b"\x7fELF"
