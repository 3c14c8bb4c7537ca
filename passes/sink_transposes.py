"""kiln-sink-transposes: move layout transposes down through the ops between them.

A target that runs convolutions in another layout (the CPU's NHWC,
``kiln-conv-to-nhwc``) leaves each one between transposes: ``T(x)`` back to
the model's layout after it, ``T^-1`` in front of the next. The ops in
between (a squeeze-excitation's global mean and scale, channel slices of a
residual, a concatenation, BatchNorm and activations) then run in the model's
layout, and each transpose is a full copy of an activation. This pass moves
each ``T(x)`` below its users, rewriting the user to work on ``x`` in ``x``'s
layout, until the transpose meets its inverse and both disappear:

    %y = transpose(%x, P); %z = generic(%y, %s)  ->  %z = transpose(generic'(%x, %s), P)

- ``linalg.generic`` whose loops are the transposed tensor's dimensions
  (elementwise ops and reductions keeping their rank): the loops are
  interchanged by ``P``, transposed operands are read in ``x``'s layout, the
  others (a per-channel [1,C,1,1] operand) through the interchanged map;
  results of the transposed rank are written in ``x``'s layout and transposed
  back (that transpose sinks further). A generic is only rewritten when every
  full-size input is such a transpose (else the transpose would merely move a
  strided read elsewhere) and its body reads no loop indices;
- ``tensor.extract_slice`` / ``insert_slice`` (static, rank-preserving) and
  ``tensor.concat`` slice or join along the permuted dimensions;
- ``transpose(transpose(x, P), Q)`` with ``P`` then ``Q`` the identity is ``x``.

Transposes with no user that can take ``x`` (function results, contractions)
stay where they end up, so a model's inputs and outputs keep their layout.

Pre: linalg-on-tensors; transposes as ``linalg.transpose`` (before elementwise
fusion turns them into generics).
Post: no rewritable user (above) reads a ``linalg.transpose`` result; results
keep their types and values.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, static_shape, tensor_type, users
from kiln.passes.permuted_generic import (
    inverse,
    permutation,
    sink_generic,
    to_source_layout,
    transpose,
    transposed_source,
)
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir, tensor

SINKABLE = ("linalg.generic", "tensor.extract_slice", "tensor.insert_slice", "tensor.concat")


@register
class SinkTransposes(KilnPass):
    """Sink linalg.transpose ops through elementwise ops, reductions, slices and concats."""

    name = "kiln-sink-transposes"

    def run(self, module: ir.Operation) -> None:
        changed = True
        while changed:
            changed = False
            for op in collect_ops(module, SINKABLE):
                changed |= _sink(op)
            for op in collect_ops(module, ["linalg.transpose"]):
                changed |= _cancel_inverse(op)
            _erase_dead_transposes(module)


def _sink(op: ir.Operation) -> bool:
    if op.name == "linalg.generic":
        return sink_generic(op)
    if any(static_shape(v) is None for v in (*op.operands, *op.results)):
        return False
    with ir.InsertionPoint(op), op.location:
        if op.name == "tensor.extract_slice":
            new = _sink_extract(op)
        elif op.name == "tensor.insert_slice":
            new = _sink_insert(op)
        else:
            new = _sink_concat(op)
    if new is None:
        return False
    op.results[0].replace_all_uses_with(new)
    op.erase()
    return True


def _static_slice(op: ir.Operation, perm: list[int]):
    """The slice's static offsets, sizes and strides reordered into the source layout,
    or None when any is dynamic or the slice drops dimensions."""
    if len(op.operands) != (2 if op.name == "tensor.insert_slice" else 1):
        return None
    names = ("static_offsets", "static_sizes", "static_strides")
    parts = [list(ir.DenseI64ArrayAttr(op.attributes[n])) for n in names]
    sliced = op.operands[0] if op.name == "tensor.insert_slice" else op.results[0]
    if len(static_shape(sliced)) != len(perm):
        return None  # rank-reducing
    inv = inverse(perm)
    return [[part[inv[k]] for k in range(len(perm))] for part in parts]


def _transposed_slice(op: ir.Operation, index: int):
    """(x, P, the slice's offsets/sizes/strides in x's layout) when operand ``index`` of the
    slice ``op`` (an extract's source, an insert's destination) is ``transpose(x, P)``."""
    found = transposed_source(op.operands[index])
    if found is None:
        return None
    parts = _static_slice(op, found[1])
    return None if parts is None else (*found, parts)


def _sink_extract(op: ir.Operation) -> ir.Value | None:
    """extract_slice(transpose(x, P)) -> transpose(extract_slice'(x), P)."""
    found = _transposed_slice(op, 0)
    if found is None:
        return None
    source, perm, parts = found
    result_type = tensor_type(parts[1], ir.ShapedType(source.type).element_type)
    sliced = tensor.extract_slice(result_type, source, [], [], [], *parts)
    return transpose(sliced, perm)


def _sink_insert(op: ir.Operation) -> ir.Value | None:
    """insert_slice(s, transpose(d, P)) -> transpose(insert_slice'(s', d), P)."""
    found = _transposed_slice(op, 1)
    if found is None:
        return None
    dest, perm, parts = found
    source = to_source_layout(op.operands[0], perm)
    inserted = tensor.insert_slice(source, dest, [], [], [], *parts)
    return transpose(inserted, perm)


def _sink_concat(op: ir.Operation) -> ir.Value | None:
    """concat(transpose(a, P), transpose(b, P), dim=d) -> transpose(concat(a, b, dim=P[d]), P)."""
    first = transposed_source(op.operands[0])
    if first is None:
        return None
    perm = first[1]
    sources = [transposed_source(v, perm) for v in op.operands]
    if any(s is None for s in sources):
        return None
    dim = ir.IntegerAttr(op.attributes["dim"]).value
    shape = static_shape(op.results[0])
    result_type = tensor_type(
        [shape[i] for i in inverse(perm)], ir.ShapedType(op.results[0].type).element_type
    )
    joined = tensor.concat(result_type, perm[dim], [s[0] for s in sources])
    return transpose(joined, perm)


def _cancel_inverse(op: ir.Operation) -> bool:
    """transpose(transpose(x, P), Q) -> x when applying P then Q is the identity."""
    found = transposed_source(op.operands[0])
    if found is None:
        return False
    source, first = found
    second = permutation(op)
    if [first[q] for q in second] != list(range(len(second))):
        return False
    op.results[0].replace_all_uses_with(source)
    op.erase()
    return True


def _erase_dead_transposes(module: ir.Operation) -> None:
    for op in reversed(collect_ops(module, ["linalg.transpose"])):
        if not users(op.results[0]):
            op.erase()
