"""The failures kiln has today, as the exact xfail reasons the case modules cite.

One function or constant per root cause: when kiln fixes one, its name
finds every marker to flip. Error reasons are ``harness.failure_summary``
of the error kiln raises, word for word; mismatch reasons say what was
observed. docs/opsuite.md lists them with reproducers.
"""

from __future__ import annotations


def powi(lanes: int) -> str:
    """``x ** n`` is math.fpowi with an i64 exponent; as a vector it is no valid llvm.intr.powi."""
    return (
        "PipelineError: stage 'llvm': 'llvm.intr.powi' op operand #1 must be signless integer, "
        f"but got 'vector<{lanes}xi64>'"
    )


def mixed_precision_contraction(element: str) -> str:
    """kiln-pack-contractions packs an ``element`` -> f32 matmul with f32 block arguments."""
    return (
        "PipelineError: stage 'graph': 'linalg.generic' op expected type of bb argument #0 "
        f"('f32') to match element or self type of the corresponding operand ('{element}')"
    )


def unknown_to_torch_mlir(op: str) -> str:
    """An aten op torch-mlir has no definition of (no decomposition is applied before import)."""
    return f"UnsupportedOpsError: aten.{op}: not known to torch-mlir"


def no_linalg_lowering(op: str) -> str:
    """An aten op torch-mlir knows but cannot lower to linalg."""
    return f"UnsupportedOpsError: aten.{op}: no lowering to linalg"


def illegal_op(op: str) -> str:
    """torch-mlir's backend pipeline fails on ``op`` before kiln sees the model."""
    return (
        f"UnsupportedOpsError: aten.{op}: failed to legalize operation 'torch.aten.{op}' "
        "that was explicitly marked illegal"
    )


# kiln-vectorize (_loop_extents) on a row reduction broadcast back over rows of > 64 elements.
VECTORIZE_NO_SHAPE = (
    "PipelineError: stage 'vectorized': TypeError: 'NoneType' object is not iterable"
)

# torch-mlir lowers aten.reciprocal with a cf.assert that no element is zero; kiln
# compiles the assert to an abort, where PyTorch returns inf.
RECIPROCAL_ZERO_ABORTS = "crash: SIGABRT: unimplemented: tensor with zero element"

# Linalg integers are signless: kiln's entry signature calls an i8 tensor int8.
UINT8_INPUT = "InputMismatchError: input 0: expected int8[4, 6], got uint8[4, 6]"
UINT8_OUTPUT = (
    "mismatch: the output is int8, PyTorch's is uint8 "
    "(kiln's entry signature maps every i8 to int8)"
)

# One buffer returned twice: upstream buffer-results-to-out-params{hoist-static-allocs}
# (stage 'bufferized') crashes on `return %alloc, %alloc`.
DUPLICATE_RESULT_SEGFAULTS = "crash: SIGSEGV"
