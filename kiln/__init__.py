"""kiln: an ML compiler in Python on MLIR.

compiled = kiln.compile(model, example_input)
y = compiled(x)
compiled.save("model.so")          # a shared library + model.h, for C or kiln.load
y = kiln.load("model.so")(x)       # in a process without MLIR or torch
"""

from kiln.errors import (
    BufferTooLargeError,
    DumpDirError,
    InputMismatchError,
    KilnError,
    KilnWarning,
    LibraryError,
    MLIRSyntaxError,
    OptionError,
    PipelineError,
    UnsupportedOpsError,
)


def compile(model, *example_inputs, **options):  # noqa: A001
    """Compiles a model; see ``kiln.api.compile``."""
    from kiln.api import compile as _compile

    return _compile(model, *example_inputs, **options)


def load(path):
    """Loads a library written by ``kiln-compile`` or ``CompiledModel.save``: a callable
    taking numpy arrays or torch tensors. Imports neither MLIR nor torch; see
    ``kiln.runtime.library.load``."""
    from kiln.runtime.library import load as _load

    return _load(path)


__all__ = [
    "BufferTooLargeError",
    "DumpDirError",
    "InputMismatchError",
    "KilnError",
    "KilnWarning",
    "LibraryError",
    "MLIRSyntaxError",
    "OptionError",
    "PipelineError",
    "UnsupportedOpsError",
    "compile",
    "load",
]
