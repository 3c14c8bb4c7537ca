"""Real-pair rewrites of the ATen ops that create, view, copy and convert complex tensors.

Each handler ``(emitter, node) -> node`` emits real ops on the pair layout
(a complex ``S`` tensor is a real ``S + [2]`` one) and returns the node that
replaces ``node``. The pair dimension stays last, so a view's dims are the
complex tensor's, a negative ``dim`` normalized against the complex rank.

    aten.permute(z, [1, 0])  ->  aten.permute(pair, [1, 0, 2])
"""

from __future__ import annotations

import torch

from kiln.frontend.complex_emitter import PART_DTYPES, Emitter

aten = torch.ops.aten


def dim_of(dim: int, rank: int) -> int:
    """``dim`` of a rank-``rank`` complex tensor as a non-negative index."""
    return dim % rank if rank else 0


# --- views and copies: the pair dimension rides along last ------------------------------


def _view(e: Emitter, node):
    a = e.arguments(node)
    return e.op(node.target, a["self"], [*a["size"], 2])


def _permute(e: Emitter, node):
    a = e.arguments(node)
    rank = e.rank(a["self"])
    return e.op(aten.permute.default, a["self"], [*(dim_of(d, rank) for d in a["dims"]), rank])


def _transpose(e: Emitter, node):
    a = e.arguments(node)
    rank = e.rank(a["self"])
    return e.op(aten.transpose.int, a["self"], dim_of(a["dim0"], rank), dim_of(a["dim1"], rank))


def _slice(e: Emitter, node):
    a = e.arguments(node)
    dim = dim_of(a["dim"], e.rank(a["self"]))
    return e.op(aten.slice.Tensor, a["self"], dim, a["start"], a["end"], a["step"])


def _select(e: Emitter, node):
    a = e.arguments(node)
    return e.op(aten.select.int, a["self"], dim_of(a["dim"], e.rank(a["self"])), a["index"])


def _unsqueeze(e: Emitter, node):
    a = e.arguments(node)
    return e.op(aten.unsqueeze.default, a["self"], dim_of(a["dim"], e.rank(a["self"]) + 1))


def _squeeze(e: Emitter, node):
    a = e.arguments(node)
    x, shape = a["self"], e.val(a["self"]).shape[:-1]
    dims = a.get("dim")
    if isinstance(dims, int):
        dims = [dims]
    if dims is None:
        dims = [d for d, size in enumerate(shape) if size == 1]
    return e.op(aten.squeeze.dims, x, [dim_of(d, len(shape)) for d in dims])


def _expand(e: Emitter, node):
    a = e.arguments(node)
    return e.op(aten.expand.default, a["self"], [*a["size"], 2])


def _cat(e: Emitter, node):
    a = e.arguments(node)
    rank = node.meta["val"].dim()
    return e.op(aten.cat.default, [e.as_pair(t) for t in a["tensors"]], dim_of(a["dim"], rank))


def _stack(e: Emitter, node):
    a = e.arguments(node)
    rank = node.meta["val"].dim()
    return e.op(aten.stack.default, [e.as_pair(t) for t in a["tensors"]], dim_of(a["dim"], rank))


def _identity(e: Emitter, node):
    """clone, alias, resolve_conj, view_as_real, view_as_complex: the pair itself."""
    return node.args[0]


def _conj(e: Emitter, node):
    x = node.args[0]
    return e.pair(e.re(x), e.op(aten.neg.default, e.im(x)))


def _copy(e: Emitter, node):
    """``copy(dst, src)``: src, in dst's shape and dtype."""
    a = e.arguments(node)
    shape = list(node.meta["val"].shape)
    if not node.meta["val"].dtype.is_complex:
        return e.op(aten.expand.default, e.re(a["src"]), shape)
    return e.op(aten.expand.default, e.as_pair(a["src"]), [*shape, 2])


def _convert(e: Emitter, node):
    """``_to_copy``/``convert_element_type``: complex <-> complex changes the parts' dtype;
    real -> complex has imaginary parts 0; complex -> real keeps the real part, as eager."""
    x, dtype = node.args[0], node.meta["val"].dtype
    if not e.is_pair(x):
        return e.as_pair(x)
    if dtype.is_complex:
        return e.op(aten._to_copy.default, x, dtype=PART_DTYPES[dtype])
    return e.op(aten._to_copy.default, e.re(x), dtype=dtype)


def _complex(e: Emitter, node):
    shape = list(node.meta["val"].shape)
    dtype = PART_DTYPES[node.meta["val"].dtype]
    parts = [e.op(aten._to_copy.default, part, dtype=dtype) for part in node.args[:2]]
    return e.pair(*(e.op(aten.expand.default, part, shape) for part in parts))


def _polar(e: Emitter, node):
    magnitude, angle = node.args[:2]
    re = e.op(aten.mul.Tensor, magnitude, e.op(aten.cos.default, angle))
    im = e.op(aten.mul.Tensor, magnitude, e.op(aten.sin.default, angle))
    return e.pair(re, im)


def _real(e: Emitter, node):
    return e.re(node.args[0])


def _imag(e: Emitter, node):
    return e.im(node.args[0])


COMPLEX_VIEWS = {
    aten.view.default: _view,
    aten._unsafe_view.default: _view,
    aten.reshape.default: _view,
    aten.permute.default: _permute,
    aten.transpose.int: _transpose,
    aten.slice.Tensor: _slice,
    aten.select.int: _select,
    aten.unsqueeze.default: _unsqueeze,
    aten.squeeze.default: _squeeze,
    aten.squeeze.dim: _squeeze,
    aten.squeeze.dims: _squeeze,
    aten.expand.default: _expand,
    aten.cat.default: _cat,
    aten.stack.default: _stack,
    aten.clone.default: _identity,
    aten.alias.default: _identity,
    aten.lift_fresh_copy.default: _identity,
    aten.resolve_conj.default: _identity,
    aten.resolve_neg.default: _identity,
    aten.view_as_real.default: _identity,
    aten.view_as_complex.default: _identity,
    aten._conj.default: _conj,
    aten.conj_physical.default: _conj,
    aten.copy.default: _copy,
    aten._to_copy.default: _convert,
    torch.ops.prims.convert_element_type.default: _convert,
    aten.complex.default: _complex,
    aten.polar.default: _polar,
    aten.real.default: _real,
    aten.imag.default: _imag,
}
