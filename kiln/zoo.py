"""A zoo of real PyTorch models (plain torch.nn, no torchvision) for tests, examples and benchmarks.

Each entry builds the model with fixed seeds, its example inputs, and the
tolerances kiln's results must meet against eager PyTorch. Importing this
module imports torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    """784 -> 1024 -> 1024 -> 10 with ReLU (the classic MNIST MLP, batch 32)."""

    def __init__(self):
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(784, 1024), nn.Linear(1024, 1024), nn.Linear(1024, 10)

    def forward(self, x):
        return self.l3(torch.relu(self.l2(torch.relu(self.l1(x)))))


class SmallCNN(nn.Module):
    """Two conv-BatchNorm-ReLU-maxpool stages and a linear head, on 32x32 images."""

    def __init__(self):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32)
        self.c2, self.b2 = nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64)
        self.fc = nn.Linear(64 * 8 * 8, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.b1(self.c1(x))), 2)
        x = F.max_pool2d(F.relu(self.b2(self.c2(x))), 2)
        return self.fc(x.flatten(1))


class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 conv-BN, a projection shortcut when the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        identity = x if self.down is None else self.down(x)
        return F.relu(self.b2(self.c2(F.relu(self.b1(self.c1(x))))) + identity)


class ResNet18(nn.Module):
    """ResNet-18 (He et al. 2015), the torchvision layout written with plain torch.nn."""

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64)
        blocks, cin = [], 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            blocks += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.layers = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        x = self.layers(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class GPT2Block(nn.Module):
    """A GPT-2 decoder block: pre-LayerNorm causal self-attention and a GELU MLP."""

    def __init__(self, d: int = 768, heads: int = 12, seq: int = 256):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.register_buffer("mask", torch.tril(torch.ones(seq, seq, dtype=torch.bool)))

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.attn(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(c // self.heads))
        att = att.masked_fill(~self.mask[:t, :t], float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, c)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc(self.ln2(x))))


def encoder_layer() -> nn.Module:
    """torch.nn.TransformerEncoderLayer: d_model 512, 8 heads, FFN 2048, batch-first."""
    return nn.TransformerEncoderLayer(512, 8, 2048, dropout=0.0, batch_first=True)


@dataclass(frozen=True)
class ZooEntry:
    """A model of the zoo: how to build it and its inputs, and the tolerances it must meet."""

    name: str
    build: Callable[[], nn.Module]
    inputs: Callable[[], tuple]
    rtol: float
    atol: float
    description: str

    def make(self, seed: int = 0) -> tuple[nn.Module, tuple]:
        """The model in eval mode with seeded weights (BatchNorm statistics randomized) and inputs."""
        torch.manual_seed(seed)
        model = self.build().eval()
        with torch.no_grad():
            for module in model.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.running_mean.uniform_(-0.5, 0.5)
                    module.running_var.uniform_(0.5, 1.5)
                    module.weight.uniform_(0.5, 1.5)
                    module.bias.uniform_(-0.5, 0.5)
        return model, self.inputs()


ZOO: dict[str, ZooEntry] = {
    e.name: e
    for e in (
        ZooEntry(
            "mlp",
            MLP,
            lambda: (torch.randn(32, 784),),
            1e-4,
            1e-5,
            "MLP 784-1024-1024-10, batch 32",
        ),
        ZooEntry(
            "cnn",
            SmallCNN,
            lambda: (torch.randn(8, 3, 32, 32),),
            1e-4,
            1e-4,
            "small CNN with BatchNorm, 8x3x32x32",
        ),
        ZooEntry(
            "resnet18",
            ResNet18,
            lambda: (torch.randn(1, 3, 224, 224),),
            1e-3,
            1e-4,
            "ResNet-18, 1x3x224x224",
        ),
        ZooEntry(
            "encoder",
            encoder_layer,
            lambda: (torch.randn(1, 128, 512),),
            1e-4,
            1e-4,
            "Transformer encoder layer, d512 h8 seq128",
        ),
        ZooEntry(
            "gpt2",
            GPT2Block,
            lambda: (torch.randn(1, 256, 768),),
            1e-4,
            1e-4,
            "GPT-2 block, causal attention, d768 h12 seq256",
        ),
    )
}


# --- the wider zoo (coverage beyond the five core models) -------------------


class DepthwiseSeparable(nn.Module):
    """MobileNet-v1 block: depthwise 3x3 conv, BN, ReLU6, pointwise 1x1 conv, BN, ReLU6."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False)
        self.b1 = nn.BatchNorm2d(cin)
        self.pw = nn.Conv2d(cin, cout, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu6(self.b2(self.pw(F.relu6(self.b1(self.dw(x))))))


class MobileNetSmall(nn.Module):
    """A MobileNet-style CNN of depthwise-separable blocks on 64x64 images."""

    def __init__(self, num_classes: int = 100):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6()
        )
        cfg = ((32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1))
        self.blocks = nn.Sequential(*(DepthwiseSeparable(i, o, s) for i, o, s in cfg))
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1), 1))


class GRUClassifier(nn.Module):
    """A one-layer GRU over a sequence, classifying from the last hidden state."""

    def __init__(self, features: int = 32, hidden: int = 64, classes: int = 10):
        super().__init__()
        self.gru = nn.GRU(features, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.fc(out[:, -1])


class LSTMClassifier(nn.Module):
    """A one-layer LSTM over a sequence, classifying from the last hidden state."""

    def __init__(self, features: int = 32, hidden: int = 64, classes: int = 10):
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


class ViTSmall(nn.Module):
    """A small Vision Transformer: 8x8 patches of 32x32 images, 4 pre-norm encoder layers, CLS head."""

    def __init__(self, dim: int = 128, depth: int = 4, heads: int = 4, classes: int = 10):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 8, 8)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, 17, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(
            dim, heads, 4 * dim, dropout=0.0, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        tokens = self.patch(x).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.cls.expand(x.shape[0], -1, -1), tokens], dim=1) + self.pos
        return self.head(self.norm(self.encoder(tokens))[:, 0])


class BertEncoder(nn.Module):
    """A BERT-style encoder: token + position embeddings, 2 post-norm layers, padding mask."""

    def __init__(
        self, vocab: int = 1000, dim: int = 128, depth: int = 2, heads: int = 4, seq: int = 64
    ):
        super().__init__()
        self.tokens = nn.Embedding(vocab, dim)
        self.positions = nn.Embedding(seq, dim)
        self.norm = nn.LayerNorm(dim)
        layer = nn.TransformerEncoderLayer(
            dim, heads, 4 * dim, dropout=0.0, batch_first=True, activation="gelu"
        )
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)

    def forward(self, ids, attention_mask):
        positions = torch.arange(ids.shape[1], device=ids.device)
        h = self.norm(self.tokens(ids) + self.positions(positions))
        return self.encoder(h, src_key_padding_mask=attention_mask == 0)


class MixerBlock(nn.Module):
    """MLP-Mixer block: token-mixing MLP across patches, channel-mixing MLP across features."""

    def __init__(self, tokens: int, dim: int):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.token_mlp = nn.Sequential(
            nn.Linear(tokens, 2 * tokens), nn.GELU(), nn.Linear(2 * tokens, tokens)
        )
        self.channel_mlp = nn.Sequential(
            nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim)
        )

    def forward(self, x):
        x = x + self.token_mlp(self.n1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mlp(self.n2(x))


class MLPMixer(nn.Module):
    """A small MLP-Mixer on 32x32 images with 4x4 patches."""

    def __init__(self, dim: int = 128, depth: int = 3, classes: int = 10):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 4, 4)
        self.blocks = nn.Sequential(*(MixerBlock(64, dim) for _ in range(depth)))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.blocks(self.patch(x).flatten(2).transpose(1, 2))
        return self.head(self.norm(x).mean(dim=1))


class TokenClassifier(nn.Module):
    """int64 token ids -> embedding -> mean pooling -> MLP: a model with integer inputs."""

    def __init__(self, vocab: int = 5000, dim: int = 64, classes: int = 5):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 128), nn.ReLU(), nn.Linear(128, classes))

    def forward(self, ids):
        return self.mlp(self.embed(ids).mean(dim=1))


def _bert_inputs():
    ids = torch.randint(0, 1000, (2, 64))
    mask = torch.ones(2, 64, dtype=torch.int64)
    mask[1, 40:] = 0
    return ids, mask


WIDER_ZOO: dict[str, ZooEntry] = {
    e.name: e
    for e in (
        ZooEntry(
            "mobilenet",
            MobileNetSmall,
            lambda: (torch.randn(2, 3, 64, 64),),
            1e-4,
            1e-4,
            "MobileNet-style CNN, 2x3x64x64",
        ),
        ZooEntry(
            "gru",
            GRUClassifier,
            lambda: (torch.randn(4, 20, 32),),
            1e-4,
            1e-5,
            "GRU classifier, 4x20x32",
        ),
        ZooEntry(
            "lstm",
            LSTMClassifier,
            lambda: (torch.randn(4, 20, 32),),
            1e-4,
            1e-5,
            "LSTM classifier, 4x20x32",
        ),
        ZooEntry(
            "vit",
            ViTSmall,
            lambda: (torch.randn(2, 3, 32, 32),),
            1e-4,
            1e-4,
            "small ViT, 2x3x32x32",
        ),
        ZooEntry(
            "bert",
            BertEncoder,
            _bert_inputs,
            1e-4,
            1e-4,
            "BERT-style encoder with padding mask, 2x64 ids",
        ),
        ZooEntry(
            "mixer",
            MLPMixer,
            lambda: (torch.randn(2, 3, 32, 32),),
            1e-4,
            1e-4,
            "MLP-Mixer, 2x3x32x32",
        ),
        ZooEntry(
            "tokens",
            TokenClassifier,
            lambda: (torch.randint(0, 5000, (8, 32)),),
            1e-5,
            1e-6,
            "int64 token ids into an embedding, 8x32",
        ),
    )
}
