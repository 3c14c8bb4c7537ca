"""Mixture-of-experts layers end to end (issue 12, held-out sweep 2), beside test_moe_ops.py's
single ops: aten's own grouped matmul ``aten._grouped_mm`` (the bfloat16 path; compared with
an explicit loop, eager has no CPU kernel for these strides) and Hugging Face MoE decoders
(Mixtral, Qwen2-MoE: sort, histc, grouped_mm_fallback, the inverse permutation) against eager."""

from __future__ import annotations

import pytest
import torch
from models.torchvision_cpu import import_torchvision
from torch import nn

import kiln


class UnsortedTopk(nn.Module):
    """DeepSeek-V3's router picks groups and experts with ``topk(..., sorted=False)``."""

    def __init__(self, largest: bool):
        super().__init__()
        self.largest = largest

    def forward(self, x):
        return torch.topk(x, 3, dim=-1, largest=self.largest, sorted=False)


@pytest.mark.parametrize("largest", [True, False])
def test_unsorted_topk_returns_the_k_extremes(largest):
    x = torch.randn(4, 10, generator=torch.Generator().manual_seed(0))
    values, indices = kiln.compile(UnsortedTopk(largest), x)(x)
    # The order of the k results is unspecified: compared as sets, and with their indices.
    expected = torch.topk(x, 3, dim=-1, largest=largest).values
    assert torch.equal(values.sort(-1, descending=largest).values, expected)
    assert torch.equal(torch.gather(x, -1, indices), values)


class GroupedMatmul(nn.Module):
    def __init__(self, experts: int = 3, k: int = 16, n: int = 32):
        super().__init__()
        # bfloat16: the only dtype aten's own shape function (and so torch.export) accepts.
        self.weight = nn.Parameter(torch.randn(experts, k, n, dtype=torch.bfloat16))

    def forward(self, x, offs):
        return torch._grouped_mm(x, self.weight, offs=offs)


def _grouped_reference(x, weight, offs):
    out = torch.zeros(x.shape[0], weight.shape[2], dtype=torch.float64)
    start = 0
    for expert, end in enumerate(offs.tolist()):
        out[start:end] = x[start:end].double() @ weight[expert].double()
        start = end
    return out


def test_grouped_mm_multiplies_each_group_by_its_expert():
    torch.manual_seed(0)
    model = GroupedMatmul()
    x = torch.randn(10, 16, dtype=torch.bfloat16)
    compiled = kiln.compile(model, x, torch.tensor([3, 3, 7], dtype=torch.int32))
    # Groups of 3, 0 and 4 rows, the last 3 rows in none; then other boundaries, same shapes.
    for offs in ([3, 3, 7], [0, 10, 10], [1, 2, 9]):
        offs = torch.tensor(offs, dtype=torch.int32)
        expected = _grouped_reference(x, model.weight.detach(), offs)
        got = compiled(x, offs)
        assert got.dtype == torch.bfloat16
        # bfloat16 output: one rounding of an exactly accumulated sum (8 significant bits).
        torch.testing.assert_close(got.double(), expected, rtol=2**-7, atol=1e-2)


@pytest.mark.parametrize("config_name", ["MixtralConfig", "Qwen2MoeConfig"])
def test_transformers_moe_decoder_matches_eager(config_name):
    import_torchvision()  # transformers imports torchvision: through the CPU shim first
    import transformers

    config = getattr(transformers, config_name)(
        vocab_size=1000,
        hidden_size=64,
        intermediate_size=128,
        moe_intermediate_size=32,
        shared_expert_intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=4,
        num_key_value_heads=2,
        num_local_experts=4,
        num_experts=4,
        num_experts_per_tok=2,
    )
    torch.manual_seed(0)
    model = transformers.AutoModel.from_config(config).eval()
    ids = torch.randint(0, 1000, (1, 24), generator=torch.Generator().manual_seed(0))

    class Hidden(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, ids):
            return self.model(input_ids=ids, use_cache=False)[0]

    with torch.no_grad():
        expected = Hidden()(ids)
    got = kiln.compile(Hidden(), ids)(ids)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
