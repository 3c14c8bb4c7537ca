"""kiln: an ML compiler in Python on MLIR.

compiled = kiln.compile(model, example_input)
y = compiled(x)
"""

from kiln.errors import (
    BufferTooLargeError,
    DumpDirError,
    InputMismatchError,
    KilnError,
    MLIRSyntaxError,
    OptionError,
    PipelineError,
    UnsupportedOpsError,
)


def compile(model, *example_inputs, **options):  # noqa: A001
    """Compiles a model; see ``kiln.api.compile``."""
    from kiln.api import compile as _compile

    return _compile(model, *example_inputs, **options)


__all__ = [
    "BufferTooLargeError",
    "DumpDirError",
    "InputMismatchError",
    "KilnError",
    "MLIRSyntaxError",
    "OptionError",
    "PipelineError",
    "UnsupportedOpsError",
    "compile",
]
