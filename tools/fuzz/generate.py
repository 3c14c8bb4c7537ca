"""Generated linalg functions with a numpy reference: hypothesis strategies.

Each strategy draws a small, valid linalg-on-tensors function with static
shapes (zero and odd sizes included) and returns a ``Function``: its MLIR
text, its input shapes and the numpy expression it computes. The fuzzer
compiles and runs it, and compares with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from kiln.tools.fuzz import reference

# Sizes worth trying: typical first (hypothesis shrinks towards the front), then
# the edges: 0, 1, odd, one past a vector width, not a multiple of 16.
DIMS = (4, 8, 3, 1, 16, 5, 7, 17, 33, 0, 2, 9, 31, 64, 100)
SMALL_DIMS = (2, 3, 1, 4, 5, 7, 0, 8)


@dataclass(frozen=True)
class Function:
    """A generated function: MLIR text, input shapes, and what numpy computes for it."""

    kind: str
    text: str
    input_shapes: tuple[tuple[int, ...], ...]
    recipe: tuple  # how ``reference.evaluate`` computes the outputs (picklable)
    rtol: float = 1e-4
    atol: float = 1e-4

    def inputs(self, seed: int) -> list[np.ndarray]:
        """Random float32 inputs (standard normal), the same for the same seed."""
        rng = np.random.default_rng(seed)
        return [rng.standard_normal(s).astype(np.float32) for s in self.input_shapes]

    def expected(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """The outputs numpy computes."""
        return reference.evaluate(self.recipe, inputs)


def tensor(shape) -> str:
    """``tensor<4x5xf32>`` (``tensor<f32>`` for rank 0)."""
    return "tensor<" + "".join(f"{d}x" for d in shape) + "f32>"


def _map(rank: int, dims) -> str:
    ds = ", ".join(f"d{i}" for i in range(rank))
    return f"affine_map<({ds}) -> ({', '.join(f'd{i}' for i in dims)})>"


def _fill(name: str, shape, value: str) -> str:
    t = tensor(shape)
    return (
        f"  %{name}_init = arith.constant {value} : f32\n"
        f"  %{name}_e = tensor.empty() : {t}\n"
        f"  %{name} = linalg.fill ins(%{name}_init : f32) outs(%{name}_e : {t}) -> {t}\n"
    )


def _func(args, results, body: str) -> str:
    params = ", ".join(f"%{n}: {tensor(s)}" for n, s in args)
    types = ", ".join(tensor(s) for _, s in results)
    names = ", ".join(f"%{n}" for n, _ in results)
    return f"func.func @f({params}) -> ({types}) {{\n{body}  return {names} : {types}\n}}\n"


BINARY = ("addf", "mulf", "subf", "maximumf", "minimumf", "divf")
UNARY = ("negf", "exp", "tanh", "absf", "sqrt_abs", "select_gt")


@st.composite
def elementwise(draw) -> Function:
    """A linalg.generic chaining 1-4 arith/math ops on ``a`` and a broadcast ``b``."""
    rank = draw(st.integers(0, 4))
    shape = tuple(draw(st.sampled_from(DIMS)) for _ in range(rank))
    b_dims = tuple(i for i in range(rank) if draw(st.booleans()))
    b_shape = tuple(shape[i] for i in b_dims)
    values, lines, steps = ["x", "y"], [], []
    for i in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(BINARY + UNARY))
        lhs, rhs = draw(st.sampled_from(values)), draw(st.sampled_from(values))
        lines += _body_op(f"v{i}", op, lhs, rhs)
        steps.append((op, values.index(lhs), values.index(rhs)))
        values.append(f"v{i}")
    maps = [_map(rank, range(rank)), _map(rank, b_dims), _map(rank, range(rank))]
    its = ", ".join(['"parallel"'] * rank)
    t, tb = tensor(shape), tensor(b_shape)
    body = (
        f"  %e = tensor.empty() : {t}\n"
        f"  %r = linalg.generic {{indexing_maps = [{', '.join(maps)}], iterator_types = [{its}]}}\n"
        f"      ins(%a, %b : {t}, {tb}) outs(%e : {t}) {{\n"
        f"  ^bb0(%x: f32, %y: f32, %o: f32):\n"
        + "".join(f"    {line}\n" for line in lines)
        + f"    linalg.yield %{values[-1]} : f32\n  }} -> {t}\n"
    )
    text = _func([("a", shape), ("b", b_shape)], [("r", shape)], body)
    recipe = ("elementwise", shape, b_dims, tuple(steps))
    return Function("elementwise", text, (shape, b_shape), recipe, rtol=1e-3, atol=1e-3)


def _body_op(out: str, op: str, lhs: str, rhs: str) -> list[str]:
    if op in BINARY:
        return [f"%{out} = arith.{op} %{lhs}, %{rhs} : f32"]
    if op in ("exp", "tanh"):
        return [f"%{out} = math.{op} %{lhs} : f32"]
    if op in ("negf",):
        return [f"%{out} = arith.negf %{lhs} : f32"]
    if op == "absf":
        return [f"%{out} = math.absf %{lhs} : f32"]
    if op == "sqrt_abs":
        return [f"%{out}_abs = math.absf %{lhs} : f32", f"%{out} = math.sqrt %{out}_abs : f32"]
    return [
        f"%{out}_gt = arith.cmpf ogt, %{lhs}, %{rhs} : f32",
        f"%{out} = arith.select %{out}_gt, %{lhs}, %{rhs} : f32",
    ]


@st.composite
def matmul(draw) -> Function:
    """linalg.matmul (B transposed or not) with an optional bias and ReLU epilogue."""
    m, k, n = (draw(st.sampled_from(DIMS)) for _ in range(3))
    transpose_b = draw(st.booleans())
    epilogue = draw(st.sampled_from(("none", "bias", "bias_relu")))
    b_shape = (n, k) if transpose_b else (k, n)
    out = (m, n)
    body = _fill("c", out, "0.0")
    if transpose_b:
        maps = [_map(3, (0, 2)), _map(3, (1, 2)), _map(3, (0, 1))]
        body += (
            f"  %mm = linalg.generic {{indexing_maps = [{', '.join(maps)}], iterator_types = "
            f'["parallel", "parallel", "reduction"]}}\n'
            f"      ins(%a, %b : {tensor((m, k))}, {tensor(b_shape)}) outs(%c : {tensor(out)}) {{\n"
            f"  ^bb0(%x: f32, %y: f32, %acc: f32):\n"
            f"    %p = arith.mulf %x, %y : f32\n    %s = arith.addf %acc, %p : f32\n"
            f"    linalg.yield %s : f32\n  }} -> {tensor(out)}\n"
        )
    else:
        body += (
            f"  %mm = linalg.matmul ins(%a, %b : {tensor((m, k))}, {tensor(b_shape)})\n"
            f"      outs(%c : {tensor(out)}) -> {tensor(out)}\n"
        )
    args, result = [("a", (m, k)), ("b", b_shape)], "mm"
    if epilogue != "none":
        args.append(("bias", (n,)))
        body += _bias_epilogue(out, relu=epilogue == "bias_relu")
        result = "r"
    text = _func(args, [(result, out)], body)
    recipe = ("matmul", transpose_b, epilogue)
    return Function("matmul", text, tuple(s for _, s in args), recipe, rtol=1e-3, atol=1e-3)


def _bias_epilogue(out, relu: bool) -> str:
    t = tensor(out)
    maps = [_map(2, (0, 1)), _map(2, (1,)), _map(2, (0, 1))]
    relu_lines = (
        "    %zero = arith.constant 0.0 : f32\n    %v = arith.maximumf %s, %zero : f32\n"
        if relu
        else ""
    )
    last = "v" if relu else "s"
    return (
        f"  %re = tensor.empty() : {t}\n"
        f"  %r = linalg.generic {{indexing_maps = [{', '.join(maps)}], iterator_types = "
        f'["parallel", "parallel"]}}\n'
        f"      ins(%mm, %bias : {t}, {tensor(out[1:])}) outs(%re : {t}) {{\n"
        f"  ^bb0(%x: f32, %y: f32, %o: f32):\n    %s = arith.addf %x, %y : f32\n"
        f"{relu_lines}    linalg.yield %{last} : f32\n  }} -> {t}\n"
    )


@st.composite
def batch_matmul(draw) -> Function:
    """linalg.batch_matmul."""
    b, m, k, n = (draw(st.sampled_from(SMALL_DIMS + (16, 17))) for _ in range(4))
    out = (b, m, n)
    body = _fill("c", out, "0.0") + (
        f"  %r = linalg.batch_matmul ins(%a, %b : {tensor((b, m, k))}, {tensor((b, k, n))})\n"
        f"      outs(%c : {tensor(out)}) -> {tensor(out)}\n"
    )
    text = _func([("a", (b, m, k)), ("b", (b, k, n))], [("r", out)], body)
    return Function("batch_matmul", text, ((b, m, k), (b, k, n)), ("batch_matmul",), 1e-3, 1e-3)


@st.composite
def reduction(draw) -> Function:
    """linalg.reduce (sum or max) over some dims of a rank 1-4 tensor."""
    rank = draw(st.integers(1, 4))
    shape = tuple(draw(st.sampled_from(DIMS)) for _ in range(rank))
    dims = tuple(i for i in range(rank) if draw(st.booleans())) or (rank - 1,)
    kind = draw(st.sampled_from(("sum", "max")))
    out = tuple(d for i, d in enumerate(shape) if i not in dims)
    init, combine = ("0.0", "arith.addf") if kind == "sum" else ("0xFF800000", "arith.maximumf")
    body = _fill("c", out, init) + (
        f"  %r = linalg.reduce ins(%a : {tensor(shape)}) outs(%c : {tensor(out)})"
        f" dimensions = [{', '.join(map(str, dims))}]\n"
        f"    (%x: f32, %acc: f32) {{\n      %s = {combine} %x, %acc : f32\n"
        f"      linalg.yield %s : f32\n    }}\n"
    )
    text = _func([("a", shape)], [("r", out)], body)
    return Function("reduction", text, (shape,), ("reduce", kind, dims), 1e-3, 1e-3)


@st.composite
def convolution(draw) -> Function:
    """linalg.conv_2d_nchw_fchw or linalg.pooling_nchw_max, strides 1 or 2."""
    n, c, f = (draw(st.sampled_from(SMALL_DIMS)) for _ in range(3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(kh, kh + 9)), draw(st.integers(kw, kw + 9))
    stride = draw(st.sampled_from((1, 2)))
    pool = draw(st.booleans())
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    attrs = f"{{dilations = dense<1> : tensor<2xi64>, strides = dense<{stride}> : tensor<2xi64>}}"
    x = (n, c, h, w)
    if pool:
        out = (n, c, oh, ow)
        body = _fill("c", out, "0xFF800000") + (
            f"  %win = tensor.empty() : {tensor((kh, kw))}\n"
            f"  %r = linalg.pooling_nchw_max {attrs}\n"
            f"      ins(%x, %win : {tensor(x)}, {tensor((kh, kw))}) outs(%c : {tensor(out)})"
            f" -> {tensor(out)}\n"
        )
        text = _func([("x", x)], [("r", out)], body)
        return Function("pooling", text, (x,), ("pool_max", kh, kw, stride), 1e-5, 1e-5)
    wt, out = (f, c, kh, kw), (n, f, oh, ow)
    body = _fill("c", out, "0.0") + (
        f"  %r = linalg.conv_2d_nchw_fchw {attrs}\n"
        f"      ins(%x, %w : {tensor(x)}, {tensor(wt)}) outs(%c : {tensor(out)}) -> {tensor(out)}\n"
    )
    text = _func([("x", x), ("w", wt)], [("r", out)], body)
    return Function("conv", text, (x, wt), ("conv", stride), 1e-3, 1e-3)


@st.composite
def transpose(draw) -> Function:
    """linalg.transpose by a drawn permutation."""
    rank = draw(st.integers(2, 4))
    shape = tuple(draw(st.sampled_from(DIMS)) for _ in range(rank))
    perm = tuple(draw(st.permutations(range(rank))))
    out = tuple(shape[p] for p in perm)
    body = (
        f"  %e = tensor.empty() : {tensor(out)}\n"
        f"  %r = linalg.transpose ins(%a : {tensor(shape)}) outs(%e : {tensor(out)})"
        f" permutation = [{', '.join(map(str, perm))}]\n"
    )
    text = _func([("a", shape)], [("r", out)], body)
    return Function("transpose", text, (shape,), ("transpose", perm), 0.0, 0.0)


def functions() -> st.SearchStrategy[Function]:
    """Any generated function."""
    return st.one_of(
        elementwise(), matmul(), reduction(), convolution(), batch_matmul(), transpose()
    )
