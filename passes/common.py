"""Small IR helpers shared by kiln's passes: walking, constants, shapes, reshapes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from kiln.ir import arith, ir, linalg, tensor


def collect_ops(
    root: ir.Operation,
    names: Iterable[str] | None = None,
    order: ir.WalkOrder = ir.WalkOrder.PRE_ORDER,
) -> list[ir.Operation]:
    """All ops nested under ``root`` (pre-order unless ``order`` says otherwise), optionally
    only those named in ``names``."""
    wanted = set(names) if names is not None else None
    found: list[ir.Operation] = []

    def visit(op):
        if wanted is None or op.operation.name in wanted:
            found.append(op.operation)
        return ir.WalkResult.ADVANCE

    root.walk(visit, order)
    return found


def entry_functions(module: ir.Operation) -> list[ir.Operation]:
    """The module's entry points: public ``func.func`` ops with a body."""
    return [
        op.operation
        for op in module.regions[0].blocks[0].operations
        if op.operation.name == "func.func"
        and "sym_visibility" not in op.operation.attributes
        and op.operation.regions[0].blocks
    ]


def defining_op(value: ir.Value) -> ir.Operation | None:
    """The op producing ``value``, or None for a block argument."""
    owner = value.owner
    return owner.operation if isinstance(owner, ir.OpView | ir.Operation) else None


def is_zero_constant(value: ir.Value) -> bool:
    """``value`` is an ``arith.constant`` float 0."""
    op = defining_op(value)
    if op is None or op.name != "arith.constant":
        return False
    attr = op.attributes["value"]
    return isinstance(attr, ir.FloatAttr) and ir.FloatAttr(attr).value == 0.0


def parallel_generic(out: ir.Value) -> tuple[ir.Operation, ir.Block]:
    """An all-parallel ``linalg.generic`` writing ``out`` (identity map, no inputs) and its
    empty body block, whose one argument is ``out``'s element; the caller fills the body."""
    result_type = ir.RankedTensorType(out.type)
    rank = result_type.rank
    generic = linalg.GenericOp(
        [result_type],
        [],
        [out],
        ir.ArrayAttr.get([ir.AffineMapAttr.get(ir.AffineMap.get_identity(rank))]),
        ir.ArrayAttr.get([ir.Attribute.parse("#linalg.iterator_type<parallel>")] * rank),
    )
    return generic, generic.regions[0].blocks.append(result_type.element_type)


def build_generic(inputs, init: ir.Value, maps, kinds, body) -> ir.Value:
    """A one-result ``linalg.generic`` reading ``inputs`` and writing ``init`` at affine
    ``maps`` (one per operand, ``init``'s last), with iterator ``kinds`` ("parallel" or
    "reduction" per loop); ``body(block arguments)`` builds the value it yields."""
    generic = linalg.GenericOp(
        [init.type],
        inputs,
        [init],
        ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in maps]),
        ir.ArrayAttr.get([ir.Attribute.parse(f"#linalg.iterator_type<{k}>") for k in kinds]),
    )
    types = [ir.ShapedType(v.type).element_type for v in (*inputs, init)]
    block = generic.regions[0].blocks.append(*types)
    with ir.InsertionPoint(block):
        linalg.YieldOp([body(list(block.arguments))])
    return generic.results[0]


def splice_before(block: ir.Block, op: ir.Operation) -> None:
    """Moves ``block``'s ops before ``op`` and replaces ``op``'s results by the values its
    terminator yields (inlining a single-block region or a callee's body); ``op`` is erased.
    The block's arguments must already have been replaced by the caller."""
    ops = [inner.operation for inner in block.operations]
    for inner in ops[:-1]:
        inner.move_before(op)
    for result, value in zip(op.results, ops[-1].operands, strict=True):
        result.replace_all_uses_with(value)
    op.erase()


def pad_high(value: ir.Value, shape: Sequence[int]) -> ir.Value:
    """``value`` (static shape, float or integer elements) extended with zeros at the end
    of each dimension up to ``shape``; ``value`` itself when it already has that shape."""
    old = static_shape(value)
    if old == list(shape):
        return value
    elt = element_type(value)
    zero = 0 if isinstance(elt, ir.IntegerType) else 0.0
    high = [new - size for new, size in zip(shape, old, strict=True)]
    pad = tensor.PadOp(tensor_type(shape, elt), value, [], [], [0] * len(old), high)
    block = pad.regions[0].blocks.append(*([ir.IndexType.get()] * len(old)))
    with ir.InsertionPoint(block):
        tensor.YieldOp(arith.constant(elt, zero))
    return pad.result


def single_result(built) -> ir.Value:
    """The single result of what a linalg builder returned (an op view or a value)."""
    if isinstance(built, ir.Value):
        return built
    if isinstance(built, ir.OpResultList):
        return built[0]
    return built.results[0]


def users(value: ir.Value) -> list[ir.Operation]:
    """The ops using ``value`` (one entry per use)."""
    return [
        use.owner.operation if hasattr(use.owner, "operation") else use.owner for use in value.uses
    ]


def constant_array(value: ir.Value) -> np.ndarray | None:
    """The contents of ``value`` if it is an ``arith.constant`` of dense elements: a
    read-only view of the attribute's storage (weights run to hundreds of MB; a copy
    per fold was most of a large model's ``graph`` stage), alive as long as the array."""
    op = defining_op(value)
    if op is None or op.name != "arith.constant":
        return None
    attr = op.attributes["value"]
    if not isinstance(attr, ir.DenseElementsAttr):
        return None
    try:
        return np.asarray(attr)
    except TypeError:  # an element type numpy has no dtype for (bf16, f8): not readable here
        return None


def dense_constant(array: np.ndarray, element_type: ir.Type) -> ir.Value:
    """An ``arith.constant`` holding ``array`` (at the current insertion point), of
    ``array``'s shape: a 0-d array gives a rank-0 tensor."""
    array = np.asarray(array, order="C")  # np.ascontiguousarray would make a 0-d array 1-d
    if _is_splat(array):
        tensor_type = ir.RankedTensorType.get(list(array.shape), element_type)
        attr = ir.DenseElementsAttr.get_splat(
            tensor_type, _scalar_attr(array.reshape(-1)[0], element_type)
        )
    else:
        attr = ir.DenseElementsAttr.get(array, type=element_type, shape=list(array.shape))
    return arith.ConstantOp(attr.type, attr).result


def _is_splat(array: np.ndarray) -> bool:
    """True if ``array`` has more than one element, all equal. A weight differs within its
    first elements: checked there first, the whole array is compared only for splats."""
    flat = array.reshape(-1)
    if flat.size <= 1 or not np.all(flat[:64] == flat[0]):
        return False
    return bool(np.all(flat == flat[0]))


def _scalar_attr(value, element_type: ir.Type) -> ir.Attribute:
    if isinstance(element_type, ir.FloatType):
        return ir.FloatAttr.get(element_type, float(value))
    return ir.IntegerAttr.get(element_type, int(value))


def static_shape(value: ir.Value) -> list[int] | None:
    """The static shape of a ranked tensor value, or None if any dim is dynamic."""
    ty = value.type
    if not isinstance(ty, ir.RankedTensorType) or not ty.has_static_shape:
        return None
    return list(ty.shape)


def element_type(value: ir.Value) -> ir.Type:
    """The element type of a shaped value."""
    return ir.ShapedType(value.type).element_type


def tensor_type(shape: Sequence[int], elt: ir.Type) -> ir.RankedTensorType:
    """``tensor<shape x elt>``."""
    return ir.RankedTensorType.get(list(shape), elt)


def split_dim(value: ir.Value, dim: int, factors: Sequence[int]) -> ir.Value:
    """``tensor.expand_shape`` splitting dimension ``dim`` into ``factors`` (a free reshape)."""
    shape = static_shape(value)
    new_shape = shape[:dim] + list(factors) + shape[dim + 1 :]
    groups, out = [], 0
    for d in range(len(shape)):
        width = len(factors) if d == dim else 1
        groups.append(list(range(out, out + width)))
        out += width
    return expand_to(value, groups, new_shape)


def expand_to(value: ir.Value, groups: Sequence[Sequence[int]], shape: Sequence[int]) -> ir.Value:
    """``tensor.expand_shape`` of ``value`` to static ``shape``, dimension ``i`` of ``value``
    becoming the dimensions ``groups[i]``."""
    return tensor.expand_shape(
        tensor_type(shape, element_type(value)), value, _reassociation(groups), [], list(shape)
    )


def collapse_to(value: ir.Value, groups: Sequence[Sequence[int]]) -> ir.Value:
    """``tensor.collapse_shape`` merging the dimension ``groups`` of ``value``."""
    shape = static_shape(value)
    new_shape = [int(np.prod([shape[d] for d in group])) for group in groups]
    return tensor.collapse_shape(
        tensor_type(new_shape, element_type(value)), value, _reassociation(groups)
    )


def _reassociation(groups: Sequence[Sequence[int]]) -> ir.ArrayAttr:
    return ir.ArrayAttr.get([ir.ArrayAttr.get([_i64(i) for i in group]) for group in groups])


def window_attr(op: ir.Operation, name: str, rank: int) -> list[int]:
    """A named convolution's ``strides`` or ``dilations`` (``name``): one int per spatial
    dim, ``rank`` of them; an absent attribute is its default, all ones."""
    if name not in op.attributes:
        return [1] * rank
    return [int(v) for v in ir.DenseIntElementsAttr(op.attributes[name])]


def _i64(v: int) -> ir.IntegerAttr:
    return ir.IntegerAttr.get(ir.IntegerType.get_signless(64), v)


def affine_map(n_dims: int, results: Sequence[int]) -> ir.AffineMap:
    """``(d0..dn) -> (d_results...)``: a projected permutation map."""
    return ir.AffineMap.get(n_dims, 0, [ir.AffineDimExpr.get(r) for r in results])


def map_dims(amap: ir.AffineMap) -> list[int] | None:
    """The dim positions of a projected-permutation map's results, else None."""
    dims = []
    for expr in amap.results:
        dim = as_affine(expr, ir.AffineDimExpr)
        if dim is None:
            return None
        dims.append(dim.position)
    return dims


def as_affine(expr: ir.AffineExpr, kind: type):
    """``expr`` as an affine expression of ``kind`` (``ir.AffineDimExpr``,
    ``ir.AffineAddExpr``, ...), or None if it is another kind."""
    if isinstance(expr, kind):
        return expr
    try:
        return kind(expr)
    except (ValueError, TypeError):
        return None


def broadcast_dims(amap: ir.AffineMap) -> list[int] | None:
    """Like ``map_dims``, but a constant 0 result (a broadcast unit dim) gives -1."""
    dims = []
    for expr in amap.results:
        text = str(expr)
        if text == "0":
            dims.append(-1)
        elif text.startswith("d") and text[1:].isdigit():
            dims.append(int(text[1:]))
        else:
            return None
    return dims


def indexing_maps(op: ir.Operation) -> list[ir.AffineMap]:
    """The indexing maps of a linalg op carrying an ``indexing_maps`` attribute."""
    return [ir.AffineMapAttr(a).value for a in ir.ArrayAttr(op.attributes["indexing_maps"])]


def iterator_types(op: ir.Operation) -> list[str]:
    """``parallel``/``reduction`` per loop of a linalg.generic."""
    kinds = []
    for attr in ir.ArrayAttr(op.attributes["iterator_types"]):
        text = str(attr)
        kinds.append("reduction" if "reduction" in text else "parallel")
    return kinds


def has_bool_tensors(op: ir.Operation) -> bool:
    """True if an operand or result of ``op`` is a tensor or memref of i1.

    Such buffers hold one byte per element, but a vector<Nxi1> load reads N
    packed bits: kiln does not vectorize them (they stay scalar loops).
    """
    for value in (*op.operands, *op.results):
        ty = value.type
        if isinstance(ty, ir.ShapedType) and ir.ShapedType(
            ty
        ).element_type == ir.IntegerType.get_signless(1):
            return True
    return False


def body_op_names(op: ir.Operation) -> list[str]:
    """The names of the ops in a linalg op's body, terminator included."""
    return [inner.operation.name for inner in op.regions[0].blocks[0].operations]
