"""A held-out sweep: real architectures that are not in the tier (``zoo.py``).

    cd test/e2e && ../../.venv/bin/python -m models.heldout              # every model
    cd test/e2e && ../../.venv/bin/python -m models.heldout gptj s3d     # some models
    cd test/e2e && ../../.venv/bin/python -m models.heldout -j 2 --timeout 240

The tier is what kiln was tuned on; this list plays a reviewer's held-out set: other
architectures from the same three libraries, chosen for the ops and constructs the tier
lacks (3-D and dilated convolutions, segmentation heads with interpolation, LSTMs, MoE
routing, selective scans, logit soft-capping, encoder-decoders, audio front ends, ...).
Every model is built from a config with random weights (nothing is downloaded), small
(few layers, batch 1, 224x224 images or the model's native size, 64 tokens), and checked
with the tier's rule (``check.run_case``) in its own process with a timeout. One line per
model: name, status, compile seconds, and the first line of the error.

Not in CI: a sweep takes most of an hour on two shared cores. Results and the classes
they fell into are in docs/models.md ("Held-out sweep").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch
from torch import nn

from models.zoo import FirstOutput, ModelCase, _timm, _tv, image

HERE = Path(__file__).resolve().parent
TOKENS = 64
VOCAB = 8000


def tokens(generator: torch.Generator) -> tuple:
    return (torch.randint(0, 1000, (1, TOKENS), generator=generator),)


def tokens_with_padding(generator: torch.Generator) -> tuple:
    ids = torch.randint(0, 1000, (1, TOKENS), generator=generator)
    mask = torch.ones(1, TOKENS, dtype=torch.int64)
    mask[:, TOKENS - 16 :] = 0
    return ids, mask


def seq2seq(generator: torch.Generator) -> tuple:
    ids = torch.randint(0, 1000, (1, TOKENS), generator=generator)
    return ids, torch.randint(0, 1000, (1, TOKENS // 2), generator=generator)


def sized(*shape: int):
    return lambda g: (torch.randn(*shape, generator=g),)


class Key(nn.Module):
    """A model returning a dict (torchvision segmentation), reduced to one entry."""

    def __init__(self, model: nn.Module, key: str):
        super().__init__()
        self.model, self.key = model, key

    def forward(self, x):
        return self.model(x)[self.key]


def _seg(name: str) -> callable:
    def build():
        from models.torchvision_cpu import import_torchvision

        seg = import_torchvision().models.segmentation
        return Key(getattr(seg, name)(weights=None, weights_backbone=None), "out")

    return build


def _hf(config_name: str, model_name: str, names: tuple, fixed=None, **config):
    def build() -> nn.Module:
        import transformers

        cfg = getattr(transformers, config_name)(**config)
        return FirstOutput(getattr(transformers, model_name)(cfg), names, **(fixed or {}))

    return build


DEC = ("input_ids",)
NOCACHE = {"use_cache": False}
ENC = ("input_ids", "attention_mask")
S2S = ("input_ids", "decoder_input_ids")
# A small decoder: 2 layers, 256 wide, 4 heads (GQA 4/2 where the config has it).
SMALL = dict(vocab_size=VOCAB, hidden_size=256, intermediate_size=512, num_hidden_layers=2)
GQA = dict(SMALL, num_attention_heads=4, num_key_value_heads=2)
BERTISH = dict(vocab_size=VOCAB, hidden_size=256, num_hidden_layers=2, num_attention_heads=4)


def _decoder(name: str, config: str, model: str, **kw) -> ModelCase:
    return ModelCase(name, "transformers", _hf(config, model, DEC, NOCACHE, **kw), tokens)


def _encoder(name: str, config: str, model: str, **kw) -> ModelCase:
    return ModelCase(name, "transformers", _hf(config, model, ENC, **kw), tokens_with_padding)


VIDEO = sized(1, 3, 8, 112, 112)

TORCHVISION = [
    ModelCase("vgg11_bn", "torchvision", _tv("vgg11_bn"), image),
    ModelCase("efficientnet_v2_s", "torchvision", _tv("efficientnet_v2_s"), image),
    ModelCase("lraspp_mobilenet_v3", "torchvision", _seg("lraspp_mobilenet_v3_large"), image),
    ModelCase("deeplabv3_mobilenet_v3", "torchvision", _seg("deeplabv3_mobilenet_v3_large"), image),
    ModelCase("r2plus1d_18", "torchvision", lambda: _video("r2plus1d_18"), VIDEO),
    ModelCase("s3d", "torchvision", lambda: _video("s3d"), sized(1, 3, 16, 224, 224)),
]


def _video(name: str) -> nn.Module:
    from models.torchvision_cpu import import_torchvision

    return getattr(import_torchvision().models.video, name)(weights=None)


TIMM_NAMES = [
    ("resnet26d", {}),
    ("seresnext26d_32x4d", {}),
    ("dla34", {}),
    ("dpn68", {}),
    ("hrnet_w18_small", {}),
    ("res2net50_14w_8s", {}),
    ("poolformer_s12", {}),
    ("xcit_nano_12_p16_224", {"depth": 4}),
    ("cait_xxs24_224", {"depth": 4}),
    ("crossvit_9_240", {}),
    ("mobilevitv2_050", {}),
    ("efficientformer_l1", {}),
    ("nfnet_l0", {}),
    ("mixnet_s", {}),
    ("tf_efficientnet_b0", {}),
    ("sequencer2d_s", {"layers": [1, 1, 1, 1]}),
    ("beit_base_patch16_224", {"depth": 2}),
    ("eva02_tiny_patch14_224", {"depth": 4}),
    ("davit_tiny", {"depths": (1, 1, 1, 1)}),
    ("gcvit_xxtiny", {}),
    ("inception_next_tiny", {"depths": (1, 1, 1, 1)}),
    ("efficientvit_b0", {}),
    ("hgnetv2_b0", {}),
    ("mobilenetv4_conv_small", {}),
    ("hiera_tiny_224", {}),
    ("vit_small_patch14_reg4_dinov2", {"depth": 2, "img_size": 224}),
    ("repvgg_a0", {}),
    ("twins_svt_small", {"depths": (1, 1, 2, 1)}),
    ("ghostnetv2_100", {}),
]
TIMM_SIZES = {"crossvit_9_240": (1, 3, 240, 240)}


def _timm_class(module: str, cls: str, **kw):
    """A timm model built from its class: the registered names of these pin the depth."""

    def build() -> nn.Module:
        import importlib

        import timm.layers
        import timm.models.mlp_mixer as mixer

        names = {
            "SpatialGatingBlock": mixer.SpatialGatingBlock,
            "GatedMlp": timm.layers.GatedMlp,
            "ResBlock": mixer.ResBlock,
            "Affine": mixer.Affine,
        }
        kw2 = {k: names.get(v, v) if isinstance(v, str) else v for k, v in kw.items()}
        return getattr(importlib.import_module(f"timm.models.{module}"), cls)(**kw2)

    return build


TIMM = [
    ModelCase(name, "timm", _timm(name, **kw), sized(*TIMM_SIZES.get(name, (1, 3, 224, 224))))
    for name, kw in TIMM_NAMES
] + [
    ModelCase(
        "focalnet_srf",
        "timm",
        _timm_class(
            "focalnet",
            "FocalNet",
            depths=(1, 1, 2, 1),
            embed_dim=96,
            focal_levels=(2, 2, 2, 2),
            focal_windows=(3, 3, 3, 3),
        ),
        image,
    ),
    ModelCase(
        "gmlp_s16",
        "timm",
        _timm_class(
            "mlp_mixer",
            "MlpMixer",
            num_blocks=4,
            embed_dim=256,
            mlp_ratio=6,
            block_layer="SpatialGatingBlock",
            mlp_layer="GatedMlp",
        ),
        image,
    ),
    ModelCase(
        "resmlp_12",
        "timm",
        _timm_class(
            "mlp_mixer",
            "MlpMixer",
            num_blocks=4,
            embed_dim=384,
            mlp_ratio=4,
            block_layer="ResBlock",
            norm_layer="Affine",
        ),
        image,
    ),
    ModelCase(
        "convmixer_768",
        "timm",
        _timm_class("convmixer", "ConvMixer", dim=768, depth=4, kernel_size=7, patch_size=7),
        image,
    ),
    ModelCase(
        "volo_d1",
        "timm",
        _timm_class(
            "volo",
            "VOLO",
            layers=(1, 1, 1, 1),
            embed_dims=(192, 384, 384, 384),
            num_heads=(6, 12, 12, 12),
        ),
        image,
    ),
]

TRANSFORMERS = [
    _decoder(
        "gpt_bigcode",
        "GPTBigCodeConfig",
        "GPTBigCodeForCausalLM",
        vocab_size=VOCAB,
        n_embd=256,
        n_layer=2,
        n_head=4,
        multi_query=True,
    ),
    _decoder(
        "gptj",
        "GPTJConfig",
        "GPTJForCausalLM",
        vocab_size=VOCAB,
        n_embd=256,
        n_layer=2,
        n_head=4,
        rotary_dim=32,
    ),
    _decoder(
        "falcon",
        "FalconConfig",
        "FalconForCausalLM",
        vocab_size=VOCAB,
        hidden_size=256,
        num_hidden_layers=2,
        num_attention_heads=4,
        new_decoder_architecture=True,
        num_kv_heads=2,
    ),
    _decoder("phi", "PhiConfig", "PhiForCausalLM", partial_rotary_factor=0.5, **GQA),
    _decoder("phi3", "Phi3Config", "Phi3ForCausalLM", pad_token_id=0, **GQA),
    _decoder("stablelm", "StableLmConfig", "StableLmForCausalLM", **GQA),
    _decoder(
        "gemma2",
        "Gemma2Config",
        "Gemma2ForCausalLM",
        head_dim=64,
        sliding_window=32,
        final_logit_softcapping=30.0,
        attn_logit_softcapping=50.0,
        **GQA,
    ),
    _decoder(
        "gemma3", "Gemma3TextConfig", "Gemma3ForCausalLM", head_dim=64, sliding_window=32, **GQA
    ),
    _decoder("olmo2", "Olmo2Config", "Olmo2ForCausalLM", **GQA),
    _decoder("cohere", "CohereConfig", "CohereForCausalLM", **GQA),
    _decoder("starcoder2", "Starcoder2Config", "Starcoder2ForCausalLM", **GQA),
    _decoder("granite", "GraniteConfig", "GraniteForCausalLM", **GQA),
    _decoder("qwen3", "Qwen3Config", "Qwen3ForCausalLM", head_dim=64, **GQA),
    _decoder(
        "mixtral",
        "MixtralConfig",
        "MixtralForCausalLM",
        num_local_experts=4,
        num_experts_per_tok=2,
        **GQA,
    ),
    _decoder(
        "qwen3_moe",
        "Qwen3MoeConfig",
        "Qwen3MoeForCausalLM",
        head_dim=64,
        num_experts=4,
        num_experts_per_tok=2,
        moe_intermediate_size=256,
        **GQA,
    ),
    _decoder(
        "deepseek_v3",
        "DeepseekV3Config",
        "DeepseekV3ForCausalLM",
        n_routed_experts=4,
        num_experts_per_tok=2,
        n_group=1,
        topk_group=1,
        moe_intermediate_size=128,
        first_k_dense_replace=1,
        q_lora_rank=64,
        kv_lora_rank=32,
        qk_rope_head_dim=16,
        qk_nope_head_dim=32,
        v_head_dim=32,
        **dict(GQA, num_key_value_heads=4),
    ),
    _decoder(
        "mamba",
        "MambaConfig",
        "MambaForCausalLM",
        vocab_size=VOCAB,
        hidden_size=256,
        state_size=16,
        num_hidden_layers=2,
    ),
    _decoder(
        "rwkv",
        "RwkvConfig",
        "RwkvForCausalLM",
        vocab_size=VOCAB,
        hidden_size=256,
        num_hidden_layers=2,
        attention_hidden_size=256,
        intermediate_size=512,
    ),
    _encoder(
        "mobilebert", "MobileBertConfig", "MobileBertModel", vocab_size=VOCAB, num_hidden_layers=2
    ),
    _encoder(
        "squeezebert",
        "SqueezeBertConfig",
        "SqueezeBertModel",
        embedding_size=256,
        intermediate_size=512,
        **BERTISH,
    ),
    _encoder("convbert", "ConvBertConfig", "ConvBertModel", **BERTISH),
    _encoder("roformer", "RoFormerConfig", "RoFormerModel", **BERTISH),
    _encoder(
        "funnel",
        "FunnelConfig",
        "FunnelBaseModel",
        vocab_size=VOCAB,
        d_model=256,
        n_head=4,
        block_sizes=[1, 1],
        d_head=64,
        d_inner=512,
    ),
    _encoder(
        "esm", "EsmConfig", "EsmModel", position_embedding_type="rotary", pad_token_id=1, **BERTISH
    ),
    _encoder(
        "modernbert",
        "ModernBertConfig",
        "ModernBertModel",
        vocab_size=VOCAB,
        hidden_size=256,
        intermediate_size=512,
        num_hidden_layers=3,
        num_attention_heads=4,
        global_attn_every_n_layers=2,
        local_attention=32,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
        cls_token_id=1,
        sep_token_id=2,
    ),
    _encoder("xlm_roberta", "XLMRobertaConfig", "XLMRobertaModel", **BERTISH),
    ModelCase(
        "bart",
        "transformers",
        _hf(
            "BartConfig",
            "BartModel",
            S2S,
            NOCACHE,
            vocab_size=VOCAB,
            d_model=256,
            encoder_layers=2,
            decoder_layers=2,
            encoder_attention_heads=4,
            decoder_attention_heads=4,
            encoder_ffn_dim=512,
            decoder_ffn_dim=512,
        ),
        seq2seq,
    ),
    ModelCase(
        "t5",
        "transformers",
        _hf(
            "T5Config",
            "T5ForConditionalGeneration",
            S2S,
            NOCACHE,
            vocab_size=VOCAB,
            d_model=256,
            d_ff=512,
            num_layers=2,
            num_heads=4,
            d_kv=64,
        ),
        seq2seq,
    ),
    ModelCase(
        "wav2vec2",
        "transformers",
        _hf(
            "Wav2Vec2Config",
            "Wav2Vec2Model",
            ("input_values",),
            num_hidden_layers=2,
            hidden_size=256,
            num_attention_heads=4,
            intermediate_size=512,
        ),
        sized(1, 16000),
    ),
    ModelCase(
        "hubert",
        "transformers",
        _hf(
            "HubertConfig",
            "HubertModel",
            ("input_values",),
            num_hidden_layers=2,
            hidden_size=256,
            num_attention_heads=4,
            intermediate_size=512,
            feat_extract_norm="layer",
            do_stable_layer_norm=True,
        ),
        sized(1, 16000),
    ),
    ModelCase(
        "swinv2_hf",
        "transformers",
        _hf("Swinv2Config", "Swinv2Model", ("pixel_values",), depths=[1, 1, 2, 1]),
        image,
    ),
    ModelCase(
        "segformer",
        "transformers",
        _hf("SegformerConfig", "SegformerForSemanticSegmentation", ("pixel_values",)),
        image,
    ),
    ModelCase(
        "dinov2_hf",
        "transformers",
        _hf(
            "Dinov2Config",
            "Dinov2Model",
            ("pixel_values",),
            num_hidden_layers=2,
            hidden_size=384,
            num_attention_heads=6,
        ),
        image,
    ),
    ModelCase(
        "convnext_hf",
        "transformers",
        _hf("ConvNextConfig", "ConvNextModel", ("pixel_values",), depths=[1, 1, 2, 1]),
        image,
    ),
    ModelCase(
        "beit_hf",
        "transformers",
        _hf(
            "BeitConfig",
            "BeitModel",
            ("pixel_values",),
            num_hidden_layers=2,
            use_relative_position_bias=True,
        ),
        image,
    ),
]

MODELS: dict[str, ModelCase] = {c.name: c for c in TORCHVISION + TIMM + TRANSFORMERS}


def run_one(name: str) -> dict:
    """Checks one model in this process (no timing: the sweep is about failures)."""
    import warnings

    warnings.filterwarnings("ignore")
    from models.check import run_case

    return run_case(MODELS[name]).as_dict()


def run_isolated(name: str, timeout_s: float) -> dict:
    """``run_one`` in a child process at 2 torch threads; a crash or timeout is an outcome."""
    env = dict(
        os.environ,
        OMP_NUM_THREADS="2",
        KILN_REPRO_DIR=tempfile.mkdtemp(prefix="kiln-repro-heldout-"),
    )
    start = time.perf_counter()
    base = {"name": name, "status": "error", "compile_s": None}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "models.heldout", "--one", name],
            cwd=HERE.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        return base | {"status": "timeout", "error": f"over {timeout_s:.0f} s"}
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return base | {"status": "crash", "error": f"exit {proc.returncode}: {tail}"}
    outcome = json.loads(lines[-1])
    outcome["wall_s"] = time.perf_counter() - start
    return outcome


def line(o: dict) -> str:
    compile_s = f"{o['compile_s']:.1f}" if o.get("compile_s") else "-"
    err = (o.get("error") or "")[:160]
    where = f" @ {o['where']}" if o.get("where") else ""
    return f"{o['name']:<28} {o['status']:<8} {compile_s:>6}  {err}{where}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="models (default: all)")
    parser.add_argument("--one", help="run one model in process, print JSON")
    parser.add_argument("-j", type=int, default=1, help="models at once")
    parser.add_argument("--timeout", type=float, default=240.0)
    parser.add_argument("--json", type=Path, help="write the outcomes here")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one)))
        return 0
    names = args.names or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        parser.error(f"unknown models: {unknown}")
    outcomes = []
    with ThreadPoolExecutor(args.j) as pool:
        for o in pool.map(lambda n: run_isolated(n, args.timeout), names):
            print(line(o), flush=True)
            outcomes.append(o)
    if args.json:
        args.json.write_text(json.dumps(outcomes, indent=1))
    passed = sum(o["status"] == "pass" for o in outcomes)
    print(f"{passed} / {len(outcomes)} pass")
    return 0 if passed == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
