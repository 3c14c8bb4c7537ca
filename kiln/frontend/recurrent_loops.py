"""A recurrent layer's time steps as one loop body: ``torch.while_loop`` in the FX graph.

An unrolled layer holds one copy of its step per time step, so every stage
after the import (torch-mlir, kiln's pipeline, LLVM) grows with the sequence
length. ``direction_loop`` instead writes a ``higher_order.while_loop`` node
whose body is one step: it reads the step's input projection at the counter
(``select`` at a dynamic index: ``tensor.extract_slice``) and writes the new
hidden state into the carried output sequence (``select_scatter``:
``tensor.insert_slice``, in place once bufferized). torch-mlir imports the
node as a ``torch.prim.Loop`` (``scf.while``; kiln-while-like-loops and
kiln-while-carried-buffers make it run and bufferize).

The carries are the counter, the states, the output sequence, and every
tensor the step reads (torch-mlir's importer takes no separate loop
invariants): the body passes those on unchanged.

    out = loop(t=0, h, c, out=zeros(T, B, H), x_proj, w_hh^T):
        step = x_proj[t] ; h, c = cell(step, h, c) ; out[t] = h ; t += 1
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import torch
from torch.fx import Graph, GraphModule, Node

from kiln.frontend.graph_emitter import GraphEmitter

aten = torch.ops.aten

# cell(emitter, step input (B, G), states, weights) -> new states; states[0] is the output.
Cell = Callable[[GraphEmitter, Node, list, dict], list]


def direction_loop(
    e: GraphEmitter, projected: Node, states: list, weights: dict, cell: Cell, reverse: bool
) -> tuple[Node, list]:
    """One direction of a layer over all the steps of ``projected`` (T, B, G): the output
    sequence (T, B, H) in time order and the final states. ``weights``: the tensors the
    cell reads besides its step input and states (None values are left out)."""
    steps = e.shape(projected)[0]
    weights = {k: v for k, v in sorted(weights.items()) if v is not None}
    counter = e.call(aten.zeros.default, [], dtype=torch.int64)
    sequence = e.call(aten.new_zeros.default, states[0], [steps, *e.shape(states[0])])
    carries = [counter, *states, sequence, projected, *weights.values()]

    def condition(inner: GraphEmitter, args: list) -> Node:
        return inner.call(aten.lt.Scalar, args[0], steps)

    def body(inner: GraphEmitter, args: list) -> list:
        t, old, (out, proj, *read) = args[0], args[1 : 1 + len(states)], args[1 + len(states) :]
        index = inner.call(aten.rsub.Scalar, t, steps - 1) if reverse else t
        at = inner.node(aten.item.default, (index,), {}, 0)  # any index: shapes only
        new = cell(inner, inner.select(proj, 0, at), old, dict(zip(weights, read, strict=True)))
        out = inner.call(aten.select_scatter.default, out, new[0], 0, at)
        return [inner.call(aten.add.Scalar, t, 1), *new, out, proj, *read]

    loop = _while_loop(e, carries, condition, body)
    results = [e.call(operator.getitem, loop, i) for i in range(len(carries))]
    return results[1 + len(states)], results[1 : 1 + len(states)]


def _while_loop(e: GraphEmitter, carries: list, condition, body) -> Node:
    """A ``higher_order.while_loop`` node over ``carries`` whose condition and body
    subgraphs ``condition``/``body`` write (each given an emitter and the carries)."""
    root = e.graph.owning_module
    names = [_free_name(root, f"kiln_recurrent_{role}") for role in ("cond", "body")]
    for name, build in zip(names, (condition, body), strict=True):
        root.add_submodule(name, GraphModule(root, _subgraph(e, carries, build)))
    with e.graph.inserting_before(e.anchor):
        functions = [e.graph.get_attr(name) for name in names]
    value = tuple(c.meta["val"] for c in carries)  # the body keeps every carry's type
    return e.node(torch.ops.higher_order.while_loop, (*functions, tuple(carries), ()), {}, value)


def _subgraph(e: GraphEmitter, carries: list, build) -> Graph:
    """A graph of one placeholder per carry, whose output is what ``build`` emits."""
    graph = Graph()
    args = []
    for i, carry in enumerate(carries):
        arg = graph.placeholder(f"arg{i}")
        arg.meta["val"] = carry.meta["val"]
        args.append(arg)
    output = graph.output(None)
    result = build(e.nested(graph, output), args)
    output.args = (tuple(result) if isinstance(result, list) else result,)
    return graph


def _free_name(root: torch.nn.Module, prefix: str) -> str:
    index = 0
    while hasattr(root, f"{prefix}_{index}"):
        index += 1
    return f"{prefix}_{index}"
