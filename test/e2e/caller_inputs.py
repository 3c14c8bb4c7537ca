"""Calls compiled code and checks that it left the caller's inputs bit for bit as they were.

kiln never writes memory the caller owns: an op that updates a tensor in
place (slice_scatter, index_put, a matmul accumulating into an argument)
works on a copy (``kiln-readonly-arguments``). Any e2e test can call a
compiled model through ``call_keeping_inputs`` to check it; the op suite and
the zoo tests do.
"""

from __future__ import annotations

import numpy as np
import torch


def snapshot(inputs) -> list[tuple]:
    """Each input's shape, strides and bytes (torch tensors and numpy arrays)."""
    return [_state(x) for x in inputs]


def assert_unchanged(before: list[tuple], inputs, what: str = "the call") -> None:
    """Fails naming each input whose shape, strides or bytes differ from ``before``."""
    changed = [
        f"input {i}"
        for i, (old, x) in enumerate(zip(before, inputs, strict=True))
        if _state(x) != old
    ]
    assert not changed, f"{what} wrote into {', '.join(changed)}"


def call_keeping_inputs(compiled, *inputs):
    """``compiled(*inputs)``, failing if the call changed any input; returns its outputs."""
    before = snapshot(inputs)
    outputs = compiled(*inputs)
    assert_unchanged(before, inputs, f"calling {getattr(compiled, 'signature', compiled)}")
    return outputs


def _state(x) -> tuple:
    if isinstance(x, torch.Tensor):
        data = x.detach().resolve_neg().contiguous().reshape(-1)
        raw = data.view(torch.uint8).numpy().tobytes() if data.numel() else b""
        return (tuple(x.shape), x.stride(), x.dtype, raw)
    if isinstance(x, np.ndarray):
        return (x.shape, x.strides, x.dtype.str, x.tobytes())
    return (repr(x),)
