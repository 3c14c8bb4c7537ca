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
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

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
        ZooEntry("mlp", MLP, lambda: (torch.randn(32, 784),), 1e-4, 1e-5, "MLP 784-1024-1024-10, batch 32"),
        ZooEntry("cnn", SmallCNN, lambda: (torch.randn(8, 3, 32, 32),), 1e-4, 1e-4, "small CNN with BatchNorm, 8x3x32x32"),
        ZooEntry("resnet18", ResNet18, lambda: (torch.randn(1, 3, 224, 224),), 1e-3, 1e-4, "ResNet-18, 1x3x224x224"),
        ZooEntry("encoder", encoder_layer, lambda: (torch.randn(1, 128, 512),), 1e-4, 1e-4, "Transformer encoder layer, d512 h8 seq128"),
        ZooEntry("gpt2", GPT2Block, lambda: (torch.randn(1, 256, 768),), 1e-4, 1e-4, "GPT-2 block, causal attention, d768 h12 seq256"),
    )
}
