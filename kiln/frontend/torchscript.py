"""TorchScript models (``torch.jit.script``, ``torch.jit.trace``, ``torch.jit.load``) as programs.

torch.export refuses ScriptModules ("Exporting a ScriptModule is not
supported"). PyTorch converts them itself (``torch._export.converter.TS2EPConverter``,
the converter torch.export's error message points to): kiln runs it on the
example inputs and compiles the resulting program's module like any other.
The converter's warnings about state it copies but the graph never reads
(BatchNorm's ``num_batches_tracked``) are dropped.

The converter needs every argument: a call that leaves out trailing defaulted
arguments (``forward(x, scale: float = 2.0)`` called with ``x``) is converted
with the defaults and called through ``WithDefaults``.

Pre: ``model`` is a ScriptModule or ScriptFunction and ``example_inputs`` are
the inputs it is compiled for.
Post: an ``nn.Module`` (the converted ExportedProgram's ``.module()``) computing
what ``model`` computes; UnsupportedOpsError naming the converter's failure.
"""

from __future__ import annotations

import warnings

import torch

from kiln.errors import UnsupportedOp, UnsupportedOpsError
from kiln.frontend.source import UNKNOWN


def is_torchscript(model) -> bool:
    """``model`` is a TorchScript module or function."""
    return isinstance(model, torch.jit.ScriptModule | torch.jit.ScriptFunction)


def from_torchscript(model, example_inputs: tuple, example_kwargs: dict | None = None):
    """``model`` converted to an ``nn.Module`` on ``example_inputs`` (see the module docstring)."""
    from torch._export.converter import TS2EPConverter

    defaults = () if example_kwargs else _trailing_defaults(model, len(example_inputs))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            inputs = (*example_inputs, *defaults)
            program = TS2EPConverter(model, inputs, example_kwargs or None).convert()
    except Exception as err:  # noqa: BLE001 - the converter fails in many ways
        name = getattr(model, "original_name", type(model).__name__)
        raise UnsupportedOpsError(
            [
                UnsupportedOp(
                    f"TorchScript model '{name}'",
                    UNKNOWN,
                    "PyTorch's TorchScript-to-export converter (TS2EPConverter) failed: "
                    f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''} "
                    "(compile the nn.Module the script was made from instead)",
                )
            ]
        ) from err
    module = program.module()
    return WithDefaults(module, defaults) if defaults else module


class WithDefaults(torch.nn.Module):
    """A converted program called with its trailing defaulted arguments left out, as the
    script was: ``forward(*inputs)`` appends ``defaults`` (fixed at compile time)."""

    def __init__(self, module: torch.nn.Module, defaults: tuple):
        super().__init__()
        self.inner = module
        self.defaults = defaults

    def forward(self, *inputs):
        return self.inner(*inputs, *self.defaults)


def _trailing_defaults(model, given: int) -> tuple:
    """The default values of the script's arguments after the first ``given`` (the
    converter takes every argument: a defaulted one left out failed an internal assert)."""
    method = model.forward if isinstance(model, torch.jit.ScriptModule) else model
    arguments = list(method.schema.arguments)
    if isinstance(model, torch.jit.ScriptModule):
        arguments = arguments[1:]  # self
    defaults = []
    for argument in arguments[given:]:
        if not argument.has_default_value():
            break
        defaults.append(argument.default_value)
    return tuple(defaults)
