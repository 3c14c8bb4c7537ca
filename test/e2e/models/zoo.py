"""The real-model tier: architectures from torchvision, timm and transformers.

Every model is built from its library's own config with random weights
(``torch.manual_seed(0)``; nothing is downloaded; weights the library zeroes are
drawn at random too) and fed seeded inputs: batch
1, 224x224 images, 128 tokens. Transformer stacks keep their real widths but
fewer layers (``layers`` in the table below) so the tier stays fast; the
vocabularies of the decoders are 32000. Hugging Face models are wrapped to
return one tensor (logits or the last hidden state): the tier tests the model's
body, not the ``ModelOutput`` container.

``EXPECTED`` lists the models known to fail, each with the start of its error
(or "mismatch") and the reason measured by ``run_tier``; ``test_real_models``
treats them as strict expected failures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from models.torchvision_cpu import import_torchvision

# timm and transformers import torchvision themselves: it must come through the shim first.
import_torchvision()

IMAGE = (1, 3, 224, 224)
TOKENS = 128
PADDED = 32  # encoders see a padding mask whose last PADDED tokens are padding
VOCAB = 32000


@dataclass(frozen=True)
class ModelCase:
    """One architecture: how to build it and its inputs, and where it comes from."""

    name: str
    source: str  # "torchvision", "timm" or "transformers"
    build: Callable[[], nn.Module]
    inputs: Callable[[torch.Generator], tuple]
    fast: bool = False  # in the CI subset
    note: str = ""  # what was shrunk or changed from the published config
    tags: tuple[str, ...] = field(default=())

    def make(self, seed: int = 0) -> tuple[nn.Module, tuple]:
        """The model in eval mode (weights from seed 0) and inputs from ``seed``."""
        torch.manual_seed(0)
        model = self.build().eval()
        _randomize_zero_weights(model)
        generator = torch.Generator().manual_seed(seed)
        return model, self.inputs(generator)


def _randomize_zero_weights(model: nn.Module) -> None:
    """Draws the weights a library initializes to zero (torchvision ViT's and timm Mixer's
    classifier heads, LeViT's and TinyViT's attention-bias tables) from N(0, 0.02). Left
    zero, the model's output (or the gather of those tables) does not depend on the code
    kiln compiled, and any result would match."""
    with torch.no_grad():
        for weight in model.parameters():
            if weight.dim() >= 2 and not weight.any():
                weight.normal_(0.0, 0.02)


def image(generator: torch.Generator) -> tuple:
    return (torch.randn(IMAGE, generator=generator),)


def tokens_with_padding(generator: torch.Generator) -> tuple:
    ids = torch.randint(0, 1000, (1, TOKENS), generator=generator)
    mask = torch.ones(1, TOKENS, dtype=torch.int64)
    mask[:, TOKENS - PADDED :] = 0
    return ids, mask


def tokens(generator: torch.Generator) -> tuple:
    return (torch.randint(0, 1000, (1, TOKENS), generator=generator),)


class FirstOutput(nn.Module):
    """A Hugging Face model called with keyword inputs, returning its first output tensor."""

    def __init__(self, model: nn.Module, names: tuple[str, ...], **fixed):
        super().__init__()
        self.model = model
        self.names = names
        self.fixed = fixed

    def forward(self, *inputs):
        out = self.model(**dict(zip(self.names, inputs, strict=True)), **self.fixed)
        return out[0]


# --------------------------------------------------------------------------- torchvision


def _tv(name: str, **kwargs) -> Callable[[], nn.Module]:
    return lambda: getattr(import_torchvision().models, name)(weights=None, **kwargs)


TORCHVISION = [
    ModelCase("resnet18", "torchvision", _tv("resnet18"), image, fast=True),
    ModelCase("resnet50", "torchvision", _tv("resnet50"), image),
    ModelCase("resnext50_32x4d", "torchvision", _tv("resnext50_32x4d"), image),
    ModelCase("wide_resnet50_2", "torchvision", _tv("wide_resnet50_2"), image),
    ModelCase("mobilenet_v2", "torchvision", _tv("mobilenet_v2"), image),
    ModelCase("mobilenet_v3_small", "torchvision", _tv("mobilenet_v3_small"), image),
    ModelCase("mobilenet_v3_large", "torchvision", _tv("mobilenet_v3_large"), image),
    ModelCase("efficientnet_b0", "torchvision", _tv("efficientnet_b0"), image),
    ModelCase("regnet_y_400mf", "torchvision", _tv("regnet_y_400mf"), image),
    ModelCase("regnet_x_800mf", "torchvision", _tv("regnet_x_800mf"), image),
    ModelCase("shufflenet_v2_x1_0", "torchvision", _tv("shufflenet_v2_x1_0"), image),
    ModelCase("squeezenet1_1", "torchvision", _tv("squeezenet1_1"), image, fast=True),
    ModelCase("mnasnet1_0", "torchvision", _tv("mnasnet1_0"), image),
    ModelCase("densenet121", "torchvision", _tv("densenet121"), image),
    ModelCase(
        "googlenet", "torchvision", _tv("googlenet", aux_logits=False, init_weights=True), image
    ),
    ModelCase(
        "inception_v3",
        "torchvision",
        _tv("inception_v3", aux_logits=False, init_weights=True),
        image,
        note="224x224 input (published: 299x299)",
    ),
    ModelCase("alexnet", "torchvision", _tv("alexnet"), image),
    ModelCase("convnext_tiny", "torchvision", _tv("convnext_tiny"), image),
    ModelCase("swin_t", "torchvision", _tv("swin_t"), image, fast=True),
    ModelCase("swin_v2_t", "torchvision", _tv("swin_v2_t"), image, note="224x224 (published: 256)"),
    ModelCase("vit_b_16", "torchvision", _tv("vit_b_16"), image),
    ModelCase("maxvit_t", "torchvision", _tv("maxvit_t"), image),
]

# --------------------------------------------------------------------------- timm


def _timm(name: str, **kwargs) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        import timm

        return timm.create_model(name, pretrained=False, **kwargs)

    return build


TIMM = [
    ModelCase("deit_tiny_patch16_224", "timm", _timm("deit_tiny_patch16_224"), image, fast=True),
    ModelCase("swin_tiny_patch4_window7_224", "timm", _timm("swin_tiny_patch4_window7_224"), image),
    ModelCase("efficientnet_b0_timm", "timm", _timm("efficientnet_b0"), image),
    ModelCase(
        "mobilevit_xxs", "timm", _timm("mobilevit_xxs"), image, note="224x224 (published: 256)"
    ),
    ModelCase("coatnet_nano_rw_224", "timm", _timm("coatnet_nano_rw_224"), image),
    ModelCase("levit_128s", "timm", _timm("levit_128s"), image),
    ModelCase("tiny_vit_5m_224", "timm", _timm("tiny_vit_5m_224", num_classes=1000), image),
    ModelCase(
        "fastvit_t8",
        "timm",
        _timm("fastvit_t8"),
        image,
        note="train-time branches (not reparameterized)",
    ),
    ModelCase(
        "edgenext_xx_small",
        "timm",
        _timm("edgenext_xx_small"),
        image,
        note="224x224 (published: 256)",
    ),
    ModelCase("pvt_v2_b0", "timm", _timm("pvt_v2_b0"), image),
    ModelCase("mixer_s16_224", "timm", _timm("mixer_s16_224"), image),
    ModelCase("ghostnet_100", "timm", _timm("ghostnet_100"), image),
    ModelCase("convnextv2_atto", "timm", _timm("convnextv2_atto"), image),
    ModelCase("rexnet_100", "timm", _timm("rexnet_100"), image),
]

# --------------------------------------------------------------------------- transformers


def _hf(config_name: str, model_name: str, names: tuple[str, ...], fixed=None, **config):
    def build() -> nn.Module:
        import transformers

        cfg = getattr(transformers, config_name)(**config)
        model = getattr(transformers, model_name)(cfg)
        return FirstOutput(model, names, **(fixed or {}))

    return build


ENCODER = ("input_ids", "attention_mask")
DECODER = {"use_cache": False}
# LLaMA-style decoders: real widths, 2 layers, 32000 tokens.
LLAMA = dict(vocab_size=VOCAB, num_hidden_layers=2, max_position_embeddings=2048)

TRANSFORMERS = [
    ModelCase(
        "bert",
        "transformers",
        _hf("BertConfig", "BertModel", ENCODER, num_hidden_layers=4),
        tokens_with_padding,
        note="bert-base widths, 4 of 12 layers",
    ),
    ModelCase(
        "bert_tiny",
        "transformers",
        _hf(
            "BertConfig",
            "BertModel",
            ENCODER,
            hidden_size=128,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=512,
        ),
        tokens_with_padding,
        fast=True,
        note="bert-tiny (google/bert_uncased_L-2_H-128_A-2) widths",
    ),
    ModelCase(
        "distilbert",
        "transformers",
        _hf("DistilBertConfig", "DistilBertModel", ENCODER, n_layers=3),
        tokens_with_padding,
        note="3 of 6 layers",
    ),
    ModelCase(
        "roberta",
        "transformers",
        _hf("RobertaConfig", "RobertaModel", ENCODER, num_hidden_layers=4),
        tokens_with_padding,
        note="roberta-base widths, 4 of 12 layers",
    ),
    ModelCase(
        "albert",
        "transformers",
        _hf(
            "AlbertConfig",
            "AlbertModel",
            ENCODER,
            hidden_size=768,
            num_attention_heads=12,
            intermediate_size=3072,
        ),
        tokens_with_padding,
        note="albert-base-v2 widths, 12 shared layers",
    ),
    ModelCase(
        "electra_small",
        "transformers",
        _hf("ElectraConfig", "ElectraModel", ENCODER),
        tokens_with_padding,
        note="electra-small discriminator (12 layers, 256 wide)",
    ),
    ModelCase(
        "deberta_v2",
        "transformers",
        _hf(
            "DebertaV2Config",
            "DebertaV2Model",
            ENCODER,
            hidden_size=768,
            num_attention_heads=12,
            intermediate_size=3072,
            num_hidden_layers=2,
            vocab_size=VOCAB,
            relative_attention=True,
            position_buckets=256,
            pos_att_type=["p2c", "c2p"],
        ),
        tokens_with_padding,
        note="deberta-v3-base widths, 2 of 12 layers, vocabulary 32000",
    ),
    ModelCase(
        "gpt2",
        "transformers",
        _hf("GPT2Config", "GPT2LMHeadModel", ("input_ids",), DECODER, n_layer=4),
        tokens,
        note="gpt2 widths, 4 of 12 layers, LM head",
    ),
    ModelCase(
        "opt",
        "transformers",
        _hf(
            "OPTConfig",
            "OPTForCausalLM",
            ("input_ids",),
            DECODER,
            num_hidden_layers=4,
            vocab_size=VOCAB,
        ),
        tokens,
        note="opt-125m widths, 4 of 12 layers",
    ),
    ModelCase(
        "gpt_neox",
        "transformers",
        _hf(
            "GPTNeoXConfig",
            "GPTNeoXForCausalLM",
            ("input_ids",),
            DECODER,
            hidden_size=512,
            num_attention_heads=8,
            intermediate_size=2048,
            rotary_pct=0.25,
            num_hidden_layers=2,
            vocab_size=VOCAB,
        ),
        tokens,
        note="pythia-70m widths (partial rotary), 2 of 6 layers",
    ),
    ModelCase(
        "bloom",
        "transformers",
        _hf(
            "BloomConfig",
            "BloomForCausalLM",
            ("input_ids",),
            DECODER,
            hidden_size=512,
            n_head=8,
            n_layer=2,
            vocab_size=VOCAB,
        ),
        tokens,
        note="ALiBi; 512 wide, 2 layers",
    ),
    ModelCase(
        "llama",
        "transformers",
        _hf(
            "LlamaConfig",
            "LlamaForCausalLM",
            ("input_ids",),
            DECODER,
            hidden_size=2048,
            intermediate_size=5632,
            num_attention_heads=32,
            num_key_value_heads=4,
            **LLAMA,
        ),
        tokens,
        note="TinyLlama-1.1B widths (GQA 32/4), 2 of 22 layers",
    ),
    ModelCase(
        "llama_tiny",
        "transformers",
        _hf(
            "LlamaConfig",
            "LlamaForCausalLM",
            ("input_ids",),
            DECODER,
            hidden_size=256,
            intermediate_size=688,
            num_attention_heads=8,
            num_key_value_heads=2,
            vocab_size=1000,
            num_hidden_layers=2,
        ),
        tokens,
        fast=True,
        note="a small LLaMA (GQA 8/2), 256 wide, vocabulary 1000",
    ),
    ModelCase(
        "mistral",
        "transformers",
        _hf(
            "MistralConfig",
            "MistralForCausalLM",
            ("input_ids",),
            DECODER,
            hidden_size=1024,
            intermediate_size=3584,
            num_attention_heads=16,
            num_key_value_heads=4,
            sliding_window=64,
            **LLAMA,
        ),
        tokens,
        note="1024 wide (GQA 16/4), sliding window 64 < 128 tokens, 2 layers",
    ),
    ModelCase(
        "qwen2",
        "transformers",
        _hf(
            "Qwen2Config",
            "Qwen2ForCausalLM",
            ("input_ids",),
            DECODER,
            hidden_size=896,
            intermediate_size=4864,
            num_attention_heads=14,
            num_key_value_heads=2,
            **LLAMA,
        ),
        tokens,
        note="Qwen2-0.5B widths (GQA 14/2, qkv bias), 2 of 24 layers",
    ),
    ModelCase(
        "gemma",
        "transformers",
        _hf(
            "GemmaConfig",
            "GemmaForCausalLM",
            ("input_ids",),
            DECODER,
            hidden_size=2048,
            intermediate_size=16384,
            num_attention_heads=8,
            num_key_value_heads=1,
            head_dim=256,
            **LLAMA,
        ),
        tokens,
        note="gemma-2b widths (MQA, head_dim 256), 2 of 18 layers",
    ),
    ModelCase(
        "t5_encoder",
        "transformers",
        _hf(
            "T5Config", "T5EncoderModel", ENCODER, num_layers=6, d_model=512, d_ff=2048, num_heads=8
        ),
        tokens_with_padding,
        note="t5-small encoder (relative position buckets)",
    ),
    ModelCase(
        "whisper_encoder",
        "transformers",
        lambda: _whisper_encoder(),
        lambda g: (torch.randn(1, 80, 2 * TOKENS, generator=g),),
        note="whisper-tiny encoder widths, 256 mel frames -> 128 positions",
    ),
    ModelCase(
        "clip_vision",
        "transformers",
        _hf(
            "CLIPVisionConfig",
            "CLIPVisionModel",
            ("pixel_values",),
            num_hidden_layers=4,
            patch_size=32,
        ),
        image,
        note="ViT-B/32 widths, 4 of 12 layers",
    ),
    ModelCase(
        "vit_hf",
        "transformers",
        _hf("ViTConfig", "ViTModel", ("pixel_values",), num_hidden_layers=4),
        image,
        note="vit-base-patch16-224 widths, 4 of 12 layers (197 tokens)",
    ),
    ModelCase(
        "siglip_vision",
        "transformers",
        _hf(
            "SiglipVisionConfig",
            "SiglipVisionModel",
            ("pixel_values",),
            num_hidden_layers=4,
            image_size=224,
            patch_size=16,
        ),
        image,
        note="siglip-base-patch16-224 widths, 4 of 12 layers (196 tokens)",
    ),
]


def _whisper_encoder() -> nn.Module:
    import transformers

    config = transformers.WhisperConfig(
        d_model=384,
        encoder_layers=4,
        encoder_attention_heads=6,
        encoder_ffn_dim=1536,
        num_mel_bins=80,
        max_source_positions=TOKENS,
    )
    encoder = transformers.WhisperModel(config).get_encoder()
    return FirstOutput(encoder, ("input_features",))


MODELS: dict[str, ModelCase] = {case.name: case for case in TORCHVISION + TIMM + TRANSFORMERS}

# Failure classes: the start of the error each raises, and a name for the class.
PACK_CONV_1X1 = (
    "'linalg.conv_1d_nwc_wcf' op expected operand #1 rank (4)",
    "tiled: kiln-pack-conv-filters on a 1x1 conv",
)
VECTORIZE_PARTIAL_TILE = (
    "[bufferized]: IndexError: index out of range",
    "bufferized: kiln-vectorize on a partial tile",
)
VECTORIZE_GATHER_EPILOGUE = (
    "[vectorized]: ",
    "vectorized: a gathered addend in a conv/matmul epilogue",
)

# Known failures, measured by `run_tier` (docs/models.md); only a model's first failure shows.
# Every class is fixed: PACK_CONV_1X1's ten models pass on 3107116, VECTORIZE_PARTIAL_TILE's
# 13 on bfe591f, VECTORIZE_GATHER_EPILOGUE's two on 8f05cd3; the classes stay named for their
# repros. A new failure is listed here with its class, and leaves when it passes.
EXPECTED: dict[str, tuple[str, str]] = {}
