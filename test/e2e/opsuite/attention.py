"""Attention: written by hand (scores, causal mask, softmax, values) and
F.scaled_dot_product_attention with and without is_causal and masks."""

from __future__ import annotations

import functools
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .registry import F32_SUM, fn, registrar

XFAIL: dict[str, str] = {}

case = registrar("attention", XFAIL)


class HandAttention(nn.Module):
    """softmax(q k^T / sqrt(d) [+ causal -inf mask]) v over (batch, heads, seq, dim)."""

    def __init__(self, causal: bool, mask_style: str = "masked_fill"):
        super().__init__()
        self.causal, self.mask_style = causal, mask_style

    def forward(self, q, k, v):
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        if self.causal:
            lq, lk = scores.shape[-2:]
            if self.mask_style == "masked_fill":
                mask = torch.ones(lq, lk, dtype=torch.bool).triu(1)
                scores = scores.masked_fill(mask, float("-inf"))
            else:  # additive mask
                scores = scores + torch.full((lq, lk), float("-inf")).triu(1)
        return scores.softmax(-1) @ v


class SelfAttention(nn.Module):
    """One multi-head causal self-attention layer: qkv projection, heads, output projection."""

    def __init__(self, dim: int = 16, heads: int = 2):
        super().__init__()
        self.heads = heads
        self.qkv, self.out = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.qkv(x).view(b, s, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.out(y.transpose(1, 2).reshape(b, s, d))


def qkv(batch, heads, lq, lk, dim):
    return lambda t: (
        t.randn(batch, heads, lq, dim),
        t.randn(batch, heads, lk, dim),
        t.randn(batch, heads, lk, dim),
    )


case("hand_attention", lambda: HandAttention(causal=False), qkv(1, 2, 5, 5, 8), tol=F32_SUM)
case("hand_causal_masked_fill", lambda: HandAttention(causal=True), qkv(2, 2, 6, 6, 8), tol=F32_SUM)
case(
    "hand_causal_additive",
    lambda: HandAttention(causal=True, mask_style="add"),
    qkv(1, 3, 7, 7, 4),
    tol=F32_SUM,
)
case("hand_cross_attention", lambda: HandAttention(causal=False), qkv(1, 2, 3, 9, 8), tol=F32_SUM)
case(
    "hand_attention_3d",
    lambda: HandAttention(causal=True),
    lambda t: (t.randn(2, 5, 6), t.randn(2, 5, 6), t.randn(2, 5, 6)),
    tol=F32_SUM,
)

case("sdpa", fn(F.scaled_dot_product_attention), qkv(1, 2, 5, 5, 8), tol=F32_SUM)
case(
    "sdpa_causal",
    fn(functools.partial(F.scaled_dot_product_attention, is_causal=True)),
    qkv(2, 2, 6, 6, 8),
    tol=F32_SUM,
)
case("sdpa_cross", fn(F.scaled_dot_product_attention), qkv(1, 2, 3, 9, 8), tol=F32_SUM)
case(
    "sdpa_scale",
    fn(functools.partial(F.scaled_dot_product_attention, scale=0.3)),
    qkv(1, 1, 4, 4, 6),
    tol=F32_SUM,
)
case("sdpa_odd_dims", fn(F.scaled_dot_product_attention), qkv(1, 3, 7, 11, 5), tol=F32_SUM)
case(
    "sdpa_float_mask",
    fn(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m)),
    lambda t: (*qkv(1, 2, 4, 6, 8)(t), t.randn(4, 6)),
    tol=F32_SUM,
)
case(
    "sdpa_bool_mask",
    fn(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m)),
    lambda t: (*qkv(1, 2, 4, 6, 8)(t), t.bools(4, 6) | torch.eye(4, 6, dtype=torch.bool)),
    tol=F32_SUM,
)
case(
    "sdpa_3d",
    fn(F.scaled_dot_product_attention),
    lambda t: (t.randn(2, 5, 8), t.randn(2, 5, 8), t.randn(2, 5, 8)),
    tol=F32_SUM,
)
# Sequence lengths that are not a multiple of the vector tiles (ViT's 197, 65): the
# copies bufferization makes have partial last tiles.
case("sdpa_seq65", fn(F.scaled_dot_product_attention), qkv(1, 2, 65, 65, 16), tol=F32_SUM)
case(
    "multihead_attention_seq197_12_heads",
    lambda: nn.MultiheadAttention(96, 12, batch_first=True),
    lambda t: (t.randn(1, 197, 96),) * 3,
    tol=F32_SUM,
)
case("self_attention_layer", SelfAttention, lambda t: (t.randn(2, 6, 16),), tol=F32_SUM)
case(
    "multihead_attention",
    lambda: nn.MultiheadAttention(16, 4, batch_first=True),
    lambda t: (t.randn(2, 5, 16), t.randn(2, 7, 16), t.randn(2, 7, 16)),
    tol=F32_SUM,
)
