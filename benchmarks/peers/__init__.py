"""Peers that run outside kiln's environment (ONNX Runtime, IREE)."""
