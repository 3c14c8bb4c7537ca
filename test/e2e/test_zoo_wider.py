"""The wider zoo (kiln.zoo.WIDER_ZOO) matches eager PyTorch at the zoo's tolerances.

MobileNet-style depthwise-separable CNN, GRU, LSTM, a small ViT, a BERT-style
encoder with a padding mask, an MLP-Mixer, and a model taking int64 token ids.
"""

import pytest
import torch

import kiln
from kiln.zoo import WIDER_ZOO


@pytest.mark.parametrize("name", sorted(WIDER_ZOO))
def test_wider_zoo_matches_eager(name):
    entry = WIDER_ZOO[name]
    model, inputs = entry.make()
    compiled = kiln.compile(model, *inputs, threads=2)
    with torch.no_grad():
        reference = model(*inputs)
    out = compiled(*inputs)
    assert (
        isinstance(out, torch.Tensor)
        and out.shape == reference.shape
        and out.dtype == reference.dtype
    )
    torch.testing.assert_close(out, reference, rtol=entry.rtol, atol=entry.atol)
    # A second call with new inputs of the same shapes still matches.
    _, fresh = entry.make(seed=1)
    with torch.no_grad():
        torch.testing.assert_close(
            compiled(*fresh), model(*fresh), rtol=entry.rtol, atol=entry.atol
        )


def test_integer_inputs_are_checked():
    """The token model takes int64 ids: float ids are a dtype mismatch, reported before running."""
    entry = WIDER_ZOO["tokens"]
    model, (ids,) = entry.make()
    compiled = kiln.compile(model, ids, threads=1)
    with pytest.raises(
        kiln.InputMismatchError, match=r"expected int64\[8, 32\], got float32\[8, 32\]"
    ):
        compiled(ids.float())
