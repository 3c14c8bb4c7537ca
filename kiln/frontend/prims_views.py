"""The ``prims`` view ops of an exported program rewritten as the aten views they are.

``torch.ops.prims.squeeze``, ``split_dim``, ``broadcast_in_dim`` and the other
prims whose result aliases their input are Python-defined custom ops: export's
functionalization refuses them ("Found a custom (non-ATen) operator whose
output has alias annotations"), so neither the single trace nor
``run_decompositions`` gets past one. Each is an aten view (or a short chain
of them) under another name: ``functional_views`` rewrites the nodes of an
exported (not yet decomposed) program in place, and the decomposition trace
then sees aten ops only.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.fx import Graph, Node

aten, prims = torch.ops.aten, torch.ops.prims


def _squeeze(graph: Graph, a, dimensions) -> Node:
    return graph.call_function(aten.squeeze.dims, (a, list(dimensions)))


def _split_dim(graph: Graph, a, dim, outer_length) -> Node:
    # prims.split_dim(a, d, n): dim d of size s becomes (n, s // n).
    return graph.call_function(aten.unflatten.int, (a, dim, [outer_length, -1]))


def _collapse_view(graph: Graph, a, start, end) -> Node:
    # prims collapse dims start..end, both included, as flatten does.
    return graph.call_function(aten.flatten.using_ints, (a, start, end))


def _broadcast_in_dim(graph: Graph, a, shape, broadcast_dimensions) -> Node:
    # a's dim i becomes dim broadcast_dimensions[i] of the result; the others are new.
    value = a
    for dim in range(len(shape)):
        if dim not in broadcast_dimensions:
            value = graph.call_function(aten.unsqueeze.default, (value, dim))
    return graph.call_function(aten.expand.default, (value, list(shape)))


def _transpose(graph: Graph, a, permutation) -> Node:
    return graph.call_function(aten.permute.default, (a, list(permutation)))


def _as_strided(graph: Graph, a, size, stride, storage_offset) -> Node:
    return graph.call_function(aten.as_strided.default, (a, size, stride, storage_offset))


def _view_of(graph: Graph, a) -> Node:
    return graph.call_function(aten.alias.default, (a,))


def _view_of_dtype(graph: Graph, a, dtype) -> Node:
    return graph.call_function(aten.view.dtype, (a, dtype))


def _copy_to(graph: Graph, a, b) -> Node:
    return graph.call_function(aten.copy_.default, (a, b))


def _unary(op) -> Callable:
    def rewrite(graph: Graph, a) -> Node:
        return graph.call_function(op, (a,))

    return rewrite


# Every prims op whose schema returns an alias of an input, as aten ops.
PRIMS_VIEWS: dict = {
    prims.squeeze.default: _squeeze,
    prims.split_dim.default: _split_dim,
    prims.collapse_view.default: _collapse_view,
    prims.broadcast_in_dim.default: _broadcast_in_dim,
    prims.transpose.default: _transpose,
    prims.as_strided.default: _as_strided,
    prims.view_of.default: _view_of,
    prims.view_of_dtype.default: _view_of_dtype,
    prims.copy_to.default: _copy_to,
    prims.conj.default: _unary(aten.conj.default),
    prims.real.default: _unary(aten.real.default),
    prims.imag.default: _unary(aten.imag.default),
}


def has_prims_views(graph: Graph) -> bool:
    """True when ``graph`` calls one of the ``PRIMS_VIEWS`` ops."""
    return any(node.op == "call_function" and node.target in PRIMS_VIEWS for node in graph.nodes)


def functional_views(program) -> None:
    """Rewrites every ``PRIMS_VIEWS`` node of ``program``'s graph as aten ops, in place.

    Pre: ``program`` is an ``ExportedProgram`` before ``run_decompositions``.
    Post: no node calls a prims view op; each replacement keeps the node's
    metadata (its source line, its value), so errors still point at the user's code.
    """
    graph = program.graph
    for node in list(graph.nodes):
        rewrite = PRIMS_VIEWS.get(node.target) if node.op == "call_function" else None
        if rewrite is None:
            continue
        with graph.inserting_before(node):
            new = rewrite(graph, *node.args, **node.kwargs)
        new.meta = dict(node.meta)
        node.replace_all_uses_with(new)
        graph.erase_node(node)
    program.graph_module.recompile()
