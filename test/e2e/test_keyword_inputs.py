"""Models compiled and called with inputs by name (kiln/frontend/keyword_inputs.py).

Hugging Face models are called with keywords (``model(**tokenizer(text))``): kiln.compile
takes ``example_kwargs``, and every compiled PyTorch model takes its inputs positionally
or by name, as the model does. Outputs are compared with eager PyTorch (rtol 1e-5,
atol 1e-5 on f32; the models are small).
"""

from __future__ import annotations

import inspect

import pytest
import torch
from models.torchvision_cpu import import_torchvision

import kiln
from kiln.errors import InputMismatchError, OptionError

RTOL = ATOL = 1e-5


class MaskedScale(torch.nn.Module):
    """``forward(x, mask=None, scale=2.0)``: the mask is optional, as in attention layers."""

    def forward(self, x, mask=None, scale: float = 2.0):
        y = torch.tanh(x) * scale
        if mask is not None:
            y = y.masked_fill(mask, 0.0)
        return y.sum(dim=-1)


def _inputs():
    torch.manual_seed(0)
    x = torch.randn(3, 8)
    mask = torch.rand(3, 8) > 0.5
    return x, mask


@pytest.fixture(scope="module")
def keyword_compiled():
    x, mask = _inputs()
    return kiln.compile(MaskedScale(), x, example_kwargs={"mask": mask}, threads=1)


def test_compiled_with_a_keyword_input_matches_eager(keyword_compiled):
    x, mask = _inputs()
    expected = MaskedScale()(x, mask=mask)
    torch.testing.assert_close(keyword_compiled(x, mask=mask), expected, rtol=RTOL, atol=ATOL)


def test_keyword_compile_takes_the_inputs_positionally_or_by_name(keyword_compiled):
    x, mask = _inputs()
    expected = MaskedScale()(x, mask)
    for call in (
        lambda: keyword_compiled(x, mask),
        lambda: keyword_compiled(mask=mask, x=x),
        lambda: keyword_compiled(x, mask=mask, scale=2.0),  # a default spelled out
    ):
        torch.testing.assert_close(call(), expected, rtol=RTOL, atol=ATOL)


def test_the_mask_is_a_run_time_input_not_a_constant(keyword_compiled):
    x, mask = _inputs()
    other = ~mask
    torch.testing.assert_close(
        keyword_compiled(x, mask=other), MaskedScale()(x, other), rtol=RTOL, atol=ATOL
    )


def test_a_missing_input_is_named(keyword_compiled):
    x, _ = _inputs()
    with pytest.raises(
        InputMismatchError,
        match=r"compiled with the inputs x, mask; this call "
        r"does not pass mask",
    ):
        keyword_compiled(x=x)


def test_an_input_the_compile_did_not_pass_is_named(keyword_compiled):
    x, mask = _inputs()
    with pytest.raises(InputMismatchError, match=r"passes scale, which the compile did not"):
        keyword_compiled(x, mask=mask, scale=3.0)


def test_an_unknown_keyword_is_an_input_mismatch(keyword_compiled):
    x, mask = _inputs()
    with pytest.raises(InputMismatchError, match=r"do not fit the model's signature.*bias"):
        keyword_compiled(x, mask=mask, bias=x)


def test_a_positional_compile_takes_keywords_in_any_order():
    class Difference(torch.nn.Module):
        def forward(self, a, b):
            return a - 2 * b

    a, b = torch.randn(4), torch.randn(4)
    compiled = kiln.compile(Difference(), a, b, threads=1)
    torch.testing.assert_close(compiled(b=b, a=a), a - 2 * b, rtol=RTOL, atol=ATOL)
    torch.testing.assert_close(compiled(a, b=b), a - 2 * b, rtol=RTOL, atol=ATOL)


def test_star_args_are_spread_back_when_called_by_position():
    class Total(torch.nn.Module):
        def forward(self, *xs):
            return sum(xs)

    xs = [torch.randn(5) for _ in range(3)]
    compiled = kiln.compile(Total(), *xs, threads=1)
    torch.testing.assert_close(compiled(*xs), xs[0] + xs[1] + xs[2], rtol=RTOL, atol=ATOL)


def test_a_plain_function_compiles_with_keyword_inputs():
    def gated(x, gate=None):
        return x * torch.sigmoid(gate) if gate is not None else x

    x, gate = torch.randn(6), torch.randn(6)
    compiled = kiln.compile(gated, x, example_kwargs={"gate": gate}, threads=1)
    torch.testing.assert_close(compiled(x, gate=gate), gated(x, gate), rtol=RTOL, atol=ATOL)


def test_dynamic_shapes_are_keyed_by_parameter_name():
    x, mask = _inputs()
    batch = torch.export.Dim("batch", min=2, max=64)
    compiled = kiln.compile(
        MaskedScale(),
        x,
        example_kwargs={"mask": mask},
        dynamic_shapes={"x": {0: batch}, "mask": {0: batch}},
        threads=1,
    )
    big_x, big_mask = torch.randn(9, 8), torch.rand(9, 8) > 0.5
    torch.testing.assert_close(
        compiled(big_x, mask=big_mask), MaskedScale()(big_x, big_mask), rtol=RTOL, atol=ATOL
    )


def test_dynamic_shapes_naming_an_input_not_given_is_an_option_error():
    x, mask = _inputs()
    with pytest.raises(OptionError, match=r"dynamic_shapes names bias"):
        kiln.compile(MaskedScale(), x, example_kwargs={"mask": mask}, dynamic_shapes={"bias": None})


def test_example_kwargs_that_do_not_fit_the_model_are_an_option_error():
    x, mask = _inputs()
    with pytest.raises(OptionError, match=r"do not fit the model.*bias"):
        kiln.compile(MaskedScale(), x, example_kwargs={"bias": mask})


def test_model_inputs_given_as_options_point_to_example_kwargs():
    x, mask = _inputs()
    with pytest.raises(TypeError, match=r"no option mask; .* example_kwargs=\{'mask': \.\.\.\}"):
        kiln.compile(MaskedScale(), x, mask=mask)


def test_example_kwargs_with_mlir_text_are_an_option_error():
    text = "func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> { return %a : tensor<4xf32> }"
    with pytest.raises(OptionError, match=r"takes positional inputs only"):
        kiln.compile(text, torch.randn(4), example_kwargs={"b": torch.randn(4)})


def test_an_unsupported_op_of_a_keyword_compile_is_reported_at_the_users_line():
    class Mantissa(torch.nn.Module):
        def forward(self, x, offset=None):
            return torch.frexp(x + offset).mantissa

    x = torch.rand(4)
    with pytest.raises(kiln.UnsupportedOpsError) as info:
        kiln.compile(Mantissa(), x, example_kwargs={"offset": x}, threads=1)
    (unsupported,) = info.value.ops
    lines, start = inspect.getsourcelines(Mantissa.forward)
    line = start + next(i for i, text in enumerate(lines) if "torch.frexp(" in text)
    assert unsupported.location.startswith(f"{__file__}:{line}"), unsupported


def test_the_library_keeps_the_models_name(keyword_compiled):
    # Files and C symbols are named after the user's model, not kiln's wrapper.
    assert keyword_compiled.info.prefix.startswith("maskedscale"), keyword_compiled.info.prefix


def _tiny_bert():
    """A 2-layer BertModel with random weights (seeded), in eval mode."""
    import_torchvision()  # transformers imports torchvision: through the CPU shim first
    import transformers
    from transformers.models.bert.modeling_bert import BertModel

    config = transformers.BertConfig(
        num_hidden_layers=2,
        hidden_size=64,
        num_attention_heads=2,
        intermediate_size=128,
        vocab_size=500,
    )
    torch.manual_seed(0)
    return BertModel(config).eval()


def test_a_hugging_face_encoder_called_with_its_tokenizers_keywords():
    model = _tiny_bert()
    ids = torch.randint(0, 500, (2, 12))
    mask = torch.ones(2, 12, dtype=torch.long)
    mask[1, 7:] = 0  # the second sequence is padded
    encoding = {"input_ids": ids, "attention_mask": mask}
    compiled = kiln.compile(model, example_kwargs=encoding, threads=1)
    with torch.no_grad():
        expected = model(**encoding)
    got = compiled(**encoding)
    assert type(got) is type(expected)
    for name in ("last_hidden_state", "pooler_output"):
        torch.testing.assert_close(
            getattr(got, name), getattr(expected, name), rtol=1e-4, atol=1e-5
        )


def test_hugging_face_flags_passed_by_name_return_every_hidden_state():
    # output_hidden_states=True arrived in forward as 1 ("hidden state 1 only"): the
    # embedding output and the last layer's came back None (kiln/frontend/export.py).
    model = _tiny_bert()
    inputs = {"input_ids": torch.randint(0, 500, (1, 9)), "output_hidden_states": True}
    compiled = kiln.compile(model, example_kwargs=inputs, threads=1)
    with torch.no_grad():
        expected = model(**inputs).hidden_states
    got = compiled(**inputs).hidden_states
    assert len(got) == len(expected) == 3
    for tensor, expected_tensor in zip(got, expected, strict=True):
        torch.testing.assert_close(tensor, expected_tensor, rtol=1e-4, atol=1e-5)
