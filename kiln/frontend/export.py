"""torch.export for kiln: non-strict first, strict as the fallback.

Non-strict export runs the user's ``forward`` in Python over fake tensors: it
is 3-7x faster than strict export on kiln's zoo (ResNet-18: 0.26 s vs 1.9 s)
and traces every Python construct the model uses. But it cannot turn a tensor
into a Python number (``int(t)``, ``float(t)``, ``t.item()`` feeding Python
arithmetic): the fake tensor has no value, and the trace stops with
``GuardOnDataDependentSymNode``. Strict export (TorchDynamo) records such
values as graph nodes (``aten.item``) that torch-mlir imports, so it is the
fallback. When both fail, the non-strict error is the one reported: its
traceback runs through the user's own source.

``decomposed_program`` traces once: torch.export straight to ATen IR with
kiln's decompositions applied during the trace (``pre_dispatch=False``, the
table handed to AOTAutograd), where ``export`` + ``run_decompositions``
traces the whole model twice (the second pass re-runs every op over fake
tensors: 40-60% of the import of a large model). Models with Python bool or
int inputs, which that trace does not pass through as given
(``_has_python_integers``), and models the single trace fails on take the
two-step path, which runs and reports its errors as before; it first
rewrites the ``prims`` view ops, which no functionalizing trace accepts, as
aten views (``kiln/frontend/prims_views.py``).

A failing torch.export prints the graph it traced so far to stderr (for
SSDLite's data-dependent NMS: 460 kB, once per trace tried) before it raises.
kiln's error names the construct and the line; every trace runs under
``_no_partial_graph``, which keeps the rest of what the trace printed.
"""

from __future__ import annotations

import contextlib
import functools
import io
import sys
import types
from collections.abc import Callable

import torch
from torch.export import _trace
from torch.export.exported_program import (
    _override_composite_implicit_decomp,
    _split_decomp_table_to_cia_and_python_decomp,
)

from kiln.errors import UnsupportedOp, UnsupportedOpsError
from kiln.frontend.prims_views import functional_views
from kiln.frontend.source import library_frame, traceback_location

# What each torch.export failure means, in the user's words.
_CONSTRUCTS = {
    "GuardOnDataDependentSymNode": "a Python value computed from tensor data "
    "(int(t), float(t), bool(t), t.item() or `if` on a tensor)",
    "DataDependentOutputException": "an op whose output shape depends on tensor data",
    "DynamicOutputShapeException": "an op whose output shape depends on tensor data",
    "Unsupported": "a Python construct TorchDynamo cannot trace",
}


def as_module(model) -> torch.nn.Module:
    """``model`` itself, or a plain function as the ``forward`` of a module.

    torch.export takes modules only; the function becomes the instance's
    ``forward`` attribute (not a method), so its signature, parameter names
    included (``dynamic_shapes`` names them), is the one exported.
    """
    if isinstance(model, torch.nn.Module):
        return model
    module = torch.nn.Module()
    module.forward = _named_forward(model)
    return module


def _named_forward(fn):
    """``fn`` itself, its code object renamed ``forward``.

    torch.export records a node's source line only from frames named
    ``forward``: ops of a plain function ``f`` had no line at all, and an op
    kiln cannot compile was reported at "unknown location". The renamed copy
    runs the same code (same file and lines, closure, defaults, signature).
    """
    if not isinstance(fn, types.FunctionType) or fn.__code__.co_name == "forward":
        return fn
    code = fn.__code__.replace(co_name="forward")
    renamed = types.FunctionType(code, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
    renamed.__kwdefaults__ = fn.__kwdefaults__
    renamed.__annotations__ = fn.__annotations__
    renamed.__dict__.update(fn.__dict__)
    return renamed


def export_program(model, example_inputs: tuple, dynamic_shapes=None):
    """The ``ExportedProgram`` of ``model`` (a module: see ``as_module``) on ``example_inputs``.

    Raises ``UnsupportedOpsError`` naming the construct that stopped the
    trace and the user's line when neither export mode can trace the model.
    """
    try:
        return _export(model, example_inputs, dynamic_shapes, strict=False)
    except Exception as non_strict:  # torch.export failures come in many types
        try:
            return _export(model, example_inputs, dynamic_shapes, strict=True)
        except Exception as strict:
            raise export_error(non_strict, strict) from non_strict


def decomposed_program(
    model, example_inputs: tuple, decompositions: dict, dynamic_shapes=None, on_error=None
):
    """``export_program`` followed by ``run_decompositions(decompositions)``, in one trace
    when it can.

    The single trace splits the table as ``run_decompositions`` does: entries for
    CompositeImplicitAutograd ops override those ops' kernels during the trace,
    the others go to AOTAutograd; CompositeImplicitAutograd ops the table does
    not name are kept. When it fails (a construct only strict export traces, a
    decomposition failing), the two traces run: ``on_error(err)`` turns a
    decomposition's failure into the error raised.
    """
    if not _has_python_integers(example_inputs):
        try:
            return _export_decomposed(model, example_inputs, dynamic_shapes, decompositions)
        except Exception:  # noqa: BLE001 - the two-step path below reports the failure
            pass
    program = export_program(model, example_inputs, dynamic_shapes)
    functional_views(program)  # prims views stop functionalization: aten views instead
    try:
        return program.run_decompositions(decompositions)
    except Exception as err:  # a decomposition failing on this program
        if on_error is None:
            raise
        raise on_error(err) from err


def _has_python_integers(example_inputs: tuple) -> bool:
    """Whether an input (at any depth) is a Python bool or int.

    The single trace (``pre_dispatch=False``) hands ``forward`` such inputs as
    ints and SymInts, where ``torch.export.export`` passes the caller's
    values: ``True`` arrived as ``1``, so ``flag is True`` was false and the
    model traced another branch (Hugging Face's ``output_hidden_states=True``
    read as "hidden state 1 only": the others came back ``None``), a silent
    wrong answer. Such models take the two-step path.
    """
    leaves = torch.utils._pytree.tree_leaves(tuple(example_inputs))
    return any(type(leaf) in (bool, int) for leaf in leaves)


def _export_decomposed(model, example_inputs: tuple, dynamic_shapes, decompositions: dict):
    """One non-strict trace to ATen IR with ``decompositions`` applied.

    ``torch.export._trace._export`` has no parameter for the table: its ATen
    step (``_export_to_aten_ir``, looked up when called) is replaced for the
    duration of the trace; callers hold the export lock, so no other export sees it.
    """
    cia, table = _split_decomp_table_to_cia_and_python_decomp(dict(decompositions))
    to_aten: Callable = _trace._export_to_aten_ir
    _trace._export_to_aten_ir = functools.partial(to_aten, decomp_table=table)
    try:
        with _override_composite_implicit_decomp(cia), _no_partial_graph():
            program = _trace._export(
                model,
                tuple(example_inputs),
                dynamic_shapes=dynamic_shapes,
                strict=False,
                pre_dispatch=False,
            )
    finally:
        _trace._export_to_aten_ir = to_aten
    _lift_fresh_copy_as_clone(program.graph)
    return program


def _lift_fresh_copy_as_clone(graph: torch.fx.Graph) -> None:
    """``aten.lift_fresh_copy(t)`` (a tensor made in ``forward``, ``torch.tensor(...)``) as
    ``aten.clone(t)``, what it means and what ``run_decompositions``' retrace records:
    the program is the two-step path's. Tracing emits the node itself, past the table."""
    for node in graph.nodes:
        if node.op == "call_function" and node.target == torch.ops.aten.lift_fresh_copy.default:
            node.target = torch.ops.aten.clone.default


def _export(model, example_inputs: tuple, dynamic_shapes, strict: bool):
    with _no_partial_graph():
        return torch.export.export(
            model, tuple(example_inputs), dynamic_shapes=dynamic_shapes, strict=strict
        )


@contextlib.contextmanager
def _no_partial_graph():
    """Runs a trace with stderr held back, then writes what it printed to stderr, less the
    partial graph a failing torch.export prints (its exception's ``partial_fx_graph``,
    printed by each of the nested wrappers the exception passes: twice non-strict).

    Post-condition: warnings and prints of the trace still reach stderr, in order.
    """
    held = io.StringIO()
    try:
        with contextlib.redirect_stderr(held):
            yield
    except BaseException as err:
        text = held.getvalue()
        for graph in _partial_graphs(err):
            text = text.replace(f"{graph}\n", "")
        sys.stderr.write(text)
        raise
    sys.stderr.write(held.getvalue())


def _partial_graphs(err: BaseException) -> list[str]:
    """The ``partial_fx_graph`` texts along ``err``'s chain of causes (strict export
    raises a ``UserError`` caused by the error that may carry one)."""
    graphs, seen = [], set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if getattr(err, "partial_fx_graph", None):
            graphs.append(err.partial_fx_graph)
        err = err.__cause__ or err.__context__
    return graphs


def export_error(err: Exception, strict_err: Exception | None = None) -> UnsupportedOpsError:
    """A torch.export failure as an ``UnsupportedOpsError`` naming the construct and line."""
    name = type(err).__name__
    construct = _CONSTRUCTS.get(name, f"a construct torch.export cannot trace ({name})")
    reason = f"torch.export: {name}: {first_line(err)}{library_frame(err.__traceback__)}"
    if strict_err is not None:
        reason += f" (strict export: {type(strict_err).__name__}: {first_line(strict_err)})"
    return UnsupportedOpsError(
        [UnsupportedOp(construct, traceback_location(err.__traceback__), reason)]
    )


def first_line(err: Exception, limit: int = 300) -> str:
    """The first non-empty line of an exception's message, at most ``limit`` characters."""
    lines = [line for line in str(err).splitlines() if line.strip()]
    text = lines[0].strip() if lines else "(no message)"
    return text if len(text) <= limit else text[: limit - 3] + "..."
