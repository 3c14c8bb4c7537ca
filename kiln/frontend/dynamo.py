"""``torch.compile(model, backend="kiln")``: kiln as a TorchDynamo backend.

Dynamo hands each captured FX graph (with example inputs) to ``kiln_backend``,
which compiles it with ``kiln.compile`` and returns a callable with the
graph's calling convention (a tuple of outputs). The backend is registered
under the name ``kiln`` through the ``torch_dynamo_backends`` entry point;
``torch.compile(model, backend="kiln", options={"threads": 2})`` passes
``kiln.compile`` options.

kiln compiles inference graphs with static shapes. A graph it should not or
cannot compile runs eagerly, with a warning saying why: one that needs
autograd (Dynamo guards on grad mode and on inputs' ``requires_grad``, so
the choice holds for every call of the compiled graph), one with symbolic
sizes (Dynamo's automatic dynamic shapes, after a second input shape), and
one kiln rejects (a ``KilnError``, e.g. an op it cannot lower).
"""

from __future__ import annotations

import inspect
import warnings

# kiln.compile's own arguments, not options.
_NOT_OPTIONS = ("model", "example_inputs")


def kiln_backend(graph_module, example_inputs, *, options: dict | None = None, mode=None):
    """Compiles a Dynamo FX graph with kiln; runs it eagerly (with a warning) when kiln should not.

    ``options`` are keyword arguments of ``kiln.compile`` (``threads``,
    ``target``, ...); an unknown one, or a ``mode``, is a ``ValueError``.
    """
    from kiln.api import compile as kiln_compile
    from kiln.errors import KilnError

    options = _checked_options(options, mode)
    reason = _eager_reason(example_inputs)
    if reason is not None:
        return _eager(graph_module, reason)
    try:
        compiled = kiln_compile(graph_module, *example_inputs, **options)
    except KilnError as err:
        return _eager(graph_module, f"kiln could not compile it: {err}")
    returns_tuple = _returns_tuple(graph_module)

    def run(*args):
        out = compiled(*args)
        if returns_tuple:
            return tuple(out) if isinstance(out, tuple) else (out,)
        return out

    return run


def _checked_options(options: dict | None, mode) -> dict:
    """``options`` as ``kiln.compile`` keywords; raises ValueError for what kiln does not take."""
    from kiln.api import compile as kiln_compile

    if mode is not None:
        raise ValueError(
            f"the kiln backend has no modes (got mode={mode!r}); "
            "pass kiln.compile options instead, e.g. options={'threads': 2}"
        )
    known = [
        name for name in inspect.signature(kiln_compile).parameters if name not in _NOT_OPTIONS
    ]
    unknown = sorted(set(options or {}) - set(known))
    if unknown:
        raise ValueError(
            f"the kiln backend has no option {', '.join(map(repr, unknown))} "
            f"(options: {', '.join(known)})"
        )
    return dict(options or {})


def _eager_reason(example_inputs) -> str | None:
    """Why the graph must run eagerly, or None when kiln may compile it."""
    import torch

    if any(isinstance(value, torch.SymInt) for value in example_inputs):
        return (
            "its sizes are symbolic (Dynamo's automatic dynamic shapes); kiln compiles "
            "static shapes: torch.compile(..., dynamic=False) compiles once per shape"
        )
    needs_grad = any(getattr(value, "requires_grad", False) for value in example_inputs)
    if torch.is_grad_enabled() and needs_grad:
        return (
            "it needs autograd (grad mode is on and an input requires grad); kiln compiles "
            "inference: run the model under torch.no_grad() or torch.inference_mode()"
        )
    return None


def _eager(graph_module, reason: str):
    warnings.warn(f"kiln runs a graph eagerly: {reason}", stacklevel=3)
    return graph_module.forward


def _returns_tuple(graph_module) -> bool:
    """Whether the graph returns a tuple (Dynamo's graphs do), read off its output node."""
    output = next(node for node in reversed(graph_module.graph.nodes) if node.op == "output")
    return isinstance(output.args[0], tuple | list)
