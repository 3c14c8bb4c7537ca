"""Hugging Face models returning their key/value cache (kiln/frontend/library_pytrees.py).

Causal LMs and encoder-decoders return a ``DynamicCache`` / ``EncoderDecoderCache``
by default (``use_cache=True``); torch.export could not flatten it, so such a model
called as users call it did not compile. Each model here is compiled as it comes
(no wrapper, inputs by name), and its logits and every cache tensor are compared with
eager (rtol 1e-4, atol 1e-5: small f32 models); a second call gives the same answer.
"""

from __future__ import annotations

import pytest
import torch
import torch.utils._pytree as pytree
from models.torchvision_cpu import import_torchvision

import kiln

RTOL, ATOL = 1e-4, 1e-5


def _transformers():
    import_torchvision()  # transformers imports torchvision: through the CPU shim first
    import transformers

    return transformers


def _llama():
    transformers = _transformers()
    config = transformers.LlamaConfig(
        num_hidden_layers=2,
        hidden_size=64,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=128,
        vocab_size=500,
    )
    return transformers.LlamaForCausalLM(config), {}


def _t5():
    transformers = _transformers()
    config = transformers.T5Config(
        num_layers=2, d_model=64, num_heads=2, d_ff=128, d_kv=32, vocab_size=500
    )
    return transformers.T5ForConditionalGeneration(config), {"decoder_input_ids": (1, 5)}


@pytest.mark.parametrize("build", [_llama, _t5], ids=["llama_causal_lm", "t5_seq2seq"])
def test_a_model_returning_its_cache_matches_eager(build):
    torch.manual_seed(0)
    model, extra = build()
    model.eval()
    inputs = {
        "input_ids": torch.randint(0, 500, (1, 12)),
        "attention_mask": torch.ones(1, 12, dtype=torch.long),
    }
    inputs |= {name: torch.randint(0, 500, shape) for name, shape in extra.items()}
    with torch.no_grad():
        expected = model(**inputs)
    compiled = kiln.compile(model, example_kwargs=inputs, threads=1)
    got = compiled(**inputs)
    assert type(got) is type(expected)
    assert type(got.past_key_values) is type(expected.past_key_values)
    torch.testing.assert_close(got.logits, expected.logits, rtol=RTOL, atol=ATOL)
    cache, expected_cache = (pytree.tree_leaves(o.past_key_values) for o in (got, expected))
    assert len(cache) == len(expected_cache) > 0
    for tensor, expected_tensor in zip(cache, expected_cache, strict=True):
        torch.testing.assert_close(tensor, expected_tensor, rtol=RTOL, atol=ATOL)
    torch.testing.assert_close(compiled(**inputs).logits, got.logits, rtol=0, atol=0)
