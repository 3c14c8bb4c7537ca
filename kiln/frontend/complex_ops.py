"""Real-pair rewrites of the ATen ops that create, view and compute complex tensors.

Each handler ``(emitter, node) -> node`` emits real ops on the pair layout
(a complex ``S`` tensor is a real ``S + [2]`` one) and returns the node that
replaces ``node``: a pair when ``node`` is complex, a real tensor otherwise.
Dimensions are the complex tensor's: the pair dimension stays last, so a
negative ``dim`` is normalized against the complex rank first.

    aten.mul(z, w)  ->  stack([zr*wr - zi*wi, zr*wi + zi*wr], -1)
"""

from __future__ import annotations

import numbers

import torch

from kiln.frontend.complex_emitter import PART_DTYPES, Emitter, Refused

aten = torch.ops.aten


def _dim(dim: int, rank: int) -> int:
    """``dim`` of a rank-``rank`` complex tensor as a non-negative index."""
    return dim % rank if rank else 0


def _dims(emitter: Emitter, x, dims) -> list[int]:
    """Reduction dims of complex ``x``: all of its dims when ``dims`` is None or empty."""
    rank = emitter.rank(x)
    return [_dim(d, rank) for d in dims] if dims else list(range(rank))


# --- views and copies: the pair dimension rides along last ------------------------------


def _view(e: Emitter, node):
    a = e.arguments(node)
    return e.op(node.target, a["self"], [*a["size"], 2])


def _permute(e: Emitter, node):
    a = e.arguments(node)
    rank = e.rank(a["self"])
    return e.op(aten.permute.default, a["self"], [*(_dim(d, rank) for d in a["dims"]), rank])


def _transpose(e: Emitter, node):
    a = e.arguments(node)
    rank = e.rank(a["self"])
    return e.op(aten.transpose.int, a["self"], _dim(a["dim0"], rank), _dim(a["dim1"], rank))


def _slice(e: Emitter, node):
    a = e.arguments(node)
    dim = _dim(a["dim"], e.rank(a["self"]))
    return e.op(aten.slice.Tensor, a["self"], dim, a["start"], a["end"], a["step"])


def _select(e: Emitter, node):
    a = e.arguments(node)
    return e.op(aten.select.int, a["self"], _dim(a["dim"], e.rank(a["self"])), a["index"])


def _unsqueeze(e: Emitter, node):
    a = e.arguments(node)
    return e.op(aten.unsqueeze.default, a["self"], _dim(a["dim"], e.rank(a["self"]) + 1))


def _squeeze(e: Emitter, node):
    a = e.arguments(node)
    x, shape = a["self"], e.val(a["self"]).shape[:-1]
    dims = a.get("dim")
    if isinstance(dims, int):
        dims = [dims]
    if dims is None:
        dims = [d for d, size in enumerate(shape) if size == 1]
    return e.op(aten.squeeze.dims, x, [_dim(d, len(shape)) for d in dims])


def _expand(e: Emitter, node):
    a = e.arguments(node)
    return e.op(aten.expand.default, a["self"], [*a["size"], 2])


def _cat(e: Emitter, node):
    a = e.arguments(node)
    rank = node.meta["val"].dim()
    return e.op(aten.cat.default, [e.as_pair(t) for t in a["tensors"]], _dim(a["dim"], rank))


def _stack(e: Emitter, node):
    a = e.arguments(node)
    rank = node.meta["val"].dim()
    return e.op(aten.stack.default, [e.as_pair(t) for t in a["tensors"]], _dim(a["dim"], rank))


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


# --- arithmetic -------------------------------------------------------------------------


def _is_real_number(value) -> bool:
    return isinstance(value, numbers.Real)


def _add_sub(e: Emitter, node):
    a = e.arguments(node)
    other = e.as_pair(a["other"])
    if a["alpha"] != 1:
        if not _is_real_number(a["alpha"]):
            raise Refused("a complex alpha")
        other = e.op(aten.mul.Tensor, other, a["alpha"])
    target = aten.add.Tensor if node.target == aten.add.Tensor else aten.sub.Tensor
    return e.op(target, e.as_pair(a["self"]), other)


def _neg(e: Emitter, node):
    return e.op(aten.neg.default, node.args[0])


def _scaled(e: Emitter, pair, factor, target):
    """``pair`` times or divided by a real tensor or number ``factor``."""
    if isinstance(factor, torch.fx.Node):
        factor = e.op(aten.unsqueeze.default, factor, -1)
    return e.op(target, pair, factor)


def _product(e: Emitter, x, y):
    """The complex product of two pairs."""
    xr, xi, yr, yi = e.re(x), e.im(x), e.re(y), e.im(y)
    mul, sub, add = aten.mul.Tensor, aten.sub.Tensor, aten.add.Tensor
    re = e.op(sub, e.op(mul, xr, yr), e.op(mul, xi, yi))
    im = e.op(add, e.op(mul, xr, yi), e.op(mul, xi, yr))
    return e.pair(re, im)


def _real_operand(e: Emitter, value) -> bool:
    return not e.is_pair(value) and not isinstance(value, complex)


def _mul(e: Emitter, node):
    x, y = node.args[:2]
    if _real_operand(e, y):
        return _scaled(e, x, y, aten.mul.Tensor)
    if _real_operand(e, x):
        return _scaled(e, y, x, aten.mul.Tensor)
    return _product(e, e.as_pair(x), e.as_pair(y))


def _div(e: Emitter, node):
    a = e.arguments(node)
    if a.get("rounding_mode") is not None:
        raise Refused("a rounding division of complex values")
    x, y = a["self"], a["other"]
    if _real_operand(e, y):
        return _scaled(e, e.as_pair(x), y, aten.div.Tensor)
    y = e.as_pair(y)
    conj = e.pair(e.re(y), e.op(aten.neg.default, e.im(y)))
    return _scaled(e, _product(e, e.as_pair(x), conj), _squared_abs(e, y), aten.div.Tensor)


def _squared_abs(e: Emitter, x):
    re, im = e.re(x), e.im(x)
    return e.op(aten.add.Tensor, e.op(aten.mul.Tensor, re, re), e.op(aten.mul.Tensor, im, im))


def absolute(e: Emitter, x):
    """|x| of a pair: sqrt(re² + im²) (no rescaling: parts past 1e19 in f32 overflow)."""
    return e.op(aten.sqrt.default, _squared_abs(e, x))


def _abs(e: Emitter, node):
    return absolute(e, node.args[0])


def _angle(e: Emitter, node):
    x = node.args[0]
    return e.op(aten.atan2.default, e.im(x), e.re(x))


def _exp(e: Emitter, node):
    x = node.args[0]
    magnitude, angle = e.op(aten.exp.default, e.re(x)), e.im(x)
    re = e.op(aten.mul.Tensor, magnitude, e.op(aten.cos.default, angle))
    im = e.op(aten.mul.Tensor, magnitude, e.op(aten.sin.default, angle))
    return e.pair(re, im)


def _pow(e: Emitter, node):
    """z ** p for a real number p: z*z for 2, else the polar form |z|^p (cos pθ, sin pθ)."""
    x, p = node.args[:2]
    if not _is_real_number(p):
        raise Refused("a power with a complex or tensor exponent")
    if p == 2:
        return _product(e, x, x)
    magnitude = e.op(aten.pow.Tensor_Scalar, absolute(e, x), p)
    angle = e.op(aten.mul.Tensor, e.op(aten.atan2.default, e.im(x), e.re(x)), p)
    re = e.op(aten.mul.Tensor, magnitude, e.op(aten.cos.default, angle))
    im = e.op(aten.mul.Tensor, magnitude, e.op(aten.sin.default, angle))
    return e.pair(re, im)


def _sum(e: Emitter, node):
    a = e.arguments(node)
    dims = _dims(e, a["self"], a.get("dim"))
    keepdim = a.get("keepdim", False)
    target = aten.mean.dim if node.target.overloadpacket == aten.mean else aten.sum.dim_IntList
    return e.op(target, a["self"], dims, keepdim)


def _norm(e: Emitter, node):
    """Norms of a complex tensor are the norms of its magnitudes."""
    a = e.arguments(node)
    magnitude = absolute(e, a["self"])
    if node.target == aten.linalg_vector_norm.default:
        return e.op(node.target, magnitude, a["ord"], a["dim"], a["keepdim"])
    p = a.get("p", 2)
    dims = list(a.get("dim") or range(e.rank(magnitude)))
    return e.op(
        aten.linalg_vector_norm.default,
        magnitude,
        2 if p is None else p,
        dims,
        a.get("keepdim", False),
    )


def _linalg_norm(e: Emitter, node):
    """linalg.norm: vector norms, and the Frobenius, 1 and inf matrix norms, are those of the
    magnitudes; the spectral and nuclear norms (singular values) are not."""
    a = e.arguments(node)
    x, ord_, dims = a["self"], a["ord"], a["dim"]
    matrix = len(dims) == 2 if dims is not None else e.rank(x) == 2
    if matrix and ord_ in (2, -2, "nuc"):
        raise Refused(f"the {ord_!r} matrix norm (singular values) of a complex matrix")
    if ord_ == "fro":  # torch-mlir has no linalg_norm.ord_str: the 2-norm of all entries
        return e.op(aten.linalg_vector_norm.default, absolute(e, x), 2, dims, a["keepdim"])
    return e.op(node.target, absolute(e, x), ord_, dims, a["keepdim"])


COMPLEX_OPS = {
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
    aten.add.Tensor: _add_sub,
    aten.sub.Tensor: _add_sub,
    aten.neg.default: _neg,
    aten.mul.Tensor: _mul,
    aten.div.Tensor: _div,
    aten.div.Tensor_mode: _div,
    aten.abs.default: _abs,
    aten.angle.default: _angle,
    aten.exp.default: _exp,
    aten.pow.Tensor_Scalar: _pow,
    aten.sum.dim_IntList: _sum,
    aten.sum.default: _sum,
    aten.mean.dim: _sum,
    aten.mean.default: _sum,
    aten.linalg_vector_norm.default: _norm,
    aten.norm.Scalar: _norm,
    aten.linalg_norm.default: _linalg_norm,
    aten.linalg_norm.ord_str: _linalg_norm,
    aten.norm.ScalarOpt_dim: _norm,
}
