"""A ``linalg.generic`` rewritten to read a transposed operand's source: the helpers of
``kiln-sink-transposes`` (``sink_transposes.py``).

``transpose(x, P)`` has result dimension i equal to ``x``'s dimension ``P[i]``. A
generic whose loops are the dimensions of ``transpose(x, P)`` runs the same
iterations with its loops interchanged into ``x``'s order: old loop i is new loop
``P[i]``. Every map is rewritten accordingly; operands and results that change
layout also have their results reordered by ``P``'s inverse.
"""

from __future__ import annotations

from kiln.passes.common import (
    body_op_names,
    broadcast_dims,
    defining_op,
    indexing_maps,
    iterator_types,
    single_result,
    static_shape,
)

from kiln.ir import ir, linalg, tensor


def permutation(op: ir.Operation) -> list[int]:
    """A ``linalg.transpose``'s permutation: result dim i is input dim perm[i]."""
    return list(ir.DenseI64ArrayAttr(op.attributes["permutation"]))


def inverse(perm: list[int]) -> list[int]:
    """The permutation undoing ``perm``."""
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return inv


def transposed_source(value: ir.Value, perm: list[int] | None = None):
    """(x, P) if ``value`` is ``transpose(x, P)`` (with ``perm`` when given), else None."""
    op = defining_op(value)
    if op is None or op.name != "linalg.transpose":
        return None
    if perm is not None and permutation(op) != perm:
        return None
    return op.operands[0], permutation(op)


def transpose(value: ir.Value, perm: list[int]) -> ir.Value:
    """``linalg.transpose(value, perm)`` into a new empty tensor (static shape)."""
    shape = static_shape(value)
    empty = tensor.empty([shape[p] for p in perm], ir.ShapedType(value.type).element_type)
    return single_result(linalg.transpose(value, outs=[empty], permutation=perm))


def to_source_layout(value: ir.Value, perm: list[int]) -> ir.Value:
    """``value`` (in the transposed layout) in the source layout: the source of a
    transpose by ``perm``, else a transpose by the inverse (which cancels or folds)."""
    found = transposed_source(value, perm)
    return found[0] if found else transpose(value, inverse(perm))


def sink_generic(op: ir.Operation) -> bool:
    """generic(transpose(x, P), s) -> transpose(generic'(x, s), P); False if not applicable.

    Applicable when every operand map is a projected permutation (constant-0 broadcast
    dims allowed), some input reads a transpose by P with the identity map (so the
    loops are that tensor's dimensions), every other identity-map input is also a
    transpose by P (no full-size operand is left to read strided), and the body does
    not read loop indices (``linalg.index``), which the interchange would change.
    """
    perm = _anchor_permutation(op)
    if perm is None:
        return False
    n_inputs = len(op.operands) - len(op.results)
    inv = inverse(perm)
    with ir.InsertionPoint(op), op.location:
        operands, maps, moved = _interchanged_operands(op, perm)
        new = op.clone(ip=ir.InsertionPoint(op))
        for index, value in enumerate(operands):
            new.operands[index] = value
        new.attributes["indexing_maps"] = ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in maps])
        kinds = iterator_types(op)
        new.attributes["iterator_types"] = ir.ArrayAttr.get(
            [ir.Attribute.parse(f"#linalg.iterator_type<{kinds[i]}>") for i in inv]
        )
        results = []
        for result, init, permuted in zip(
            new.results, operands[n_inputs:], moved[n_inputs:], strict=True
        ):
            result.set_type(init.type)
            results.append(transpose(result, perm) if permuted else result)
    for old, value in zip(op.results, results, strict=True):
        old.replace_all_uses_with(value)
    op.erase()
    return True


def _interchanged_operands(op: ir.Operation, perm: list[int]):
    """Per operand of ``op``: the value to use, its map over the interchanged loops (old
    loop i is new loop P[i]), and whether it moved to the source layout (its map's
    results then reordered by P's inverse)."""
    n_inputs = len(op.operands) - len(op.results)
    inv = inverse(perm)
    operands, maps, moved = [], [], []
    for index, (value, amap) in enumerate(zip(op.operands, indexing_maps(op), strict=True)):
        dims = [perm[d] if d >= 0 else -1 for d in broadcast_dims(amap)]
        source = _in_source_layout(value, perm, is_init=index >= n_inputs)
        if source is not None:
            dims = [dims[i] for i in inv]
        operands.append(value if source is None else source)
        maps.append(_map(len(perm), dims))
        moved.append(source is not None)
    return operands, maps, moved


def _anchor_permutation(op: ir.Operation) -> list[int] | None:
    """P if the generic qualifies (``sink_generic``'s conditions), else None."""
    if any(static_shape(v) is None for v in (*op.operands, *op.results)):
        return None
    if "linalg.index" in body_op_names(op):
        return None
    maps = indexing_maps(op)
    if not maps:  # no operands (a body of side effects: cf.assert): nothing to sink
        return None
    all_dims = [broadcast_dims(m) for m in maps]
    if any(d is None for d in all_dims):
        return None
    n_loops = maps[0].n_dims
    identity = list(range(n_loops))
    inputs = list(op.operands)[: len(op.operands) - len(op.results)]
    full = [v for v, d in zip(inputs, all_dims, strict=False) if d == identity]
    if not full:
        return None
    found = transposed_source(full[0])
    if found is None or found[1] == identity:
        return None
    perm = found[1]
    if any(transposed_source(v, perm) is None for v in full):
        return None
    return perm


def _in_source_layout(value: ir.Value, perm: list[int], is_init: bool) -> ir.Value | None:
    """``value`` in the transpose's source layout, or None where it keeps its layout.

    Inputs of the transposed rank that are transposes by ``perm`` give their source;
    other inputs are read in place through the interchanged map. Inits of that rank
    always move (the result is written in the source layout): an empty tensor or a
    fill of one is rebuilt, anything else is transposed.
    """
    shape = static_shape(value)
    if len(shape) != len(perm):
        return None
    found = transposed_source(value, perm)
    if found is not None:
        return found[0]
    if not is_init:
        return None
    return _rebuilt_init(value, perm)


def _rebuilt_init(value: ir.Value, perm: list[int]) -> ir.Value:
    shape = static_shape(value)
    elt = ir.ShapedType(value.type).element_type
    moved_shape = [shape[i] for i in inverse(perm)]
    producer = defining_op(value)
    if producer is not None and producer.name == "tensor.empty":
        return tensor.empty(moved_shape, elt)
    fill_of_empty = (
        producer is not None
        and producer.name == "linalg.fill"
        and defining_op(producer.operands[1]) is not None
        and defining_op(producer.operands[1]).name == "tensor.empty"
    )
    if fill_of_empty:
        empty = tensor.empty(moved_shape, elt)
        return single_result(linalg.fill(producer.operands[0], outs=[empty]))
    return transpose(value, inverse(perm))


def _map(n_dims: int, dims: list[int]) -> ir.AffineMap:
    """``(d0..dn) -> (...)`` with ``d<i>`` for each i >= 0 and the constant 0 for -1."""
    exprs = [ir.AffineDimExpr.get(d) if d >= 0 else ir.AffineConstantExpr.get(0) for d in dims]
    return ir.AffineMap.get(n_dims, 0, exprs)
