"""kiln's own MLIR dialect, defined in Python (IRDL through ``mlir.dialects.ext``)."""

from kiln.dialects.kiln_dialect import (
    FusionBarrierOp,
    FusionGroupOp,
    KilnDialect,
    VnniDotOp,
    YieldOp,
    load_kiln_dialect,
)

__all__ = [
    "FusionBarrierOp",
    "FusionGroupOp",
    "KilnDialect",
    "VnniDotOp",
    "YieldOp",
    "load_kiln_dialect",
]
