"""One minimal reproducer per failure class of the real-model tier (docs/models.md).

    cd test/e2e && ../../.venv/bin/python -m models.repros            # every class
    cd test/e2e && ../../.venv/bin/python -m models.repros conv1x1    # one

Each prints the first line of what kiln raises (or "ok" once the class is fixed)
and the tier's models that fail the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Repro:
    name: str
    build: Callable[[], nn.Module]
    inputs: Callable[[], tuple]
    models: str  # the tier's models failing this way


class NonPersistentBuffer(nn.Module):
    """BERT's position_ids, LLaMA's rotary inv_freq: a buffer outside the state_dict."""

    def __init__(self):
        super().__init__()
        self.register_buffer("scale", torch.full((8,), 2.0), persistent=False)

    def forward(self, x):
        return x * self.scale


class TableIndexedByBuffer(nn.Module):
    """Swin's relative position bias: a parameter table gathered by an int64 buffer."""

    def __init__(self):
        super().__init__()
        self.table = nn.Parameter(torch.randn(13, 4))
        self.register_buffer("index", torch.randint(0, 13, (49,)))

    def forward(self, x):
        return x + self.table[self.index].view(7, 7, 4).permute(2, 0, 1)


class PatchEmbedPlusPosition(nn.Module):
    """SigLIP's embeddings: a 16x16 patch conv, flattened, plus a position embedding looked
    up by a constant index buffer."""

    def __init__(self, dim: int = 64):
        super().__init__()
        self.conv = nn.Conv2d(3, dim, 16, 16)
        self.position = nn.Embedding(196, dim)
        self.register_buffer("ids", torch.arange(196)[None], persistent=False)

    def forward(self, x):
        return self.conv(x).flatten(2).transpose(1, 2) + self.position(self.ids)


class Attention(nn.Module):
    """Single-head attention over ``tokens`` tokens (ViT: 197, Whisper, SigLIP: 196)."""

    def forward(self, q, k, v):
        return torch.softmax(q @ k.transpose(-1, -2) * 0.125, dim=-1) @ v


def _conv(*args, **kwargs) -> Callable[[], nn.Module]:
    return lambda: nn.Conv2d(*args, **kwargs)


def _randn(*shape) -> Callable[[], tuple]:
    return lambda: (torch.randn(*shape),)


REPROS = {
    r.name: r
    for r in [
        Repro(
            "non_persistent_buffer", NonPersistentBuffer, _randn(2, 8), "filled in from the tier"
        ),
        Repro(
            "table_indexed_by_buffer",
            TableIndexedByBuffer,
            _randn(1, 4, 7, 7),
            "fixed on main: was swin_t, swin_v2_t (and levit, coatnet, tiny_vit behind the class above)",
        ),
        Repro(
            "conv1x1",
            _conv(16, 64, 1),
            _randn(1, 16, 56, 56),
            "10: mobilenet_v2/v3, efficientnet_b0 (both), mnasnet, regnet_y, squeezenet, fastvit, rexnet",
        ),
        Repro(
            "depthwise_112",
            _conv(32, 32, 3, padding=1, groups=32),
            _randn(1, 32, 112, 112),
            "ghostnet, edgenext, mobilevit, regnet_x_800mf, levit, coatnet, tiny_vit (as attention_197)",
        ),
        Repro(
            "attention_197",
            Attention,
            lambda: tuple(torch.randn(1, 197, 64) for _ in range(3)),
            "vit_b_16, vit_hf, deit, maxvit, whisper (128 positions); gpt2 (LM head, 50257 columns)",
        ),
        Repro(
            "patch_embed_plus_position",
            PatchEmbedPlusPosition,
            _randn(1, 3, 224, 224),
            "fixed (8f05cd3): was siglip_vision; deberta_v2 (bmm + gathered relative-position scores)",
        ),
    ]
}


def first_error_line(repro: Repro) -> str:
    """'ok' if kiln compiles the repro and matches eager, else the first line of its error."""
    import kiln

    torch.manual_seed(0)
    model, inputs = repro.build().eval(), repro.inputs()
    try:
        out = kiln.compile(model, *inputs, threads=2)(*inputs)
    except Exception as err:
        lines = [line for line in str(err).splitlines() if line.strip()]
        detail = lines[1] if len(lines) > 1 and lines[0].startswith("kiln: stage") else lines[0]
        stage = getattr(err, "stage", None)
        return f"{type(err).__name__}{f' [{stage}]' if stage else ''}: {detail.strip()}"
    with torch.no_grad():
        ok = torch.allclose(out, model(*inputs), rtol=1e-4, atol=1e-5)
    return "ok" if ok else "mismatch"


def main(argv: list[str]) -> int:
    import warnings

    warnings.filterwarnings("ignore")
    for name in argv or REPROS:
        repro = REPROS[name]
        print(f"{name}: {first_error_line(repro)}\n    models: {repro.models}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
