"""kiln/runtime/signature.py: the shapes and dtypes an entry function takes and returns."""

from __future__ import annotations

import re

import numpy as np
import pytest

from kiln.runtime.signature import Signature, TensorSpec, entry_signature


def _func(args: str, results: str = "", name: str = "f", visibility: str = "") -> str:
    """A ``func.func`` of ``args`` returning ``tensor.empty`` values of types ``results``."""
    header = "func.func " + (f"{visibility} " if visibility else "") + f"@{name}({args})"
    if visibility == "private":
        return header
    types = [t.strip() for t in re.split(r",\s*(?=tensor<)", results) if t.strip()]
    lines = [f"  %r{i} = tensor.empty() : {t}" for i, t in enumerate(types)]
    values = ", ".join(f"%r{i}" for i in range(len(types)))
    lines.append(f"  return {values} : {', '.join(types)}" if types else "  return")
    returns = f" -> ({', '.join(types)})" if types else ""
    return header + returns + " {\n" + "\n".join(lines) + "\n}"


@pytest.mark.parametrize(
    ("mlir", "dtype"),
    [
        ("f32", "float32"),
        ("f64", "float64"),
        ("f16", "float16"),
        ("bf16", "bfloat16"),
        ("i64", "int64"),
        ("i32", "int32"),
        ("i16", "int16"),
        ("i8", "int8"),
        ("i1", "bool"),
        ("ui8", "uint8"),
    ],
)
def test_element_types(parse, mlir, dtype):
    module = parse(_func(f"%a: tensor<2x3x{mlir}>"))
    assert entry_signature(module) == Signature("f", (TensorSpec((2, 3), dtype),), ())


def test_inputs_and_outputs_in_order(parse):
    module = parse(
        _func(
            "%a: tensor<32x784xf32>, %b: tensor<10xi64>",
            "tensor<32x10xf32>, tensor<f64>",
            name="forward",
        )
    )
    sig = entry_signature(module)
    assert sig.name == "forward"
    assert [str(s) for s in sig.inputs] == ["float32[32, 784]", "int64[10]"]
    assert [str(s) for s in sig.outputs] == ["float32[32, 10]", "float64[]"]


def test_private_functions_are_not_entry_points(parse):
    module = parse(
        _func("%a: tensor<4xf32>", name="helper", visibility="private")
        + "\n"
        + _func("%a: tensor<8xf32>", name="main")
    )
    assert entry_signature(module).name == "main"
    assert entry_signature(module, "helper").inputs == (TensorSpec((4,), "float32"),)


def test_explicitly_public_function(parse):
    module = parse(_func("%a: tensor<4xf32>", name="pub", visibility="public"))
    assert entry_signature(module).name == "pub"


def test_several_public_functions_need_a_name(parse):
    module = parse(
        _func("%a: tensor<4xf32>", name="one") + "\n" + _func("%a: tensor<4xf32>", name="two")
    )
    with pytest.raises(ValueError, match="one entry function; found 2: one, two"):
        entry_signature(module)
    assert entry_signature(module, "two").name == "two"


def test_unknown_function_name(parse):
    module = parse(_func("%a: tensor<4xf32>"))
    with pytest.raises(ValueError, match="no function 'g' in the module"):
        entry_signature(module, "g")


def test_no_function(parse):
    with pytest.raises(ValueError, match="found 0"):
        entry_signature(parse("module {}"))


@pytest.mark.parametrize("element", ["complex<f32>", "f8E4M3FN", "i4", "index", "ui32"])
def test_unsupported_element_type(parse, element):
    module = parse(_func(f"%a: tensor<4x{element}>"))
    with pytest.raises(
        ValueError, match=f"does not support element type {element} at function boundaries"
    ):
        entry_signature(module)


def test_unsupported_result_element_type(parse):
    module = parse(_func("%a: tensor<4xf32>", "tensor<4xcomplex<f64>>"))
    with pytest.raises(ValueError, match="element type complex<f64>"):
        entry_signature(module)


@pytest.mark.parametrize(("shape", "spec"), [("?x4", (None, 4)), ("4x?", (4, None))])
def test_dynamic_dims_are_none(parse, shape, spec):
    module = parse(_func(f"%a: tensor<{shape}xf32>"))
    signature = entry_signature(module)
    assert signature.inputs[0].shape == spec
    assert signature.dynamic and signature.inputs[0].dynamic
    assert str(signature.inputs[0]) == "float32[" + shape.replace("x", ", ") + "]"
    assert signature.inputs[0].matches(tuple(7 if d is None else d for d in spec))
    assert not signature.inputs[0].matches((4, 4, 1))


@pytest.mark.parametrize("ty", ["tensor<*xf32>", "memref<4xf32>", "f32"])
def test_non_tensor_arguments_are_rejected(parse, ty):
    module = parse(_func(f"%a: {ty}"))
    with pytest.raises(ValueError, match=ty.replace("*", r"\*")):
        entry_signature(module)


def test_tensor_spec():
    spec = TensorSpec((32, 784), "float32")
    assert str(spec) == "float32[32, 784]"
    assert spec.nbytes == 32 * 784 * 4
    assert spec.numpy_dtype == np.float32
    assert str(TensorSpec((), "int64")) == "int64[]"
    assert TensorSpec((), "int64").nbytes == 8
    bf16 = TensorSpec((3, 5), "bfloat16")
    assert bf16.numpy_dtype == np.uint16 and bf16.nbytes == 30
    assert TensorSpec((0, 7), "bool").nbytes == 0
