"""Pipelines for kiln-bisect.mlir: kiln's cpu pipeline, right and with a wrong pass."""

from pathlib import Path

from kiln.lowering.cpu.pipeline import cpu_pipeline

from kiln.debug.reduce import load_plugin
from kiln.pipeline import Stage
from kiln.targets import host_target

# Registers kiln-test-flip-addf and the other deliberately wrong passes.
load_plugin(Path(__file__).resolve().parents[2] / "e2e" / "wrong_passes.py")


def cpu():
    """kiln's cpu pipeline for this host, one thread."""
    return cpu_pipeline(host_target(1))


def flip_after_tiled():
    """The cpu pipeline with a stage after ``tiled`` that turns elementwise adds into subtractions."""
    return cpu().insert_after("tiled", Stage("wrong", ("kiln-test-flip-addf",)))
