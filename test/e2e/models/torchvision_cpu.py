"""torchvision's models on the CPU-only torch build, without torchvision's C++ ops.

The torchvision wheel on PyPI links its ``_C`` extension against the CUDA torch
(``libtorch_cuda.so``), so with kiln's CPU torch it does not load. torchvision
only warns about that, except for one thing: ``_meta_registrations`` registers
fake kernels for ``torchvision::nms`` and ``torchvision::qnms`` without checking
that the extension loaded, and ``import torchvision`` raises "operator
torchvision::nms does not exist". Declaring those two schemas first (no kernel)
lets torchvision import; its models are pure Python and need none of its ops.
Calling ``torchvision.ops.nms`` still fails, as it should without the extension.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

# The schemas of torchvision/csrc/ops/nms.cpp and quantized/cpu/qnms_kernel.cpp.
_UNGUARDED_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
# A torch.library.Library unregisters its definitions when collected: keep it.
_library = None


def import_torchvision() -> ModuleType:
    """``import torchvision``, with its C++ extension if it loads and without it if not."""
    global _library
    if "torchvision" in sys.modules:
        return sys.modules["torchvision"]
    import torch

    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("torchvision is not installed (pip install -e '.[models]')")
    extension = Path(next(iter(spec.submodule_search_locations)), "_C.so")
    try:
        torch.ops.load_library(str(extension))
    except (OSError, RuntimeError):
        _library = torch.library.Library("torchvision", "DEF")
        for schema in _UNGUARDED_SCHEMAS:
            _library.define(schema)
    return importlib.import_module("torchvision")
