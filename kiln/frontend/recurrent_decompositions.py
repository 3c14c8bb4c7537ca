"""Recurrent layers (``nn.LSTM``, ``nn.GRU``) expanded after the trace, not during it.

torch.export unrolls a recurrent layer over its time steps while it traces,
at about 1 ms per op per step (functionalization, fake tensors and the FX
proxy on every op, in two passes) and some 25 ops a step: timm's
sequencer2d_s (36 bidirectional LSTMs over 16-32 steps) spent 97 s of a
116 s import there. Instead the table below keeps ``aten.lstm.input`` and
``aten.gru.input`` as single nodes through the trace (a
CompositeImplicitAutograd op whose decomposition returns ``NotImplemented``
is preserved), and ``expand_recurrent`` writes them into the FX graph
(``kiln/frontend/graph_emitter.py``), each direction of each layer as one
matmul projecting the inputs of all steps, then the steps:

- over more than ``UNROLLED_STEPS`` steps, one step body inside a
  ``torch.while_loop`` (``recurrent_loops.py``): every later stage sees one
  step, so compile time does not grow with the sequence length;
- a single step unrolled (~16 aten ops): the loop was never measurably
  slower than the unrolled steps, so a step needs no loop only when it is
  the only one;
- every step unrolled for targets that cannot loop on the host around their
  kernels (``TargetEntry.host_loops``: cuda, whose launch plan replays kernels).

Variants neither handles (dynamic shapes, packed sequences, which are
another overload) keep PyTorch's decomposition.
"""

from __future__ import annotations

import torch
from torch._decomp import get_decompositions

from kiln.frontend.graph_emitter import GraphEmitter
from kiln.frontend.recurrent_loops import direction_loop

aten = torch.ops.aten
_TORCH = get_decompositions([aten.lstm.input, aten.gru.input])

# Up to this many steps a direction is unrolled, beyond it is one loop. Measured (paired,
# 1 thread): the loop ran as fast as the unrolled steps from one step on (LSTM 256->256,
# batch 4, T=1: 0.180 vs 0.186 ms; T=4: 0.542 vs 0.540 ms) and faster for small layers
# (32->32, T=8: 0.025 vs 0.034 ms: no final concatenation), so only a single step, which
# needs no loop, stays unrolled.
UNROLLED_STEPS = 1


def _static(value) -> bool:
    return all(isinstance(d, int) for d in value.shape)


def expandable(x, hx, params, has_biases, num_layers, bidirectional) -> bool:
    """True when ``expand_recurrent`` handles this call: static shapes, (T, B, I) or
    unbatched (T, I) input, and the weights PyTorch's layers pass (with or without
    biases, with or without an LSTM projection). ``hx``: (h0, c0) or a GRU's h0."""
    directions = 2 if bidirectional else 1
    per_direction = len(params) / (num_layers * directions)
    states = hx if isinstance(hx, (list, tuple)) else [hx]  # LSTM: (h0, c0); GRU: h0
    if x.dim() not in (2, 3) or not _static(x) or not all(_static(h) for h in states):
        return False
    return per_direction in ((4, 5) if has_biases else (2, 3))


def _keep(op):
    def decomposition(x, hx, params, has_biases, num_layers, dropout, train, bidi, batch_first):
        if expandable(x, hx, params, has_biases, num_layers, bidi):
            return NotImplemented  # kept as one node: expand_recurrent expands it
        return _TORCH[op](x, hx, params, has_biases, num_layers, dropout, train, bidi, batch_first)

    return decomposition


RECURRENT_DECOMPOSITIONS = {op: _keep(op) for op in (aten.lstm.input, aten.gru.input)}


def _weights(params, has_biases: bool, per: int, index: int) -> dict:
    """The named weights of direction ``index`` (PyTorch's order: w_ih, w_hh, b_ih, b_hh, w_hr)."""
    w = list(params[index * per : (index + 1) * per])
    names = ["w_ih", "w_hh"] + (["b_ih", "b_hh"] if has_biases else [])
    named = dict(zip(names, w, strict=False))  # a projection's w_hr comes last
    if len(w) > len(names):
        named["w_hr"] = w[-1]
    return named


def _projected(e: GraphEmitter, x, w, fold_hh_bias: bool):
    """Every step's input projection (T, B, G): one matmul for all steps (the bulk of
    the layer's work), with b_ih (and b_hh where it may be added early) folded in."""
    steps, batch, features = e.shape(x)
    flat = e.reshape(x, [steps * batch, features])
    projected = e.reshape(e.mm(flat, e.t(w["w_ih"])), [steps, batch, -1])
    if "b_ih" in w:
        bias = e.add(w["b_ih"], w["b_hh"]) if fold_hh_bias else w["b_ih"]
        projected = e.add(projected, bias)
    return projected


def _lstm_cell(e: GraphEmitter, step, states: list, w: dict) -> list:
    """(h, c) after one step; ``w``: w_hh_t (H', 4H) and an optional w_hr_t (H, H')."""
    h, c = states
    size = e.shape(w["w_hh_t"])[1] // 4
    gates = e.add(e.mm(h, w["w_hh_t"]), step)
    i, f, g, o = (e.slice(gates, 1, k * size, (k + 1) * size) for k in range(4))
    c = e.add(e.mul(e.sigmoid(f), c), e.mul(e.sigmoid(i), e.tanh(g)))
    h = e.mul(e.sigmoid(o), e.tanh(c))
    if w.get("w_hr_t") is not None:
        h = e.mm(h, w["w_hr_t"])
    return [h, c]


def _gru_cell(e: GraphEmitter, step, states: list, w: dict) -> list:
    """[h] after one step; ``w``: w_hh_t (H, 3H) and an optional b_hh (3H)."""
    (h,) = states
    size = e.shape(w["w_hh_t"])[1] // 3
    # b_hh stays apart: the new gate scales (h W_hh^T + b_hh) by r.
    hidden = e.mm(h, w["w_hh_t"])
    if w.get("b_hh") is not None:
        hidden = e.add(hidden, w["b_hh"])
    i_r, i_z, i_n = (e.slice(step, 1, k * size, (k + 1) * size) for k in range(3))
    h_r, h_z, h_n = (e.slice(hidden, 1, k * size, (k + 1) * size) for k in range(3))
    r = e.sigmoid(e.add(i_r, h_r))
    z = e.sigmoid(e.add(i_z, h_z))
    n = e.tanh(e.add(i_n, e.mul(r, h_n)))
    return [e.add(n, e.mul(z, e.sub(h, n)))]


def _direction(
    e: GraphEmitter, x, states: list, w: dict, is_lstm: bool, reverse: bool, loops: bool
):
    """One direction of one layer: its output sequence (T, B, H) and final states."""
    projected = _projected(e, x, w, fold_hh_bias=is_lstm)
    cell = _lstm_cell if is_lstm else _gru_cell
    read = {"w_hh_t": e.t(w["w_hh"])}
    if is_lstm:
        read["w_hr_t"] = e.t(w["w_hr"]) if "w_hr" in w else None
    else:
        read["b_hh"] = w.get("b_hh")
    steps = e.shape(x)[0]
    if loops and steps > UNROLLED_STEPS:
        return direction_loop(e, projected, states, read, cell, reverse)
    outputs = []
    for t in range(steps - 1, -1, -1) if reverse else range(steps):
        states = cell(e, e.select(projected, 0, t), states, read)
        outputs.append(states[0])
    return e.stack(outputs[::-1] if reverse else outputs, 0), states


def emit_recurrent(e: GraphEmitter, op, args, loops: bool = True) -> tuple:
    """The results of ``aten.lstm.input`` / ``aten.gru.input`` on FX nodes ``args``, as
    emitted nodes: (output, h_n, c_n) for an LSTM, (output, h_n) for a GRU. ``loops``:
    long sequences as a loop (else every step unrolled)."""
    x, hx, params, has_biases, num_layers, _dropout, _train, bidirectional, batch_first = args
    is_lstm = op == aten.lstm.input
    hx = list(hx) if is_lstm else [hx]  # LSTM: (h0, c0); GRU: h0
    unbatched = len(e.shape(x)) == 2
    if unbatched:
        x = e.unsqueeze(x, 1)
        hx = [e.unsqueeze(h, 1) for h in hx]
    elif batch_first:
        x = e.permute(x, [1, 0, 2])
    directions = 2 if bidirectional else 1
    per = len(params) // (num_layers * directions)
    finals = [[] for _ in hx]
    for layer in range(num_layers):
        outs = []
        for d in range(directions):
            index = layer * directions + d
            w = _weights(params, has_biases, per, index)
            state = [e.select(h, 0, index) for h in hx]
            sequence, last = _direction(e, x, state, w, is_lstm, d == 1, loops)
            outs.append(sequence)
            for final, value in zip(finals, last, strict=True):
                final.append(value)
        x = e.cat(outs, 2) if directions == 2 else outs[0]
    if unbatched:
        return (e.squeeze(x, 1), *(e.squeeze(e.stack(f, 0), 1) for f in finals))
    if batch_first:
        x = e.permute(x, [1, 0, 2])
    return (x, *(e.stack(f, 0) for f in finals))


def expand_recurrent(program, loops: bool = True) -> None:
    """Expands every ``aten.lstm.input`` / ``aten.gru.input`` node of ``program`` in place.

    Pre: ``program`` is a decomposed ``ExportedProgram`` whose recurrent nodes
    passed ``expandable`` (the table above kept them).
    Post: no such node is left; its ``getitem`` users read the emitted results;
    every emitted node (loop bodies included) carries the recurrent node's
    source line and a fake value; a direction over more than ``UNROLLED_STEPS``
    steps is one ``higher_order.while_loop`` node whose subgraphs are
    submodules of ``program.graph_module`` (with ``loops`` False, for targets
    that cannot loop around their kernels, every step is unrolled).
    """
    graph = program.graph
    expanded = False
    for node in list(graph.nodes):
        if node.op != "call_function" or node.target not in RECURRENT_DECOMPOSITIONS:
            continue
        expanded = True
        emitter = GraphEmitter(graph, node)
        results = emit_recurrent(emitter, node.target, node.args, loops)
        for user in list(node.users):
            user.replace_all_uses_with(results[user.args[1]])
            graph.erase_node(user)
        graph.erase_node(node)
    if expanded:  # regenerating the module's code costs 0.1 s on a large model
        program.graph_module.recompile()
