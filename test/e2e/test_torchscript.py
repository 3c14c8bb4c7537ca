"""TorchScript models compile (kiln/frontend/torchscript.py): ``torch.jit.script``,
``torch.jit.trace`` and ``torch.jit.load``ed models are converted by PyTorch's
TS2EPConverter and compiled; results are compared with the script run eagerly
(rtol 1e-5, atol 1e-5: small f32 models)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import kiln

RTOL = ATOL = 1e-5


class GatedConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.BatchNorm2d(8)
        self.head = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor, scale: float = 2.0) -> torch.Tensor:
        y = torch.relu(self.norm(self.conv(x)))
        if scale > 1.0:  # control flow TorchScript keeps
            y = y * scale
        return self.head(y.mean(dim=(2, 3)))


def _model_and_input():
    torch.manual_seed(0)
    model = GatedConv().eval()
    with torch.no_grad():
        model.norm.running_mean.uniform_(-0.5, 0.5)
        model.norm.running_var.uniform_(0.5, 2.0)
    return model, torch.randn(2, 3, 16, 16)


@pytest.mark.parametrize("make", ["script", "trace"])
def test_a_torchscript_module_matches_eager(make):
    model, x = _model_and_input()
    scripted = torch.jit.script(model) if make == "script" else torch.jit.trace(model, x)
    compiled = kiln.compile(scripted, x, threads=1)
    expected = scripted(x)
    torch.testing.assert_close(compiled(x), expected, rtol=RTOL, atol=ATOL)
    torch.testing.assert_close(compiled(x), expected, rtol=RTOL, atol=ATOL)  # second call


def test_a_saved_and_loaded_torchscript_file_compiles(tmp_path):
    model, x = _model_and_input()
    torch.jit.save(torch.jit.script(model), str(tmp_path / "model.pt"))
    loaded = torch.jit.load(str(tmp_path / "model.pt"))
    compiled = kiln.compile(loaded, x, threads=1)
    torch.testing.assert_close(compiled(x), model(x), rtol=RTOL, atol=ATOL)


def test_a_scripted_function_compiles():
    @torch.jit.script
    def softplus_gate(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.softplus(x) * torch.sigmoid(y)

    x, y = torch.randn(5, 7), torch.randn(5, 7)
    compiled = kiln.compile(softplus_gate, x, y, threads=1)
    torch.testing.assert_close(compiled(x, y), softplus_gate(x, y), rtol=RTOL, atol=ATOL)


def test_a_conversion_failure_names_the_converter(monkeypatch):
    from torch._export import converter

    def fail(self):
        raise RuntimeError("unsupported node prim::Foo")

    monkeypatch.setattr(converter.TS2EPConverter, "convert", fail)
    model, x = _model_and_input()
    with pytest.raises(
        kiln.UnsupportedOpsError,
        match=r"TorchScript model 'GatedConv'.*"
        r"TS2EPConverter\) failed: RuntimeError: unsupported node prim::Foo",
    ):
        kiln.compile(torch.jit.script(model), x, threads=1)
