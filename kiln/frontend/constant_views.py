"""Views of weights are taken in PyTorch, once, before torch-mlir sees the program.

A model that reshapes a parameter in ``forward`` (weight-standardized
convolutions: NFNet's ``ScaledStdConv2d``, BiT's ``StdConv2d``; LoRA merges;
grouped weights viewed per group) leaves ``aten.view(weight, shape)`` in the
exported graph. torch-mlir's canonicalizer folds a view of a tensor literal by
rebuilding the literal element by element: about 3 us per element, 10 s for
one 1536 x 512 x 3 x 3 weight, and nfnet_l0 (35M weights, each viewed) spent 48 s
of its import there. PyTorch's view of the same tensor is free.

``fold_constant_views`` replaces every ``view``/``reshape``/``_unsafe_view`` whose
input is a lifted weight (a parameter, a buffer nothing writes, a constant
tensor; or such a view itself) by a new lifted constant holding the viewed
tensor, so torch-mlir imports it as a literal of the viewed shape. Values are
unchanged; the weight itself stays where other ops read it.
"""

from __future__ import annotations

import torch
from torch.export.graph_signature import InputKind, InputSpec, OutputKind

from kiln.frontend.lift import lift_constant

_VIEWS = {
    torch.ops.aten.view.default,
    torch.ops.aten.reshape.default,
    torch.ops.aten._unsafe_view.default,
}
_STATE = (InputKind.PARAMETER, InputKind.BUFFER, InputKind.CONSTANT_TENSOR)


def fold_constant_views(program) -> int:
    """Rewrites ``program`` (an ``ExportedProgram``) in place; returns the views folded."""
    sig = program.graph_signature
    written = {
        spec.target
        for spec in sig.output_specs
        if spec.kind in (OutputKind.BUFFER_MUTATION, OutputKind.PARAMETER_MUTATION)
    }
    values = {}  # placeholder name -> its tensor
    for spec in sig.input_specs:
        if spec.kind in _STATE and spec.target not in written:
            tensor = _state(program, spec)
            if tensor is not None:
                values[spec.arg.name] = tensor
    graph = program.graph
    folded = 0
    for node in list(graph.nodes):
        if node.op != "call_function" or node.target not in _VIEWS:
            continue
        source = node.args[0]
        if not isinstance(source, torch.fx.Node) or source.name not in values:
            continue
        if any(isinstance(size, torch.fx.Node) for size in node.args[1]):
            continue  # a symbolic shape
        tensor = values[source.name].reshape(node.args[1])
        placeholder = lift_constant(program, tensor, f"_kiln_view_{source.name}")
        placeholder.meta = dict(node.meta)
        values[placeholder.name] = program.constants[placeholder.name]
        node.replace_all_uses_with(placeholder)
        graph.erase_node(node)
        folded += 1
    if folded:
        _drop_unused_state(graph, sig)
        graph.lint()
    return folded


def _drop_unused_state(graph, sig) -> None:
    """Weights only read through folded views leave the program (torch-mlir would import
    each lifted input as a literal, used or not)."""
    unused = {node.name: node for node in _placeholders(graph) if not node.users}
    kept = []
    for spec in sig.input_specs:
        name = getattr(spec.arg, "name", None)
        if spec.kind in _STATE and name in unused:
            graph.erase_node(unused[name])
        else:
            kept.append(spec)
    sig.input_specs[:] = kept


def _state(program, spec: InputSpec) -> torch.Tensor | None:
    target = spec.target
    if target in program.state_dict:
        return program.state_dict[target].detach()
    if target in program.constants and isinstance(program.constants[target], torch.Tensor):
        return program.constants[target].detach()
    return None


def _placeholders(graph) -> list:
    return [node for node in graph.nodes if node.op == "placeholder"]
