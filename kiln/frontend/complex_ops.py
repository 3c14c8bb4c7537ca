"""Real-pair rewrites of the ATen ops that compute with complex tensors (views: complex_views.py).

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

from kiln.frontend.complex_emitter import Emitter, Refused
from kiln.frontend.complex_views import COMPLEX_VIEWS, dim_of

aten = torch.ops.aten


def _dims(emitter: Emitter, x, dims) -> list[int]:
    """Reduction dims of complex ``x``: all of its dims when ``dims`` is None or empty."""
    rank = emitter.rank(x)
    return [dim_of(d, rank) for d in dims] if dims else list(range(rank))


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


def _real_operand(e: Emitter, value) -> bool:
    return not e.is_pair(value) and not isinstance(value, complex)


def _mul(e: Emitter, node):
    x, y = node.args[:2]
    if _real_operand(e, y):
        return _scaled(e, x, y, aten.mul.Tensor)
    if _real_operand(e, x):
        return _scaled(e, y, x, aten.mul.Tensor)
    return e.product(e.as_pair(x), e.as_pair(y))


def _div(e: Emitter, node):
    a = e.arguments(node)
    if a.get("rounding_mode") is not None:
        raise Refused("a rounding division of complex values")
    x, y = a["self"], a["other"]
    if _real_operand(e, y):
        return _scaled(e, e.as_pair(x), y, aten.div.Tensor)
    y = e.as_pair(y)
    conj = e.pair(e.re(y), e.op(aten.neg.default, e.im(y)))
    return _scaled(e, e.product(e.as_pair(x), conj), _squared_abs(e, y), aten.div.Tensor)


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
        return e.product(x, x)
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
    **COMPLEX_VIEWS,
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
