"""kiln's trace records the same node stack traces as torch's own capture, faster
(kiln/frontend/stack_traces.py; test_errors.py checks the lines errors report), and
its BatchNorm decomposition traces no op the program does not keep beyond one
``empty`` (issue 12, compile time)."""

from __future__ import annotations

import collections

import pytest
import torch
import torch.fx.proxy as fx_proxy
import torch.nn as nn
import torch.nn.functional as F

from kiln.frontend.decompositions import decomposition_table
from kiln.frontend.export import as_module, decomposed_program
from kiln.frontend.stack_traces import lazy_line_stack_traces


def _scaled(x):
    return x * 2.0  # a helper frame between forward and the op


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.BatchNorm2d(8)

    def forward(self, x):
        y = F.gelu(self.norm(self.conv(x)))
        return _scaled(y).softmax(-1)


def _traces(program) -> list[tuple[str, str | None]]:
    return [(n.name, n.meta.get("stack_trace")) for n in program.graph.nodes]


def test_stack_traces_are_torchs_own_text():
    model, x = Block().eval(), (torch.randn(1, 3, 8, 8),)
    own = decomposed_program(as_module(model), x, decomposition_table())
    with lazy_line_stack_traces():
        lazy = decomposed_program(as_module(model), x, decomposition_table())
    assert _traces(lazy) == _traces(own)
    texts = [trace for _, trace in _traces(lazy) if trace]
    assert any("return _scaled(y).softmax(-1)" in trace for trace in texts)
    assert any("self.norm(self.conv(x))" in trace for trace in texts)


def test_capture_is_restored_after_a_failure():
    original = fx_proxy.CapturedTraceback
    with pytest.raises(RuntimeError), lazy_line_stack_traces():
        assert fx_proxy.CapturedTraceback is not original
        raise RuntimeError("trace failed")
    assert fx_proxy.CapturedTraceback is original


def test_batch_norm_traces_no_dead_ops_but_one_empty(monkeypatch):
    created = collections.Counter()
    create_node = fx_proxy.TracerBase.create_node

    def counting(self, kind, target, *args, **kwargs):
        created[str(target)] += kind == "call_function"
        return create_node(self, kind, target, *args, **kwargs)

    monkeypatch.setattr(fx_proxy.TracerBase, "create_node", counting)
    model = nn.Sequential(nn.BatchNorm2d(4), nn.BatchNorm2d(4)).eval()
    program = decomposed_program(model, (torch.randn(1, 4, 3, 3),), decomposition_table())
    kept = collections.Counter(str(n.target) for n in program.graph.nodes)
    dead = {op: n - kept[op] for op, n in created.items() if n > kept[op]}
    # aten.batch_norm's own reserve buffer and the decomposition's unused statistics.
    assert dead == {"aten.empty.memory_format": 4}, dead
