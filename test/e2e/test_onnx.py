"""The ONNX frontend: zoo models exported by torch.onnx and compiled from their .onnx
files match eager PyTorch; unsupported ops, symbolic dims and malformed files give
kiln errors that say what is wrong and where."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import kiln
from kiln.errors import KilnError, UnsupportedOpsError
from kiln.targets import host_target
from kiln.zoo import ZOO

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

from kiln.frontend.onnx_import import import_onnx_model  # noqa: E402


def _export(model: torch.nn.Module, inputs: tuple, path, **options) -> None:
    """torch.onnx.export with the TorchScript exporter at opset 17."""
    # nn.MultiheadAttention's fast path is one fused op that ONNX cannot express.
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                inputs,
                str(path),
                dynamo=False,
                opset_version=17,
                input_names=["x"],
                **options,
            )
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)


@pytest.mark.parametrize(
    "name",
    [
        "mlp",
        "cnn",
        "resnet18",
        "gpt2",
    ],
)
def test_zoo_model_from_onnx_matches_eager(name, tmp_path):
    entry = ZOO[name]
    model, inputs = entry.make()
    path = tmp_path / f"{name}.onnx"
    _export(model, inputs, path)
    with torch.no_grad():
        reference = model(*inputs)
    compiled = kiln.compile(path, threads=1)
    assert compiled.signature.name == "main_graph"  # the graph's name
    out = compiled(*inputs)
    assert out.shape == reference.shape
    torch.testing.assert_close(out, reference, rtol=entry.rtol, atol=entry.atol)


def test_1d_convolutions_from_onnx_take_the_2d_schedules(tmp_path):
    """torch-mlir imports an ONNX Conv over one spatial dim as linalg.conv_1d_ncw_fcw
    (no kiln schedule: plain loops, 56x slower than eager); kiln-conv-1d-to-2d makes it
    2-D. Whisper's stem (two 3-tap 1-D convolutions, GELU) and a depthwise 1-D one."""
    model = torch.nn.Sequential(
        torch.nn.Conv1d(80, 96, 3, padding=1),
        torch.nn.GELU(),
        torch.nn.Conv1d(96, 96, 3, stride=2, padding=1),
        torch.nn.Conv1d(96, 96, 7, padding=3, groups=96),
    ).eval()
    x = torch.randn(1, 80, 64)
    path = tmp_path / "conv1d.onnx"
    _export(model, (x,), path)
    compiled = kiln.compile(path, threads=1, dump_dir=tmp_path)
    with torch.no_grad():
        reference = model(x)
    torch.testing.assert_close(compiled(x), reference, rtol=1e-5, atol=1e-5)
    (graph,) = tmp_path.glob("*.01-graph.mlir")
    assert "conv_1d" not in graph.read_text()
    assert "linalg.conv_2d_nhwc_hwcf" in graph.read_text()


def _model_with_unsupported_ops() -> onnx.ModelProto:
    """Relu and Mod between two CumProd (no conversion in torch-mlir) and a MaxPool whose
    storage_order=1 torch-mlir's conversion rejects; the last CumProd has no name."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 4, 4])
    nodes = [
        helper.make_node("CumProd", ["x", "axis"], ["a"], name="cumprod"),
        helper.make_node("Relu", ["a"], ["b"], name="relu"),
        helper.make_node(
            "MaxPool", ["b"], ["c"], name="pool", kernel_shape=[1, 1], storage_order=1
        ),
        helper.make_node("Mod", ["c", "x"], ["d"], name="mod", fmod=1),
        helper.make_node("CumProd", ["d", "axis"], ["y"]),
    ]
    axis = helper.make_tensor("axis", TensorProto.INT64, [], [3])
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=[axis])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 26)])


def test_unsupported_onnx_ops_are_all_reported_by_node(tmp_path):
    proto = _model_with_unsupported_ops()
    path = tmp_path / "unsupported.onnx"
    onnx.save(proto, path)
    with pytest.raises(UnsupportedOpsError) as info:
        kiln.compile(path)
    found = [(u.op, u.location) for u in info.value.ops]
    assert found == [
        ("onnx.CumProd", "cumprod"),
        ("onnx.MaxPool", "pool"),
        ("onnx.CumProd", "CumProd#4"),
    ]
    message = str(info.value)
    assert "3 op(s)" in message
    assert "onnx.CumProd at cumprod: no conversion in torch-mlir" in message
    assert "onnx.MaxPool at pool" in message


def test_a_model_proto_is_not_modified(tmp_path):
    proto = _model_with_unsupported_ops()
    before = proto.SerializeToString()
    with pytest.raises(UnsupportedOpsError):
        import_onnx_model(proto)
    assert proto.SerializeToString() == before  # the unnamed node was named in a copy


@pytest.fixture(scope="module")
def batch_dim_cnn(tmp_path_factory):
    """The zoo CNN exported with a symbolic batch dim, and the model."""
    model, inputs = ZOO["cnn"].make()
    path = tmp_path_factory.mktemp("onnx") / "cnn_batch.onnx"
    _export(
        model, inputs, path, output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}
    )
    return path, model


def test_symbolic_batch_dim_without_shapes_is_an_error(batch_dim_cnn):
    path, _ = batch_dim_cnn
    with pytest.raises(KilnError, match=r"dynamic dims: x: \[batch, 3, 32, 32\]"):
        kiln.compile(path)


def test_symbolic_batch_dim_fixed_by_example_inputs(batch_dim_cnn):
    path, model = batch_dim_cnn
    x = torch.randn(4, 3, 32, 32)
    compiled = kiln.compile(str(path), x, threads=1)
    with torch.no_grad():
        reference = model(x)
    entry = ZOO["cnn"]
    torch.testing.assert_close(compiled(x), reference, rtol=entry.rtol, atol=entry.atol)


def test_symbolic_batch_dim_fixed_by_input_shapes(batch_dim_cnn):
    path, _ = batch_dim_cnn
    module = import_onnx_model(path, "net", input_shapes={"x": (2, 3, 32, 32)})
    assert "func.func @net(%arg0: tensor<2x3x32x32xf32>) -> tensor<2x10xf32>" in str(module)


@pytest.mark.parametrize(
    "shapes, error",
    [
        (
            {"x": (2, 4, 32, 32)},
            r"input 'x' has shape \[batch, 3, 32, 32\]; got shape \[2, 4, 32, 32\]",
        ),
        ([(2, 3, 32)], r"input 'x' has rank 4"),
        ({"image": (2, 3, 32, 32)}, r"input_shapes names \['image'\], not inputs"),
        ([(2, 3, 32, 32), (1,)], r"2 input shape\(s\) given for the ONNX graph's 1 input"),
    ],
)
def test_input_shapes_that_do_not_fit_are_errors(batch_dim_cnn, shapes, error):
    path, _ = batch_dim_cnn
    with pytest.raises(KilnError, match=error):
        import_onnx_model(path, input_shapes=shapes)


@pytest.mark.parametrize(
    "content, error",
    [
        (b"this is not a protobuf", r"is not a readable ONNX model: DecodeError"),
        (b"", r"is not a valid ONNX model: ValidationError"),  # parses as an empty ModelProto
    ],
    ids=["garbage", "empty"],
)
def test_malformed_onnx_file_is_a_kiln_error(tmp_path, content, error):
    path = tmp_path / "broken.onnx"
    path.write_bytes(content)
    with pytest.raises(KilnError, match=error) as info:
        kiln.compile(path)
    assert str(path) in str(info.value)


def test_missing_onnx_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such .onnx file"):
        kiln.compile(tmp_path / "absent.onnx")


def _qdq_linear_model(rng) -> tuple[onnx.ModelProto, dict]:
    """An ONNX QDQ model as ONNX Runtime's quantize_static writes them: uint8 activations
    (QuantizeLinear -> DequantizeLinear), int8 weights per output channel, float MatMul,
    bias, ReLU, and the output requantized."""
    w = rng.integers(-127, 128, size=(32, 16)).astype("int8")
    consts = {
        "sx": np.float32(0.05),
        "zx": np.uint8(128),
        "w": w,
        "sw": rng.uniform(0.001, 0.01, size=16).astype("float32"),
        "zw": np.zeros(16, dtype="int8"),
        "b": rng.standard_normal(16).astype("float32"),
        "sy": np.float32(0.02),
        "zy": np.uint8(0),
    }
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "sx", "zx"], ["xd"]),
        helper.make_node("DequantizeLinear", ["w", "sw", "zw"], ["wd"], axis=1),
        helper.make_node("MatMul", ["xd", "wd"], ["m"]),
        helper.make_node("Add", ["m", "b"], ["a"]),
        helper.make_node("Relu", ["a"], ["r"]),
        helper.make_node("QuantizeLinear", ["r", "sy", "zy"], ["yq"]),
        helper.make_node("DequantizeLinear", ["yq", "sy", "zy"], ["y"]),
    ]
    initializers = [onnx.numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items()]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 32])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 16])
    graph = helper.make_graph(nodes, "qdq", [x], [y], initializer=initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), consts


def _quantize(x, scale, zero, low, high):
    return np.clip(np.round(x / scale) + zero, low, high)  # np.round: ties to even, as ONNX


def test_onnx_qdq_model_computes_the_quantized_answer(tmp_path):
    # The reference is ONNX's QDQ semantics in float64 numpy. Where the requantized output
    # lands on a rounding tie, a float32 sum in another order may give the next step: at
    # most one step (sy) anywhere, and almost everywhere exactly the same value.
    rng = np.random.default_rng(0)
    proto, c = _qdq_linear_model(rng)
    path = tmp_path / "qdq.onnx"
    onnx.save(proto, path)
    x = rng.standard_normal((4, 32)).astype("float32") * 3  # some values saturate at 0 / 255
    xd = (_quantize(x, c["sx"], 128, 0, 255) - 128) * np.float64(c["sx"])
    wd = c["w"].astype(np.float64) * c["sw"]
    r = np.maximum(xd @ wd + c["b"], 0)
    expected = _quantize(r, c["sy"], 0, 0, 255) * np.float64(c["sy"])

    dump = tmp_path / "dump"
    got = kiln.compile(path, x, threads=1, dump_dir=dump)(x)
    assert got.shape == expected.shape and got.dtype == np.float32
    # Where the CPU has AVX512-VNNI the MatMul runs as u8 x s8 vpdpbusd dot products (the
    # DequantizeLinear's per-channel i8 zero point, all 0, kept it f32 before).
    (llvm,) = dump.glob("*.07-llvm.mlir")
    int8 = "llvm.x86.avx512.vpdpbusd.512" in llvm.read_text()
    assert int8 == host_target(1).avx512_vnni
    difference = np.abs(got - expected)
    assert difference.max() <= c["sy"] * 1.0001
    assert np.mean(difference > 1e-6) <= 0.02
