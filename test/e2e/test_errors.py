"""Bad inputs to kiln.compile and to compiled models: each fails with a kiln error
that says what is wrong and where, or (non-contiguous, NaN/Inf) is handled like PyTorch."""

from __future__ import annotations

import dataclasses
import inspect
import re

import numpy as np
import pytest
import torch
import torch.nn as nn
from kiln.lowering.cpu.pipeline import CpuTarget, cpu_pipeline
from kiln.passes import registry
from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, PassFailure

import kiln
from kiln.pipeline import Stage


def _line_of(cls: type, needle: str) -> int:
    """The line of this file where ``needle`` appears in the source of ``cls``."""
    lines, first = inspect.getsourcelines(cls)
    hits = [first + i for i, line in enumerate(lines) if needle in line]
    assert len(hits) == 1, f"{needle!r} should appear once in {cls.__name__}"
    return hits[0]


def _split_location(location: str) -> tuple[str, int]:
    """``file:line:col`` -> (file, line)."""
    match = re.fullmatch(r"(.+):(\d+):(\d+)", location)
    assert match, f"not a file:line:col location: {location!r}"
    return match.group(1), int(match.group(2))


# --- (a) ops kiln cannot compile: every one reported, at its line -------------


class UnknownToTorchMlir(nn.Module):
    """Three aten ops torch-mlir has no definition for."""

    def forward(self, x):
        a = torch.nextafter(x, x + 1)
        b = torch.lgamma(x)
        c = torch.polygamma(1, x)
        return a.sum() + b + c


class NoLinalgLowering(nn.Module):
    """Three aten ops torch-mlir knows but cannot lower to linalg."""

    def forward(self, x):
        a = torch.erfinv(x)
        b = torch.linalg.qr(x)[0]
        c = torch.fmod(x, 1.5)
        return a + b + c


class MixedUnsupported(nn.Module):
    """One op of each kind, plus linalg.det, which kiln does compile."""

    def forward(self, x):
        a = torch.nextafter(x, x + 1)
        b = torch.erfinv(x)
        c = torch.linalg.det(x)
        return a.sum() + b + c.sum()


class SortAndScan(nn.Module):
    """Ops torch-mlir lowers to its tm_tensor dialect (kiln-bufferize-tm-tensor handles them)."""

    def forward(self, x):
        a = torch.sort(x, dim=1).values
        b = torch.cumprod(x, dim=1)
        return a + b


UNSUPPORTED_CASES = {
    UnknownToTorchMlir: {
        "nextafter": "torch.nextafter(",
        "lgamma": "torch.lgamma(",
        "polygamma": "torch.polygamma(",
    },
    NoLinalgLowering: {
        "erfinv": "torch.erfinv(",
        "linalg_qr": "torch.linalg.qr(",
        "fmod": "torch.fmod(",
    },
    MixedUnsupported: {"nextafter": "torch.nextafter(", "erfinv": "torch.erfinv("},
}


@pytest.mark.parametrize(
    "model_cls",
    [
        UnknownToTorchMlir,
        NoLinalgLowering,
        MixedUnsupported,
    ],
    ids=lambda c: c.__name__,
)
def test_unsupported_ops_are_all_reported_at_their_lines(model_cls):
    expected = {
        op: _line_of(model_cls, needle) for op, needle in UNSUPPORTED_CASES[model_cls].items()
    }
    with pytest.raises(kiln.UnsupportedOpsError) as info:
        kiln.compile(model_cls(), torch.rand(4, 4) * 0.5, threads=1)
    reported = {}
    for unsupported in info.value.ops:
        base = unsupported.op.split(".")[1]  # aten.<name>[.overload]
        assert unsupported.op.startswith("aten."), unsupported
        reported[base] = unsupported
    assert set(reported) == set(expected), info.value.ops
    for op, line in expected.items():
        file, reported_line = _split_location(reported[op].location)
        assert file == __file__, reported[op]
        assert reported_line == line, reported[op]
        assert reported[op].reason
        assert f"{reported[op].op} at {__file__}:{line}:" in str(info.value)


def frexp_mantissa(x):
    """A plain function, not a module: torch.export records lines of ``forward`` frames only."""
    return torch.frexp(x)[0]


def test_unsupported_op_of_a_plain_function_is_reported_at_its_line():
    with pytest.raises(kiln.UnsupportedOpsError) as info:
        kiln.compile(frexp_mantissa, torch.rand(4), threads=1)
    (unsupported,) = info.value.ops
    assert unsupported.op.startswith("aten.frexp"), unsupported
    file, line = _split_location(unsupported.location)
    assert (file, line) == (__file__, _line_of(frexp_mantissa, "torch.frexp(")), unsupported


# --- (b) malformed MLIR ------------------------------------------------------

BAD_MLIR = """\
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.addf %a, %a : tensor<4xf32>
  %1 = arith.bogus %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}
"""
BAD_LINE, BAD_COL = 3, BAD_MLIR.splitlines()[2].index("arith.bogus") + 1

UNDEFINED_VALUE_MLIR = """\
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.addf %a, %undefined : tensor<4xf32>
  return %0 : tensor<4xf32>
}
"""


def test_malformed_mlir_text_reports_line_and_column():
    with pytest.raises(kiln.MLIRSyntaxError) as info:
        kiln.compile(BAD_MLIR, threads=1)
    assert str(info.value).startswith(f"<string>:{BAD_LINE}:{BAD_COL}: error:")
    assert "arith.bogus" in str(info.value)
    assert isinstance(info.value, kiln.KilnError)


@pytest.mark.parametrize("as_path", [False, True], ids=["str", "Path"])
def test_malformed_mlir_file_reports_file_line_and_column(tmp_path, as_path):
    path = tmp_path / "bad.mlir"
    path.write_text(BAD_MLIR)
    with pytest.raises(kiln.MLIRSyntaxError) as info:
        kiln.compile(path if as_path else str(path), threads=1)
    assert str(info.value).startswith(f"{path}:{BAD_LINE}:{BAD_COL}: error:")


def test_undefined_ssa_value_reports_its_use():
    with pytest.raises(kiln.MLIRSyntaxError) as info:
        kiln.compile(UNDEFINED_VALUE_MLIR, threads=1)
    col = UNDEFINED_VALUE_MLIR.splitlines()[1].index("%undefined") + 1
    assert str(info.value).startswith(f"<string>:2:{col}: error:")
    assert "undeclared SSA value" in str(info.value)


# --- (c) wrong inputs to a compiled model ------------------------------------


class LinearWithBias(nn.Module):
    """x @ W + bias, with the bias an input: two inputs of different shapes."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(784, 16, bias=False)

    def forward(self, x, bias):
        return self.lin(x) + bias


@pytest.fixture(scope="module")
def linear():
    torch.manual_seed(0)
    model = LinearWithBias().eval()
    inputs = (torch.randn(32, 784), torch.randn(32, 16))
    return model, inputs, kiln.compile(model, *inputs, threads=1)


def _eager(model, *inputs):
    with torch.no_grad():
        return model(*inputs)


@pytest.mark.parametrize("count", [0, 1, 3])
def test_wrong_number_of_inputs(linear, count):
    _, inputs, compiled = linear
    args = (inputs * 2)[:count]
    with pytest.raises(kiln.InputMismatchError) as info:
        compiled(*args)
    message = str(info.value)
    assert "takes 2 input(s)" in message
    assert "float32[32, 784], float32[32, 16]" in message
    assert message.endswith(f"got {count}")


@pytest.mark.parametrize(
    ("index", "bad", "given"),
    [
        (0, lambda: torch.randn(16, 784), "float32[16, 784]"),
        (0, lambda: torch.randn(784), "float32[784]"),
        (1, lambda: torch.randn(32, 15), "float32[32, 15]"),
        (1, lambda: np.zeros((32, 16, 1), np.float32), "float32[32, 16, 1]"),
    ],
    ids=["batch", "rank", "second-input", "numpy"],
)
def test_wrong_shape(linear, index, bad, given):
    _, inputs, compiled = linear
    args = list(inputs)
    args[index] = bad()
    expected = ("float32[32, 784]", "float32[32, 16]")[index]
    with pytest.raises(kiln.InputMismatchError) as info:
        compiled(*args)
    assert str(info.value) == f"input {index}: expected {expected}, got {given}"


@pytest.mark.parametrize(
    ("bad", "given"),
    [
        (lambda: torch.randn(32, 784, dtype=torch.float64), "float64[32, 784]"),
        (lambda: torch.randn(32, 784).half(), "float16[32, 784]"),
        (lambda: torch.zeros(32, 784, dtype=torch.int32), "int32[32, 784]"),
        (lambda: np.zeros((32, 784), np.float64), "float64[32, 784]"),
    ],
    ids=["float64", "float16", "int32", "numpy-float64"],
)
def test_wrong_dtype(linear, bad, given):
    _, inputs, compiled = linear
    with pytest.raises(kiln.InputMismatchError) as info:
        compiled(bad(), inputs[1])
    assert str(info.value) == f"input 0: expected float32[32, 784], got {given}"


def test_not_a_tensor(linear):
    _, inputs, compiled = linear
    with pytest.raises(kiln.InputMismatchError) as info:
        compiled(inputs[0].tolist(), inputs[1])
    assert "expected a torch.Tensor or numpy.ndarray float32[32, 784], got list" in str(info.value)
    assert isinstance(info.value, TypeError)


# --- (d) non-contiguous inputs -----------------------------------------------

NON_CONTIGUOUS = {
    "transposed": lambda: torch.randn(784, 32).t(),
    "row-slice": lambda: torch.randn(64, 784)[::2],
    "column-slice": lambda: torch.randn(32, 1568)[:, 1::2],
    "expanded": lambda: torch.randn(1, 784).expand(32, 784),
    "offset-view": lambda: torch.randn(33, 784)[1:],
    "numpy-transposed": lambda: torch.randn(784, 32).numpy().T,
    "numpy-reversed": lambda: torch.randn(32, 784).numpy()[::-1],
}


@pytest.mark.parametrize("make", NON_CONTIGUOUS.values(), ids=NON_CONTIGUOUS.keys())
def test_non_contiguous_inputs_match_eager(linear, make):
    model, inputs, compiled = linear
    x = make()
    bias = inputs[1].numpy() if isinstance(x, np.ndarray) else inputs[1]
    before = x.copy() if isinstance(x, np.ndarray) else x.clone()
    out = compiled(x, bias)
    reference = _eager(model, torch.as_tensor(np.ascontiguousarray(x)), inputs[1])
    torch.testing.assert_close(torch.as_tensor(out), reference, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(np.asarray(x), np.asarray(before))  # inputs are not written


# --- (e) NaN and Inf ---------------------------------------------------------


class MatmulThenElementwise(nn.Module):
    """A matmul, then elementwise math mixing its result with a second input."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(64, 32)

    def forward(self, x, y):
        h = self.lin(x * 2.0 + 1.0)
        return torch.relu(h) + torch.tanh(h) + torch.sigmoid(y) + torch.exp(y) * 0.5 - y


def test_nan_and_inf_propagate_like_pytorch():
    torch.manual_seed(0)
    model = MatmulThenElementwise().eval()
    x, y = torch.randn(16, 64), torch.randn(16, 32)
    compiled = kiln.compile(model, x, y, threads=1)
    x[0, 3] = float("nan")  # a NaN row out of the matmul
    x[1, :] = float("inf")  # inf * weights of both signs: NaN
    x[2, 5] = float("-inf")
    y[4, 0], y[5, 1], y[6, 2] = float("inf"), float("-inf"), float("nan")
    reference = _eager(model, x, y)
    assert reference.isnan().any() and reference.isinf().any() and reference.isfinite().any()
    out = compiled(x, y)
    torch.testing.assert_close(out, reference, rtol=1e-4, atol=1e-5, equal_nan=True)


class ClampAndMaximum(nn.Module):
    """clamp and maximum: PyTorch propagates NaN through both."""

    def forward(self, x):
        return torch.clamp(x, -1.0, 1.0) + torch.maximum(x, torch.zeros_like(x))


def test_nan_propagates_through_clamp_and_maximum():
    x = torch.randn(4, 8)
    x[0, 1] = float("nan")
    compiled = kiln.compile(ClampAndMaximum(), x, threads=1)
    torch.testing.assert_close(compiled(x), ClampAndMaximum()(x), equal_nan=True)


# --- (e') shapes too large to allocate ----------------------------------------


class OuterProduct(nn.Module):
    """A 2**20-element vector's outer product with itself: 4 TiB of float32."""

    def forward(self, x):
        return (x[:, None] * x[None, :]).sum(dim=1)


def test_tensor_too_large_for_memory_names_shape_size_and_line():
    x = torch.randn(2**20)
    with pytest.raises(kiln.BufferTooLargeError) as info:
        kiln.compile(OuterProduct(), x, threads=1)
    message = str(info.value)
    assert "tensor<1048576x1048576xf32> (4.0 TiB)" in message
    assert "this machine's memory" in message
    line = _line_of(OuterProduct, "x[:, None] * x[None, :]")
    assert f"{__file__}:{line}:" in message
    assert isinstance(info.value, MemoryError)


class Double(nn.Module):
    def forward(self, x):
        return x * 2


@pytest.mark.parametrize(
    ("option", "named"),
    [
        ({"threads": 0}, "threads"),
        ({"threads": -2}, "threads"),
        ({"threads": 2.5}, "threads"),
        ({"threads": True}, "threads"),
        ({"opt_level": 9}, "opt_level"),
        ({"opt_level": -1}, "opt_level"),
        ({"opt_level": 2.0}, "opt_level"),
        ({"opt_level": True}, "opt_level"),
    ],
)
def test_bad_option_values_are_kiln_errors_naming_the_option(option, named):
    with pytest.raises(kiln.OptionError) as info:
        kiln.compile(Double(), torch.randn(3, 4), **option)
    assert f"kiln.compile: {named} must be" in str(info.value)
    assert isinstance(info.value, ValueError)  # what callers caught before


@pytest.mark.parametrize(
    "target, feature",
    [
        (CpuTarget("host", 16, 1, avx512_bf16=True, precision="bf16"), "avx512_bf16"),
        (CpuTarget("host", 16, 1, avx512_vnni=True), "avx512_vnni"),
    ],
    ids=["bf16", "vnni"],
)
def test_custom_pipeline_for_features_the_host_lacks_is_an_option_error(
    target, feature, monkeypatch
):
    # Regression: such a pipeline ran to llc, which crashed on the instructions ("Do not know
    # how to split the result of this operator"), reported as a LibraryError.
    import kiln.targets

    monkeypatch.setattr(kiln.targets, "host_features", lambda: frozenset({"avx2", "fma"}))
    with pytest.raises(kiln.OptionError) as info:
        kiln.compile(Double(), torch.randn(3, 4), pipeline=cpu_pipeline(target))
    assert f"pipeline 'cpu' was built for a CPU with {feature}" in str(info.value)
    assert "host_target()" in str(info.value)


def test_custom_pipeline_wider_than_the_host_runs():
    """16-lane code on an 8-lane host is legal (LLVM splits the vectors): compiled, not refused."""
    x = torch.randn(3, 40)
    compiled = kiln.compile(Double(), x, pipeline=cpu_pipeline(CpuTarget("host", 16, 1)))
    torch.testing.assert_close(compiled(x), Double()(x), rtol=0, atol=0)


def test_dump_dir_that_is_a_file_is_a_kiln_error_naming_it(tmp_path):
    blocker = tmp_path / "dumps"
    blocker.write_text("not a folder")
    with pytest.raises(kiln.DumpDirError) as info:
        kiln.compile(Double(), torch.randn(3, 4), threads=1, dump_dir=blocker)
    assert f"dump_dir='{blocker}'" in str(info.value)
    assert "a file is in the way" in str(info.value)
    with pytest.raises(kiln.DumpDirError, match="dump_dir="):
        kiln.compile(Double(), torch.randn(3, 4), threads=1, dump_dir=blocker / "sub")
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize("as_numpy", [False, True])
def test_huge_broadcast_input_is_a_kiln_error_naming_the_input(as_numpy):
    """A 2**40-row stride-0 view costs nothing; its contiguous copy would be 16 TiB."""
    batch = torch.export.Dim("batch")
    compiled = kiln.compile(
        Double(), torch.randn(3, 4), threads=1, dynamic_shapes={"x": {0: batch}}
    )
    huge = torch.zeros(1, 4).expand(2**40, 4)
    with pytest.raises(kiln.BufferTooLargeError) as info:
        compiled(huge.numpy() if as_numpy else huge)
    assert str(info.value).startswith("input 0: float32[1099511627776, 4] must be copied")


HUGE_MLIR = """\
func.func @f(%a: tensor<65536x65536xf32>) -> tensor<65536x65536xf32> {
  %e = tensor.empty() : tensor<65536x65536xf32>
  %0 = linalg.exp ins(%a : tensor<65536x65536xf32>) outs(%e : tensor<65536x65536xf32>) -> tensor<65536x65536xf32>
  return %0 : tensor<65536x65536xf32>
}
"""


def test_buffer_limit_applies_to_mlir_inputs_and_results():
    from kiln.api import parse_mlir
    from kiln.buffer_sizes import check_buffer_sizes

    module = parse_mlir(HUGE_MLIR, "huge.mlir")
    check_buffer_sizes(module, limit=2**34, source_name="huge.mlir")  # 16 GiB tensors fit
    with pytest.raises(kiln.BufferTooLargeError) as info:
        check_buffer_sizes(module, limit=2**33, source_name="huge.mlir")
    message = str(info.value)
    assert "tensor<65536x65536xf32> (16.0 GiB) from input 0 at huge.mlir:1:" in message
    assert "from linalg.exp at huge.mlir:3:" in message


# --- (f) pipeline failures: stage, reproducer, replay ------------------------

SPARSE_MLIR = """\
#CSR = #sparse_tensor.encoding<{ map = (d0, d1) -> (d0 : dense, d1 : compressed) }>
func.func @f(%a: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %s = sparse_tensor.convert %a : tensor<8x8xf32> to tensor<8x8xf32, #CSR>
  %d = sparse_tensor.convert %s : tensor<8x8xf32, #CSR> to tensor<8x8xf32>
  return %d : tensor<8x8xf32>
}
"""

MATMUL_MLIR = """\
func.func @f(%a: tensor<16x32xf32>, %b: tensor<32x64xf32>) -> tensor<16x64xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<16x64xf32>
  %c = linalg.fill ins(%zero : f32) outs(%empty : tensor<16x64xf32>) -> tensor<16x64xf32>
  %r = linalg.matmul ins(%a, %b : tensor<16x32xf32>, tensor<32x64xf32>)
                     outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}
"""


def _first_error(diagnostics: str) -> str:
    """The message of the first ``error:`` line of MLIR/kiln diagnostics."""
    for line in diagnostics.splitlines():
        if "error: " in line:
            return line.split("error: ", 1)[1].strip()
        if line.startswith("ValueError: "):
            return line.removeprefix("ValueError: ").strip()
    raise AssertionError(f"no error in {diagnostics!r}")


def _check_pipeline_error(err: kiln.PipelineError, stage: str, repro_dir) -> None:
    assert err.stage == stage
    assert f"stage '{stage}' failed" in str(err)
    assert err.reproducer is not None
    reproducer = repro_dir / err.reproducer.rsplit("/", 1)[-1]
    assert str(reproducer) == err.reproducer and reproducer.is_file()
    assert reproducer.read_text().lstrip().startswith(("module", "#"))
    assert err.command.startswith("kiln-opt ")
    assert err.reproducer in err.command
    assert "--pass-pipeline=builtin.module(" in err.command  # the stage's passes, spelled out
    assert err.command in str(err) and err.reproducer in str(err)


def test_failing_stage_names_stage_and_replays(tmp_path, monkeypatch, replay):
    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path))
    with pytest.raises(kiln.PipelineError) as info:
        kiln.compile(SPARSE_MLIR, threads=1)
    err = info.value
    _check_pipeline_error(err, "bufferized", tmp_path)
    message = _first_error(err.diagnostics)
    assert "sparse" in message
    result = replay(err.command)
    assert result.returncode != 0
    assert message in result.stderr


def test_failing_kiln_pass_names_stage_and_replays(tmp_path, monkeypatch, replay):
    # A stage asking for 3 f32 lanes: kiln-pack-contractions (stage graph) rejects it.
    # (CpuTarget itself refuses 3 lanes: see test_pipeline.py.)
    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path))
    stock = cpu_pipeline(CpuTarget("host", vector_width=8, threads=1))
    graph = stock.stage("graph")
    passes = tuple(
        "kiln-pack-contractions{vector-width=3}" if p.startswith("kiln-pack-contractions") else p
        for p in graph.passes
    )
    pipeline = stock.replace_stage("graph", Stage("graph", passes))
    with pytest.raises(kiln.PipelineError) as info:
        kiln.compile(MATMUL_MLIR, threads=1, pipeline=pipeline)
    err = info.value
    _check_pipeline_error(err, "graph", tmp_path)
    assert "kiln-pack-contractions{vector-width=3}" in err.command
    message = _first_error(err.diagnostics)
    assert "vector-width" in message
    result = replay(err.command)
    assert result.returncode != 0
    assert message in result.stderr


def test_failing_custom_stage_replays_its_own_passes(tmp_path, monkeypatch, replay):
    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path))
    stock = cpu_pipeline(CpuTarget("host", vector_width=8, threads=1))
    pipeline = stock.replace_stage("tiled", Stage("tiled", ("kiln-tile-and-fuse{threads=0}",)))
    with pytest.raises(kiln.PipelineError) as info:
        kiln.compile(MATMUL_MLIR, threads=1, pipeline=pipeline)
    err = info.value
    _check_pipeline_error(err, "tiled", tmp_path)
    result = replay(err.command)
    assert result.returncode != 0
    assert _first_error(err.diagnostics) in result.stderr


class ConvNet(nn.Module):
    """A convolution called from this file: its ops are located at torch.nn's line
    called from the line below."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x):
        return self.conv(x).relu()


@dataclasses.dataclass(frozen=True)
class _RejectConvolutions(KilnPass):
    """Test-only: fails at every convolution, as a pass rejecting its input does."""

    name = "kiln-test-reject-convolutions"

    def run(self, module):
        errors = [
            (op.location, f"{self.name}: cannot handle '{op.name}'")
            for op in collect_ops(module)
            if op.name.startswith("linalg.conv")
        ]
        if errors:
            raise PassFailure(errors)


@dataclasses.dataclass(frozen=True)
class _BuggyOnConvolutions(KilnPass):
    """Test-only: a pass with a bug that shows on convolutions (an IndexError)."""

    name = "kiln-test-buggy-on-convolutions"

    def run(self, module):
        for op in collect_ops(module):
            if op.name.startswith("linalg.conv"):
                op.results[len(op.results)]  # noqa: B018 - the bug


def _compile_failing(tmp_path, monkeypatch, bad_pass) -> kiln.PipelineError:
    """The PipelineError of ConvNet compiled with ``bad_pass`` as a stage after 'tiled'."""
    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path))
    registry.all_passes()
    monkeypatch.setitem(registry._PASSES, bad_pass.name, bad_pass)
    pipeline = cpu_pipeline(CpuTarget("host", vector_width=8, threads=1)).insert_after(
        "tiled", Stage("check", ("canonicalize", bad_pass.name))
    )
    with pytest.raises(kiln.PipelineError) as info:
        kiln.compile(ConvNet(), torch.randn(1, 3, 8, 8), threads=1, pipeline=pipeline)
    return info.value


def _at_the_users_line(diagnostics: str) -> str:
    """The first diagnostic's message, after checking it is at ConvNet's call of the conv."""
    first = diagnostics.splitlines()[0]
    where, message = first.split(": error: ", 1)
    assert _split_location(where) == (__file__, _line_of(ConvNet, "self.conv(x)")), first
    return message


def test_failing_pass_on_a_module_names_stage_pass_op_and_the_users_line(tmp_path, monkeypatch):
    # Issue 12: the failure named neither the pass nor the model's line (it named
    # torch/nn/modules/conv.py).
    err = _compile_failing(tmp_path, monkeypatch, _RejectConvolutions)
    assert (err.stage, err.pass_spec, err.internal) == ("check", _RejectConvolutions.name, False)
    assert f"stage 'check' failed in pass '{_RejectConvolutions.name}'" in str(err)
    message = _at_the_users_line(err.diagnostics)
    assert message.startswith(f"{_RejectConvolutions.name}: cannot handle 'linalg.conv")


def test_bug_in_a_pass_on_a_module_is_an_internal_error_at_the_users_line(tmp_path, monkeypatch):
    # A Python exception inside a pass: never a bare IndexError, but an internal error
    # naming the pass and the op, at the line of the model the op comes from.
    err = _compile_failing(tmp_path, monkeypatch, _BuggyOnConvolutions)
    assert (err.stage, err.pass_spec, err.internal) == ("check", _BuggyOnConvolutions.name, True)
    assert "a bug in kiln" in str(err)
    message = _at_the_users_line(err.diagnostics)
    assert message.startswith(f"{_BuggyOnConvolutions.name}: internal error on 'linalg.conv")
    assert "IndexError" in message


def test_failing_stage_on_a_file_reports_the_file(tmp_path):
    path = tmp_path / "sparse.mlir"
    path.write_text(SPARSE_MLIR)
    with pytest.raises(kiln.PipelineError) as info:
        kiln.compile(str(path), threads=1)
    assert f"{path}:3:" in info.value.diagnostics


class BigWeights(nn.Module):
    """256 KiB of weights: a reproducer that embedded them would be over 1 MB of text."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(256, 256)

    def forward(self, x):
        return torch.relu(self.fc(x))


def test_reproducer_of_a_model_with_big_weights_is_small_and_replays(tmp_path, monkeypatch, replay):
    # A stage that fails on every model: kiln-verify-llvm right after 'graph'.
    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path))
    stock = cpu_pipeline(CpuTarget("host", vector_width=8, threads=1))
    pipeline = stock.insert_after("graph", Stage("check", ("kiln-verify-llvm",)))
    with pytest.raises(kiln.PipelineError) as info:
        kiln.compile(BigWeights(), torch.randn(2, 256), threads=1, pipeline=pipeline)
    err = info.value
    _check_pipeline_error(err, "check", tmp_path)
    assert not err.internal
    text = (tmp_path / err.reproducer.rsplit("/", 1)[-1]).read_text()
    assert len(text) < 20_000  # the weights (65,536 floats) are splats of their own type
    assert "dense<5.000000e-01> : tensor<" in text
    message = _first_error(err.diagnostics)
    assert message.startswith("kiln-verify-llvm: ")
    result = replay(err.command)
    assert result.returncode != 0
    assert message in result.stderr


# --- (g) MLIR text at the linalg level ---------------------------------------

MATMUL_BIAS_MLIR = """\
#rows = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
func.func @matmul_bias(%a: tensor<32x64xf32>, %w: tensor<64x48xf32>, %b: tensor<48xf32>)
    -> tensor<32x48xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<32x48xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<32x48xf32>) -> tensor<32x48xf32>
  %mm = linalg.matmul ins(%a, %w : tensor<32x64xf32>, tensor<64x48xf32>)
                      outs(%acc : tensor<32x48xf32>) -> tensor<32x48xf32>
  %out = linalg.generic {indexing_maps = [#rows, #bias, #rows],
                         iterator_types = ["parallel", "parallel"]}
      ins(%mm, %b : tensor<32x48xf32>, tensor<48xf32>) outs(%empty : tensor<32x48xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<32x48xf32>
  return %out : tensor<32x48xf32>
}
"""


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("source", ["text", "file"])
def test_linalg_mlir_matmul_bias_matches_numpy(tmp_path, source, threads):
    model = MATMUL_BIAS_MLIR
    if source == "file":
        model = tmp_path / "matmul_bias.mlir"
        model.write_text(MATMUL_BIAS_MLIR)
    compiled = kiln.compile(model, threads=threads)
    assert [str(s) for s in compiled.signature.inputs] == [
        "float32[32, 64]",
        "float32[64, 48]",
        "float32[48]",
    ]
    rng = np.random.default_rng(0)
    a, w, b = (rng.standard_normal(s, dtype=np.float32) for s in ((32, 64), (64, 48), (48,)))
    out = compiled(a, w, b)
    assert isinstance(out, np.ndarray) and out.shape == (32, 48) and out.dtype == np.float32
    np.testing.assert_allclose(out, a @ w + b, rtol=1e-5, atol=1e-5)


def test_tm_tensor_ops_compile_and_match():
    """sort and cumprod lower to tm_tensor ops, which kiln bufferizes and lowers to loops."""
    x = torch.randn(4, 4)
    compiled = kiln.compile(SortAndScan(), x, threads=1)
    torch.testing.assert_close(compiled(x), SortAndScan()(x), rtol=1e-5, atol=1e-6)


class CountDependentBranch(nn.Module):
    """SSDLite's NMS in small: an ``if`` on the size of a mask-selected tensor."""

    def forward(self, x):
        kept = x[x > 0]
        if kept.numel() > 10:
            return kept * 2
        return kept + 1


def test_data_dependent_branch_error_is_not_buried_under_the_partial_graph(capfd):
    # torch.export printed its partial graph to stderr before raising (460 kB for SSDLite);
    # kiln's error alone names the construct and the line.
    with pytest.raises(kiln.UnsupportedOpsError) as info:
        kiln.compile(CountDependentBranch(), torch.randn(64), threads=1)
    line = _line_of(CountDependentBranch, "if kept.numel() > 10:")
    assert f"{__file__}:{line}:" in str(info.value)
    assert "computed from tensor data" in str(info.value)
    printed = capfd.readouterr().err
    assert "def forward" not in printed, printed[:500]


def test_what_a_successful_trace_prints_still_reaches_stderr(capfd):
    class Noisy(nn.Module):
        def forward(self, x):
            import sys

            print("traced once", file=sys.stderr)
            return x + 1

    kiln.compile(Noisy(), torch.randn(4), threads=1)
    assert "traced once" in capfd.readouterr().err


_FAKE_LIBRARY = """import torch


class Block(torch.nn.Module):
    def forward(self, x):
        a = torch.nextafter(x, x + 1)
        b = torch.erfinv(x)
        return a.sum() + b
"""


class CallsALibrary(nn.Module):
    """A model from an installed library (a Hugging Face model), called from the user's code."""

    def __init__(self, block: nn.Module):
        super().__init__()
        self.block = block

    def forward(self, x):
        return self.block(x) * 2


def test_unsupported_op_in_a_model_library_names_the_librarys_line(tmp_path, monkeypatch):
    # The user's line of a library model is their call of it: FNet's complex FFT was
    # reported at the user's wrapper only. The library's line and code come with it.
    library = tmp_path / "site-packages" / "fakelib.py"
    library.parent.mkdir()
    library.write_text(_FAKE_LIBRARY)
    monkeypatch.syspath_prepend(str(library.parent))
    fakelib = __import__("fakelib")
    with pytest.raises(kiln.UnsupportedOpsError) as info:
        kiln.compile(CallsALibrary(fakelib.Block()), torch.rand(4, 4) * 0.5, threads=1)
    by_op = {u.op.split(".")[1]: u for u in info.value.ops}
    assert set(by_op) == {"nextafter", "erfinv"}, info.value.ops  # unknown + not lowered
    user_line = _line_of(CallsALibrary, "self.block(x)")
    lines = _FAKE_LIBRARY.splitlines()
    for op, code in (("nextafter", "torch.nextafter(x, x + 1)"), ("erfinv", "torch.erfinv(x)")):
        line = next(i + 1 for i, text in enumerate(lines) if code in text)
        assert by_op[op].location == f"{__file__}:{user_line}:0", by_op[op]
        assert by_op[op].inside == f"{library}:{line}: `{lines[line - 1].strip()}`", by_op[op]
        assert f"at {__file__}:{user_line}:0 (in {library}:{line}: `" in str(info.value)


def test_unsupported_op_in_the_users_own_code_names_no_library():
    with pytest.raises(kiln.UnsupportedOpsError) as info:
        kiln.compile(MixedUnsupported(), torch.rand(4, 4) * 0.5, threads=1)
    assert all(u.inside == "" for u in info.value.ops), info.value.ops
    assert " (in " not in str(info.value)
