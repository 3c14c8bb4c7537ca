"""Real models of the model tier against eager PyTorch: a front-end of ``benchmarks.run``.

    python -m benchmarks.real_models                          # the depthwise/grouped set, 1 and 2 threads
    python -m benchmarks.real_models --models densenet121 --threads 2 --peers kiln eager ort

is ``python -m benchmarks.run --workloads <models> --peers kiln eager`` (any other
``benchmarks.run`` option passes through) writing ``benchmarks/real_models.md``: the
same timing, the same cold compiles, the same checks against eager f32.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.workloads import TIER_WORKLOADS

# Depthwise and grouped convolutions (MobileNetV2, ResNeXt, ShuffleNetV2, ConvNeXt's 7x7).
DEFAULT_MODELS = ("mobilenet_v2", "resnext50_32x4d", "shufflenet_v2_x1_0", "convnext_tiny")
OUTPUT = Path(__file__).resolve().parent / "real_models.md"


def run_arguments(argv: list[str] | None = None) -> list[str]:
    """The ``benchmarks.run`` arguments this front-end stands for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS), choices=TIER_WORKLOADS)
    parser.add_argument("--peers", nargs="+", default=["kiln", "eager"])
    args, rest = parser.parse_known_args(argv)
    if "--output" not in rest:
        rest += ["--output", str(OUTPUT)]
    return ["--workloads", *args.models, "--peers", *args.peers, *rest]


def main(argv: list[str] | None = None) -> int:
    from benchmarks import run

    return run.main(run_arguments(argv))


if __name__ == "__main__":
    sys.exit(main())
