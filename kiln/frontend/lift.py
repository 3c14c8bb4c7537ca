"""Adding a lifted constant to an ``ExportedProgram``: a placeholder torch-mlir imports
as a tensor literal (computed once, at compile time)."""

from __future__ import annotations

import torch
from torch.export.graph_signature import InputKind, InputSpec, TensorArgument


def lift_constant(program, tensor: torch.Tensor, name: str) -> torch.fx.Node:
    """A new ``CONSTANT_TENSOR`` input of ``program`` holding ``tensor`` (made contiguous),
    named after ``name`` (the graph keeps names unique), first among the placeholders and
    the input specs alike; the caller sets the node's ``meta``."""
    graph = program.graph
    with graph.inserting_before(next(iter(graph.nodes))):
        node = graph.placeholder(name)
    program.constants[node.name] = tensor.contiguous()
    spec = InputSpec(InputKind.CONSTANT_TENSOR, TensorArgument(node.name), target=node.name)
    program.graph_signature.input_specs.insert(0, spec)
    return node
