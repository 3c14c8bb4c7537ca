"""Writing aten ops into an exported FX graph without tracing them.

A traced op costs about a millisecond (functionalization, the FX proxy, fake
tensors); appending a node costs microseconds. ``GraphEmitter`` appends
aten ops before an anchor node and gives each the metadata torch-mlir's
importer reads: a fake value (computed once per distinct op and argument
signature, so an unrolled loop pays for one step) and the anchor's source
line, so that errors still name the user's code.
"""

from __future__ import annotations

import torch
import torch.utils._pytree as pytree
from torch.fx import Graph, Node

aten = torch.ops.aten

# The metadata every emitted node inherits from the anchor: where it came from.
_SOURCE_KEYS = ("stack_trace", "nn_module_stack", "source_fn_stack", "from_node")


def _signature(value):
    """A hashable stand-in for an argument: a tensor's shape and dtype, or the value.
    None when a shape is symbolic (such results are not shared)."""
    if isinstance(value, torch.Tensor):
        if not all(isinstance(d, int) for d in value.shape):
            return None
        return ("tensor", tuple(value.shape), value.dtype)
    if isinstance(value, (list, tuple)):
        items = tuple(_signature(v) for v in value)
        return None if None in items else items
    if isinstance(value, dict):
        return _signature(tuple(sorted(value.items())))
    return value


class GraphEmitter:
    """Appends aten ops to ``graph`` before ``anchor``, each with a fake value."""

    def __init__(self, graph: Graph, anchor: Node):
        self.graph = graph
        self.anchor = anchor
        self.source = {k: anchor.meta[k] for k in _SOURCE_KEYS if k in anchor.meta}
        vals = [v for v in pytree.tree_leaves(anchor.meta.get("val")) if hasattr(v, "fake_mode")]
        self.fake_mode = vals[0].fake_mode if vals else None
        self._values: dict = {}

    def nested(self, graph: Graph, anchor: Node) -> GraphEmitter:
        """An emitter into another graph (a loop's body) that shares this one's source
        line, fake mode and computed values."""
        inner = GraphEmitter.__new__(GraphEmitter)
        inner.graph, inner.anchor = graph, anchor
        inner.source, inner.fake_mode, inner._values = self.source, self.fake_mode, self._values
        return inner

    def call(self, op, *args, **kwargs) -> Node:
        """A node computing ``op(*args, **kwargs)`` (args: nodes, lists of nodes, Python
        values)."""
        vals = pytree.tree_map_only(Node, lambda n: n.meta["val"], (args, kwargs))
        key = _signature(vals)
        value = self._values.get((op, key)) if key is not None else None
        if value is None:
            value = self._fake(op, *vals)
            if key is not None:
                self._values[(op, key)] = value
        return self.node(op, args, kwargs, value)

    def node(self, op, args: tuple, kwargs: dict, value) -> Node:
        """A node computing ``op`` whose fake value the caller knows (``value``)."""
        with self.graph.inserting_before(self.anchor):
            node = self.graph.call_function(op, args, kwargs)
        node.meta.update(self.source)
        node.meta["val"] = value
        return node

    def _fake(self, op, args, kwargs):
        if self.fake_mode is None:
            return op(*args, **kwargs)
        with self.fake_mode:
            return op(*args, **kwargs)

    @staticmethod
    def shape(node: Node) -> tuple:
        return tuple(node.meta["val"].shape)

    # The ops recurrent layers need, as aten overloads torch-mlir imports.
    def mm(self, a, b):
        return self.call(aten.mm.default, a, b)

    def add(self, a, b):
        return self.call(aten.add.Tensor, a, b)

    def sub(self, a, b):
        return self.call(aten.sub.Tensor, a, b)

    def mul(self, a, b):
        return self.call(aten.mul.Tensor, a, b)

    def sigmoid(self, a):
        return self.call(aten.sigmoid.default, a)

    def tanh(self, a):
        return self.call(aten.tanh.default, a)

    def t(self, a):
        return self.call(aten.permute.default, a, [1, 0])

    def permute(self, a, dims):
        return self.call(aten.permute.default, a, list(dims))

    def reshape(self, a, shape):
        # Not view: a permuted (batch_first) input is not contiguous.
        return self.call(aten.reshape.default, a, list(shape))

    def select(self, a, dim, index):
        return self.call(aten.select.int, a, dim, index)

    def slice(self, a, dim, start, end):
        return self.call(aten.slice.Tensor, a, dim, start, end)

    def unsqueeze(self, a, dim):
        return self.call(aten.unsqueeze.default, a, dim)

    def squeeze(self, a, dim):
        return self.call(aten.squeeze.dims, a, [dim])

    def cat(self, nodes, dim):
        return self.call(aten.cat.default, list(nodes), dim)

    def stack(self, nodes, dim):
        return self.cat([self.unsqueeze(n, dim) for n in nodes], dim)
