"""Constructs of real models that kiln's PyTorch frontend must import (issue 12), each in a
small module with the same construct, compared with eager PyTorch at an explicit tolerance;
and in-place mutation of inputs and buffers, which must follow eager (issue 13)."""

from __future__ import annotations

import copy
import inspect
import re

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import kiln
from kiln.errors import InputMismatchError, UnsupportedOpsError
from kiln.frontend.boundary import TorchCall


def _line_of(obj, needle: str) -> int:
    """The line of this file where ``needle`` appears (once) in the source of ``obj``."""
    lines, first = inspect.getsourcelines(obj)
    hits = [first + i for i, line in enumerate(lines) if needle in line]
    assert len(hits) == 1, f"{needle!r} should appear once in {obj}"
    return hits[0]


def _assert_located(unsupported, obj, needle: str) -> None:
    """The reported location is this file, at the line of ``needle``."""
    match = re.fullmatch(r"(.+):(\d+):(\d+)", unsupported.location)
    assert match, unsupported
    assert (match.group(1), int(match.group(2))) == (__file__, _line_of(obj, needle)), unsupported


# --- non-persistent buffers (BERT position_ids, LLaMA rotary inv_freq) --------


class PositionEmbeddings(nn.Module):
    """BERT's embeddings: ``position_ids`` is a non-persistent buffer, sliced to the length."""

    def __init__(self, vocab: int = 50, max_len: int = 32, dim: int = 16):
        super().__init__()
        self.tokens = nn.Embedding(vocab, dim)
        self.positions = nn.Embedding(max_len, dim)
        self.norm = nn.LayerNorm(dim)
        ids = torch.arange(max_len).expand((1, -1))
        self.register_buffer("position_ids", ids, persistent=False)

    def forward(self, ids):
        positions = self.position_ids[:, : ids.shape[1]]
        return self.norm(self.tokens(ids) + self.positions(positions))


def _rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Rotary(nn.Module):
    """LLaMA's rotary embedding: ``inv_freq`` is a non-persistent float buffer."""

    def __init__(self, dim: int = 16, base: float = 10000.0):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, x):
        t = torch.arange(x.shape[-2], dtype=torch.float32)
        freqs = torch.outer(t, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        return x * emb.cos() + _rotate_half(x) * emb.sin()


def test_non_persistent_position_ids():
    torch.manual_seed(0)
    model, ids = PositionEmbeddings().eval(), torch.randint(0, 50, (2, 12))
    compiled = kiln.compile(model, ids, threads=1)
    torch.testing.assert_close(compiled(ids), model(ids), rtol=1e-5, atol=1e-5)


def test_non_persistent_rotary_inv_freq():
    torch.manual_seed(0)
    model, x = Rotary().eval(), torch.randn(2, 4, 10, 16)
    compiled = kiln.compile(model, x, threads=1)
    torch.testing.assert_close(compiled(x), model(x), rtol=1e-5, atol=1e-5)


# --- a table indexed by a buffer (Swin, CoAtNet, LeViT relative-position bias) --


class RelativePositionBias(nn.Module):
    """Window attention logits plus ``table[index]``, with ``index`` a long buffer:
    flat as torchvision's Swin keeps it, or 2-D and flattened in forward as timm does."""

    def __init__(self, window: int = 3, heads: int = 2, flat: bool = True, persistent=True):
        super().__init__()
        n = window * window
        self.n, self.heads, self.flat = n, heads, flat
        self.table = nn.Parameter(torch.randn((2 * window - 1) ** 2, heads))
        coords = torch.stack(
            torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")
        )
        relative = (coords.flatten(1)[:, :, None] - coords.flatten(1)[:, None, :]).permute(1, 2, 0)
        index = (relative[..., 0] + window - 1) * (2 * window - 1) + relative[..., 1] + window - 1
        self.register_buffer("index", index.flatten() if flat else index, persistent=persistent)

    def forward(self, logits):
        index = self.index if self.flat else self.index.view(-1)
        bias = self.table[index].view(self.n, self.n, self.heads).permute(2, 0, 1)
        return (logits + bias).softmax(-1)


@pytest.mark.parametrize("flat", [True, False], ids=["flat", "view"])
@pytest.mark.parametrize("persistent", [True, False], ids=["persistent", "non_persistent"])
def test_table_indexed_by_buffer(flat, persistent):
    torch.manual_seed(0)
    model = RelativePositionBias(flat=flat, persistent=persistent).eval()
    logits = torch.randn(4, 2, 9, 9)
    compiled = kiln.compile(model, logits, threads=1)
    torch.testing.assert_close(compiled(logits), model(logits), rtol=1e-5, atol=1e-6)


# --- Python numbers from tensors, as inputs and as outputs ----------------------


class FloatOfTensor(nn.Module):
    """``float(t)`` feeding Python arithmetic (normalizing by a data-dependent maximum)."""

    def forward(self, x):
        return x / (float(x.abs().max()) + 1.0)


class IntOfTensor(nn.Module):
    def forward(self, x):
        return x * int(x.argmax())


@pytest.mark.parametrize("model_cls", [FloatOfTensor, IntOfTensor], ids=lambda c: c.__name__)
def test_number_of_a_tensor_in_python_arithmetic(model_cls):
    torch.manual_seed(0)
    model, x = model_cls(), torch.randn(4, 8)
    compiled = kiln.compile(model, x, threads=1)
    for inputs in (x, torch.randn(4, 8) * 3):  # the number is read at run time
        torch.testing.assert_close(compiled(inputs), model(inputs), rtol=1e-6, atol=1e-6)


class Scaled(nn.Module):
    def forward(self, x, scale: float):
        return x * scale + 1


def test_python_number_input_is_fixed_at_compile_time():
    x = torch.randn(3, 5)
    compiled = kiln.compile(Scaled(), x, 2.5, threads=1)
    assert len(compiled.signature.inputs) == 1  # the number is not an argument of the code
    torch.testing.assert_close(compiled(x, 2.5), Scaled()(x, 2.5), rtol=0, atol=0)
    with pytest.raises(InputMismatchError, match=r"compiled for the value 2\.5.*0-d tensor"):
        compiled(x, 3.0)


def test_zero_dim_tensor_input_is_a_run_time_number():
    x = torch.randn(3, 5)
    compiled = kiln.compile(Scaled(), x, torch.tensor(2.5), threads=1)
    for scale in (2.5, -0.75):
        got = compiled(x, torch.tensor(scale))
        torch.testing.assert_close(got, Scaled()(x, torch.tensor(scale)), rtol=0, atol=0)


class OptionalMask(nn.Module):
    def forward(self, x, mask=None):
        return x.relu() if mask is None else x.relu() * mask


def test_none_input():
    x = torch.randn(3, 5)
    compiled = kiln.compile(OptionalMask(), x, None, threads=1)
    torch.testing.assert_close(compiled(x, None), OptionalMask()(x), rtol=0, atol=0)
    with pytest.raises(InputMismatchError, match="compiled for the value None"):
        compiled(x, torch.ones(3, 5))


class OneTuple(nn.Module):
    def forward(self, x):
        return (x.exp(),)


def test_tuple_of_one_stays_a_tuple():
    x = torch.randn(3, 5)
    got = kiln.compile(OneTuple(), x, threads=1)(x)
    assert isinstance(got, tuple) and len(got) == 1
    torch.testing.assert_close(got[0], x.exp(), rtol=1e-6, atol=1e-6)


class Statistics(nn.Module):
    """Python numbers, a constant and a 0-d tensor out, in a dict as Hugging Face returns."""

    def forward(self, x):
        return {
            "mean": x.mean().item(),
            "argmax": int(x.argmax()),
            "positive": bool(x.sum() > 0),
            "classes": 10,
            "total": x.sum(),
            "scaled": x * 2,
        }


def test_python_number_and_zero_dim_outputs():
    torch.manual_seed(0)
    model, x = Statistics(), torch.randn(6, 7)
    compiled = kiln.compile(model, x, threads=1)
    for inputs in (x, -x):
        got, want = compiled(inputs), model(inputs)
        assert list(got) == list(want)
        assert isinstance(got["mean"], float) and got["mean"] == pytest.approx(
            want["mean"], abs=1e-6
        )
        assert (type(got["argmax"]), got["argmax"]) == (int, want["argmax"])
        assert (type(got["positive"]), got["positive"]) == (bool, want["positive"])
        assert got["classes"] == 10
        assert got["total"].shape == () and got["total"].dtype == torch.float32
        torch.testing.assert_close(got["total"], want["total"], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(got["scaled"], want["scaled"], rtol=0, atol=0)


def test_single_zero_dim_result_stays_a_tensor():
    x = torch.randn(6, 7)
    compiled = kiln.compile(nn.Softmax(-1), x, threads=1)  # a plain model: no adapter
    assert not isinstance(compiled, TorchCall)

    class Total(nn.Module):
        def forward(self, x):
            return x.sum()

    got = kiln.compile(Total(), x, threads=1)(x)
    assert isinstance(got, torch.Tensor) and got.shape == ()
    torch.testing.assert_close(got, x.sum(), rtol=1e-5, atol=1e-5)


# --- complex tensors: compiled as real pairs (test_complex.py) -------------------


class ComplexRotary(nn.Module):
    """Meta's original LLaMA keeps its rotary frequencies as a complex buffer."""

    def __init__(self):
        super().__init__()
        self.register_buffer("freqs_cis", torch.polar(torch.ones(4), torch.arange(4.0)))

    def forward(self, x):
        return torch.view_as_real(torch.view_as_complex(x) * self.freqs_cis).flatten(-2)


def test_complex_buffer_compiles():
    x = torch.randn(4, 2)
    got = kiln.compile(ComplexRotary(), x, threads=1)(x)
    torch.testing.assert_close(got, ComplexRotary()(x), rtol=1e-5, atol=1e-5)


# --- adaptive_max_pool2d ----------------------------------------------------------


class AdaptiveMax(nn.Module):
    def __init__(self, size, return_indices: bool = False):
        super().__init__()
        self.size, self.return_indices = size, return_indices

    def forward(self, x):
        # ReLU first: windows of zeros test which of several equal maxima is picked.
        return F.adaptive_max_pool2d(x.relu(), self.size, return_indices=self.return_indices)


@pytest.mark.parametrize(
    "shape, size",
    [((1, 4, 13, 17), 5), ((3, 13, 17), (3, 5)), ((2, 3, 8, 8), 2), ((1, 2, 7, 9), (7, 2))],
    ids=["uneven", "unbatched", "even", "mixed"],
)
@pytest.mark.parametrize("return_indices", [False, True], ids=["values", "indices"])
def test_adaptive_max_pool2d(shape, size, return_indices):
    torch.manual_seed(0)
    model, x = AdaptiveMax(size, return_indices), torch.randn(shape)
    compiled = kiln.compile(model, x, threads=1)
    torch.testing.assert_close(compiled(x), model(x), rtol=0, atol=0)


# --- in-place mutation: eager's single result, written back into the caller's tensor


class DoublesInput(nn.Module):
    def forward(self, x):
        x.mul_(2)
        return x + 1


class ReluInPlace(nn.Module):
    def forward(self, x):
        x.relu_()
        return x


@pytest.mark.parametrize("model_cls", [DoublesInput, ReluInPlace], ids=lambda c: c.__name__)
def test_mutated_input_is_written_back(model_cls):
    torch.manual_seed(0)
    x = torch.randn(4, 6)
    compiled = kiln.compile(model_cls(), x.clone(), threads=1)
    for _ in range(2):  # the second call starts from the mutated values
        mine, theirs = x.clone(), x.clone()
        got = compiled(mine)
        want = model_cls()(theirs)
        assert isinstance(got, torch.Tensor)
        torch.testing.assert_close(got, want, rtol=0, atol=0)
        torch.testing.assert_close(mine, theirs, rtol=0, atol=0)
        x = theirs


def test_mutated_numpy_input_is_written_back():
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    compiled = kiln.compile(DoublesInput(), torch.from_numpy(x.copy()), threads=1)
    mine = x.copy()
    got = compiled(mine)
    np.testing.assert_allclose(mine, x * 2, rtol=0, atol=0)
    np.testing.assert_allclose(got, x * 2 + 1, rtol=0, atol=0)


class AddsInto(nn.Module):
    """``out=`` with a tensor of another shape: PyTorch resizes it to the result's."""

    def forward(self, a, b, out):
        return torch.add(a, b, out=out)


@pytest.mark.parametrize("out_shape", [(0,), (2, 2), (4, 3)])
def test_out_argument_of_another_shape_is_resized(out_shape):
    a, b = torch.randn(3, 4), torch.randn(3, 4)
    compiled = kiln.compile(AddsInto(), a, b, torch.zeros(out_shape), threads=1)
    mine, theirs = torch.zeros(out_shape), torch.zeros(out_shape)
    got = compiled(a, b, mine)
    want = AddsInto()(a, b, theirs)
    assert mine.shape == theirs.shape == (3, 4)
    torch.testing.assert_close(mine, theirs, rtol=0, atol=0)
    torch.testing.assert_close(got, want, rtol=0, atol=0)


class ArangeInto(nn.Module):
    """A factory's ``out=``: eager fills an out tensor with as many elements as it is."""

    def forward(self, out):
        return torch.arange(1, 13, out=out)


@pytest.mark.parametrize("out_shape", [(3, 4), (5,)])
def test_factory_out_argument_keeps_its_shape_when_the_count_matches(out_shape):
    compiled = kiln.compile(ArangeInto(), torch.zeros(out_shape, dtype=torch.int64), threads=1)
    mine, theirs = (
        torch.zeros(out_shape, dtype=torch.int64),
        torch.zeros(out_shape, dtype=torch.int64),
    )
    got, want = compiled(mine), ArangeInto()(theirs)
    assert mine.shape == theirs.shape and got.shape == want.shape
    torch.testing.assert_close(mine, theirs, rtol=0, atol=0)
    assert got is mine  # eager returns the out tensor itself


def test_out_argument_numpy_array_of_another_shape_is_refused():
    a, b = torch.randn(3, 4), torch.randn(3, 4)
    compiled = kiln.compile(AddsInto(), a, b, torch.zeros(2, 2), threads=1)
    with pytest.raises(InputMismatchError, match=r"input 2: .*\(3, 4\) result into this \(2, 2\)"):
        compiled(a.numpy(), b.numpy(), np.zeros((2, 2), np.float32))


class CallCounter(nn.Module):
    """A buffer updated in place on every call: compiled code must see each new value."""

    def __init__(self):
        super().__init__()
        self.register_buffer("calls", torch.zeros(()))

    def forward(self, x):
        self.calls.add_(1)
        return x * self.calls


def test_mutated_buffer_follows_eager_across_calls():
    x = torch.randn(3, 4)
    compiled_model, eager_model = CallCounter(), CallCounter()
    compiled = kiln.compile(compiled_model, x, threads=1)
    for _ in range(3):
        torch.testing.assert_close(compiled(x), eager_model(x), rtol=0, atol=0)
    torch.testing.assert_close(compiled_model.calls, eager_model.calls, rtol=0, atol=0)


class NormNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.BatchNorm2d(4)
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(self.norm(x))


def test_batch_norm_model_compiles_in_eval_mode_and_keeps_its_modes_and_state():
    torch.manual_seed(0)
    model = NormNet()
    with torch.no_grad():
        model.norm.running_mean.uniform_(-1, 1)
        model.norm.running_var.uniform_(0.5, 2)
    model.train()  # kiln compiles for inference: eval mode, no statistics update
    model.conv.eval()  # a submodule's own mode, which kiln must leave as it found it
    state = copy.deepcopy(model.state_dict())
    x = torch.randn(2, 4, 8, 8)
    compiled = kiln.compile(model, x, threads=1)
    assert not isinstance(compiled, TorchCall)
    # The user's module is left in the modes it had (it may be mid-training).
    assert (model.training, model.norm.training, model.conv.training) == (True, True, False)
    torch.testing.assert_close(compiled(x), model.eval()(x), rtol=1e-4, atol=1e-5)
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, state[name], rtol=0, atol=0)


# --- models torch.export made (ExportedProgram, its .module(): PT2E-quantized models) ---


@pytest.mark.parametrize("form", ["program", "module"])
def test_exported_model_compiles(form):
    # An exported module refuses eval() (NotImplementedError), which kiln called on every
    # module; an ExportedProgram is not callable at all.
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU()).eval()
    x = torch.randn(1, 3, 10, 10)
    program = torch.export.export(model, (x,))
    given = program if form == "program" else program.module()
    compiled = kiln.compile(given, x, threads=1)
    torch.testing.assert_close(compiled(x), model(x), rtol=1e-4, atol=1e-5)


# --- frontend failures: UnsupportedOpsError naming the construct and the line ---


class DataDependentShape(nn.Module):
    def forward(self, x):
        n = int(x.sum() > 0) + 1
        return x[:n]


def test_data_dependent_construct_is_named_at_its_line():
    with pytest.raises(UnsupportedOpsError) as info:
        kiln.compile(DataDependentShape(), torch.randn(4, 3), threads=1)
    (op,) = info.value.ops
    assert "tensor data" in op.op and "int(t)" in op.op
    _assert_located(op, DataDependentShape, "int(x.sum() > 0)")


class Conditional(nn.Module):
    def forward(self, x):
        return torch.cond(x.sum() > 0, lambda x: x + 1, lambda x: x - 1, (x,))


def test_import_failure_names_the_op_and_line():
    with pytest.raises(UnsupportedOpsError) as info:
        kiln.compile(Conditional(), torch.randn(4), threads=1)
    (op,) = info.value.ops
    assert op.op == "cond" and "torch-mlir cannot import it" in op.reason
    _assert_located(op, Conditional, "torch.cond(")


class UnevenAdaptiveMax(nn.Module):
    def forward(self, x):
        return F.adaptive_max_pool2d(x, 5)


def test_lowering_failure_names_the_pytorch_op(monkeypatch):
    # Without kiln's decomposition, torch-mlir's own lowering of uneven windows fails
    # on a tensor.cast it created: the error names the PyTorch op at that line.
    from kiln.frontend import decompositions

    table = dict(decompositions.KILN_DECOMPOSITIONS)
    del table[torch.ops.aten.adaptive_max_pool2d.default]
    monkeypatch.setattr(decompositions, "KILN_DECOMPOSITIONS", table)
    with pytest.raises(UnsupportedOpsError) as info:
        kiln.compile(UnevenAdaptiveMax(), torch.randn(1, 2, 13, 17), threads=1)
    (op,) = info.value.ops
    assert op.op == "aten.adaptive_max_pool2d" and "tensor.cast" in op.reason
    _assert_located(op, UnevenAdaptiveMax, "F.adaptive_max_pool2d(")


class Features(nn.Module):
    def forward(self, x):
        return {"stem": x + 1, "levels": [x * 2, x.relu()]}


def test_an_fx_graph_module_returns_the_plain_containers_eager_returns():
    # A GraphModule (torchvision's create_feature_extractor, a symbolic trace) records its
    # outputs in torch.fx's immutable_dict/immutable_list; eager returns a dict and a list,
    # and users assign into them.
    traced = torch.fx.symbolic_trace(Features())
    x = torch.randn(2, 3)
    compiled = kiln.compile(traced, x, threads=1)
    got, expected = compiled(x), traced(x)
    assert type(got) is dict and type(got["levels"]) is list
    assert type(expected) is dict and type(expected["levels"]) is list
    torch.testing.assert_close(got["stem"], expected["stem"], rtol=0, atol=0)
    for level, expected_level in zip(got["levels"], expected["levels"], strict=True):
        torch.testing.assert_close(level, expected_level, rtol=0, atol=0)
    got["stem"] = None  # mutable, as eager's
