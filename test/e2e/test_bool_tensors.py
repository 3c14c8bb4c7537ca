"""Boolean tensors (i1) are stored one byte per element: kiln must not read them as packed vector bits."""

import torch

import kiln


class MaskedSelect(torch.nn.Module):
    def forward(self, x, mask):
        return torch.where(mask, x, -1.0)


class ConstantCausalMask(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mask", torch.tril(torch.ones(40, 40, dtype=torch.bool)))

    def forward(self, x):
        return x.masked_fill(~self.mask, float("-inf")).softmax(-1)


def test_bool_input_mask():
    torch.manual_seed(0)
    x, mask = torch.randn(4, 40), torch.rand(4, 40) > 0.5
    compiled = kiln.compile(MaskedSelect(), x, mask, threads=1)
    torch.testing.assert_close(compiled(x, mask), MaskedSelect()(x, mask), rtol=0, atol=0)


def test_bool_constant_mask():
    torch.manual_seed(0)
    model, x = ConstantCausalMask().eval(), torch.randn(3, 40, 40)
    compiled = kiln.compile(model, x, threads=2)
    torch.testing.assert_close(compiled(x), model(x), rtol=1e-5, atol=1e-6)
