"""bf16 and f16 models reduce as PyTorch does: sums accumulate in f32, rounded once.

PyTorch computes reductions of half-precision tensors in f32 (``sum``, ``mean``,
``cumsum``, ``prod``, ``norm``, average pooling) and rounds the result once.
torch-mlir's lowering accumulates in the tensor's own type, so before
``kiln-widen-accumulators`` kiln's bf16 ``cumsum`` over 4096 values was 16x
further from the exact answer than eager's, average pooling 9x, an f16 ``sum``
4x.

The rule, per case: with ``ref`` the op in float64 on the same (rounded) inputs,
``max|kiln - ref| <= FACTOR * max|eager - ref|``: kiln's error is within FACTOR of
eager's own. FACTOR is 2.5, not 1: where torch-mlir splits an op that eager
computes in one f32 kernel (``norm`` = sqrt of a rounded sum, ``mean`` = a rounded
sum divided), kiln rounds twice, one extra half-ulp (``norm``: 2.3x in bf16).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import kiln

FACTOR = 2.5

# name: (function, input shapes)
CASES = {
    "sum": (lambda x: x.sum(-1), [(4, 4096)]),
    "sum_all": (lambda x: x.sum(), [(64, 64)]),
    "mean": (lambda x: x.mean(-1), [(4, 4096)]),
    "cumsum": (lambda x: x.cumsum(-1), [(4, 4096)]),
    "prod": (lambda x: (1 + x / 64).prod(-1), [(4, 512)]),
    "norm": (lambda x: x.norm(dim=-1), [(4, 4096)]),
    "rms_norm": (lambda x: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6), [(4, 4096)]),
    "avg_pool": (lambda x: F.avg_pool2d(x, 3, 1, 1), [(1, 8, 32, 32)]),
    "adaptive_avg_pool": (lambda x: F.adaptive_avg_pool2d(x, 1), [(1, 8, 64, 64)]),
    "softmax": (lambda x: x.softmax(-1), [(4, 4096)]),
    "layer_norm": (lambda x: F.layer_norm(x, (4096,)), [(4, 4096)]),
    "matmul": (lambda a, b: a @ b, [(32, 2048), (2048, 32)]),
}


class Fn(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bf16", "f16"])
@pytest.mark.parametrize("name", list(CASES))
def test_reduction_accumulates_like_eager(name, dtype):
    fn, shapes = CASES[name]
    generator = torch.Generator().manual_seed(0)
    inputs = [torch.randn(s, generator=generator).to(dtype) for s in shapes]
    ref = fn(*[x.double() for x in inputs])
    eager = fn(*inputs)
    out = kiln.compile(Fn(fn), *inputs, threads=1)(*inputs)
    assert out.dtype == eager.dtype and out.shape == eager.shape
    err_eager = (eager.double() - ref).abs().max().item()
    err_kiln = (out.double() - ref).abs().max().item()
    assert err_kiln <= FACTOR * err_eager, (
        f"{name} in {dtype}: kiln is {err_kiln:.3g} from the float64 answer, "
        f"eager {err_eager:.3g} (allowed {FACTOR}x)"
    )


class TinyDecoderBlock(torch.nn.Module):
    """RMSNorm, attention and a gated MLP: a LLaMA-style block users run in bf16."""

    def __init__(self, dim=256, heads=4):
        super().__init__()
        self.heads = heads
        self.qkv = torch.nn.Linear(dim, 3 * dim, bias=False)
        self.out = torch.nn.Linear(dim, dim, bias=False)
        self.gate_up = torch.nn.Linear(dim, 4 * dim, bias=False)
        self.down = torch.nn.Linear(2 * dim, dim, bias=False)
        self.norm1 = torch.nn.RMSNorm(dim)
        self.norm2 = torch.nn.RMSNorm(dim)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, t, 3, self.heads, -1).unbind(2)
        a = F.scaled_dot_product_attention(
            q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), is_causal=True
        )
        x = x + self.out(a.transpose(1, 2).reshape(b, t, d))
        gate, up = self.gate_up(self.norm2(x)).chunk(2, dim=-1)
        return x + self.down(F.silu(gate) * up)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bf16", "f16"])
def test_decoder_block_in_half_precision(dtype):
    torch.manual_seed(0)
    model = TinyDecoderBlock().eval()
    x = torch.randn(1, 64, 256)
    ref = model.double()(x.double())
    model = model.to(dtype)
    xh = x.to(dtype)
    with torch.no_grad():
        eager = model(xh)
        out = kiln.compile(model, xh, threads=1)(xh)
    err_eager = (eager.double() - ref).abs().max().item()
    err_kiln = (out.double() - ref).abs().max().item()
    assert out.dtype == dtype
    assert err_kiln <= FACTOR * err_eager, (err_kiln, err_eager)
