#!/usr/bin/env bash
# Optional peers for benchmarks/run.py: ONNX Runtime, OpenVINO and IREE, in their own
# virtualenv (IREE bundles its own MLIR; it must never share kiln's process).
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS="${KILN_PEERS_VENV:-.venv-peers}"
[ -x "$PEERS/bin/python" ] || python3 -m venv "$PEERS"
"$PEERS/bin/python" -m pip install --quiet numpy==2.4.6 onnx==1.23.2 onnxruntime==1.31.1 \
  iree-base-compiler==3.13.0 iree-base-runtime==3.13.0 openvino==2026.4.1
# kiln's environment exports the ONNX files.
.venv/bin/python -m pip install --quiet onnx==1.23.2 onnxscript==0.7.2
