"""``torch.compile(model, backend="kiln")``: kiln as a TorchDynamo backend.

Dynamo hands each captured FX graph (with example inputs) to ``kiln_backend``,
which compiles it with ``kiln.compile`` and returns a callable with the
graph's calling convention (a tuple of outputs). The backend is registered
under the name ``kiln`` through the ``torch_dynamo_backends`` entry point.
"""

from __future__ import annotations


def kiln_backend(graph_module, example_inputs, **options):
    """Compiles a Dynamo FX graph with kiln; falls back to eager if kiln cannot compile it."""
    import torch

    from kiln.api import compile as kiln_compile
    from kiln.errors import KilnError

    with torch.no_grad():
        reference = graph_module(*example_inputs)
    returns_tuple = isinstance(reference, tuple | list)
    try:
        compiled = kiln_compile(graph_module, *example_inputs, **options)
    except KilnError as err:
        import warnings

        warnings.warn(f"kiln could not compile a graph, running it eagerly: {err}", stacklevel=2)
        return graph_module.forward

    def run(*args):
        out = compiled(*args)
        if returns_tuple:
            return tuple(out) if isinstance(out, tuple) else (out,)
        return out

    return run
