"""A model library's construct that stops torch.export is named in the library's own file
(issue 12, held-out sweep 2: Longformer's ``if is_global_attn:`` was reported only at the
user's call of the model)."""

from __future__ import annotations

import inspect

import pytest
import torch
from models.torchvision_cpu import import_torchvision
from torch import nn

import kiln
from kiln.errors import UnsupportedOpsError


class Hidden(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids, mask):
        return self.model(input_ids=ids, attention_mask=mask)[0]


def test_data_dependent_branch_in_a_library_names_its_line():
    import_torchvision()  # transformers imports torchvision: through the CPU shim first
    import transformers

    config = transformers.LongformerConfig(
        num_hidden_layers=1, hidden_size=32, num_attention_heads=2, intermediate_size=64,
        attention_window=8, vocab_size=100,
    )  # fmt: skip
    torch.manual_seed(0)
    model = Hidden(transformers.LongformerModel(config).eval())
    ids, mask = torch.randint(0, 100, (1, 16)), torch.ones(1, 16, dtype=torch.int64)
    with pytest.raises(UnsupportedOpsError) as caught:
        kiln.compile(model, ids, mask)
    (op,) = caught.value.ops
    assert op.location.startswith(__file__)  # the user's line stays the location
    assert "modeling_longformer.py:" in op.reason
    assert "`if is_global_attn:`" in op.reason


class OwnBranch(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x + 1
        return x - 1


def test_a_branch_in_user_code_names_no_library():
    with pytest.raises(UnsupportedOpsError) as caught:
        kiln.compile(OwnBranch(), torch.ones(3))
    (op,) = caught.value.ops
    assert op.location.startswith(__file__)
    assert " (in " not in op.reason


class RescalesOnce(nn.Module):
    """Rewrites its weight on the first call only, as RWKV's eval-mode rescaling does."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(3))
        self.rescaled = False

    def forward(self, x):
        if not self.rescaled:
            with torch.no_grad():
                self.weight.div_(2)
            self.rescaled = True
        return x * self.weight


def test_a_parameter_written_in_forward_is_named_with_its_line():
    with pytest.raises(UnsupportedOpsError) as caught:
        kiln.compile(RescalesOnce(), torch.ones(3))
    (op,) = caught.value.ops
    assert op.op == "in-place write to parameter 'weight'"
    lines, first = inspect.getsourcelines(RescalesOnce.forward)
    line = first + next(i for i, text in enumerate(lines) if "div_(2)" in text)
    assert op.location == f"{__file__}:{line}:0"  # the write itself
    assert "run the model once eagerly" in op.reason
