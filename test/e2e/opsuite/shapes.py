"""Data movement: concat/stack/split/chunk, reshape/view/permute/transpose/expand/flatten/
squeeze/unsqueeze, repeat, padding, tensors created inside the model, and outputs that
alias each other or an input."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .registry import EXACT, F32, fn, registrar

XFAIL: dict[str, str] = {}

case = registrar("shapes", XFAIL)


def operands(*shapes):
    return lambda t: tuple(t.randn(*s) for s in shapes)


# --- joining and splitting ---------------------------------------------------------------

case("cat_dim0", fn(lambda a, b: torch.cat([a, b])), operands((2, 5), (3, 5)), tol=EXACT)
case("cat_dim1", fn(lambda a, b: torch.cat([a, b], 1)), operands((3, 2), (3, 4)), tol=EXACT)
case(
    "cat_last_3d",
    fn(lambda a, b, c: torch.cat([a, b, c], -1)),
    operands((2, 3, 1), (2, 3, 4), (2, 3, 2)),
    tol=EXACT,
)
case("cat_same_tensor", fn(lambda a: torch.cat([a, a * 2.0], 0)), operands((3, 4)), tol=EXACT)
case(
    "cat_int64",
    fn(lambda a, b: torch.cat([a, b], 1)),
    lambda t: (t.randint(2, 3), t.randint(2, 2)),
    tol=EXACT,
)
case("stack_dim0", fn(lambda a, b: torch.stack([a, b])), operands((3, 4), (3, 4)), tol=EXACT)
case(
    "stack_dim1",
    fn(lambda a, b, c: torch.stack([a, b, c], 1)),
    operands((3, 4), (3, 4), (3, 4)),
    tol=EXACT,
)
case("stack_last", fn(lambda a, b: torch.stack([a, b], -1)), operands((2, 3), (2, 3)), tol=EXACT)
case("hstack", fn(lambda a, b: torch.hstack([a, b])), operands((3, 2), (3, 5)), tol=EXACT)
case("split_equal", fn(lambda x: x.split(2, dim=0)), operands((6, 3)), tol=EXACT)
case("split_uneven", fn(lambda x: x.split(3, dim=1)), operands((2, 8)), tol=EXACT)
case("split_sizes", fn(lambda x: torch.split(x, [1, 3, 2], dim=-1)), operands((2, 3, 6)), tol=EXACT)
case("chunk", fn(lambda x: x.chunk(3, dim=1)), operands((2, 9)), tol=EXACT)
case("chunk_uneven", fn(lambda x: torch.chunk(x, 3, dim=0)), operands((7, 2)), tol=EXACT)
case("unbind", fn(lambda x: x.unbind(1)), operands((2, 3, 4)), tol=EXACT)
case("split_then_add", fn(lambda x: sum(x.split(4, dim=-1))), operands((3, 12)), tol=F32)
case(
    "chunk_gated",
    fn(lambda x: (lambda a, b: a * torch.sigmoid(b))(*x.chunk(2, -1))),
    operands((3, 8)),
    tol=F32,
)

# --- views -----------------------------------------------------------------------------------

VIEWS = {
    "reshape": (lambda x: x.reshape(4, 6), (2, 3, 4)),
    "reshape_infer": (lambda x: x.reshape(-1, 3), (2, 3, 4)),
    "reshape_split_dim": (lambda x: x.reshape(2, 3, 2, 2), (6, 4)),
    "view": (lambda x: x.view(3, 8), (2, 3, 4)),
    "view_to_1d": (lambda x: x.view(-1), (2, 3, 4)),
    "view_as": (lambda x: x.view_as(torch.empty(6, 4)), (2, 3, 4)),
    "flatten": (torch.flatten, (2, 3, 4)),
    "flatten_from_1": (lambda x: x.flatten(1), (2, 3, 4, 5)),
    "flatten_1_2": (lambda x: x.flatten(1, 2), (2, 3, 4, 5)),
    "unflatten": (lambda x: x.unflatten(1, (2, 3)), (4, 6)),
    "permute_3d": (lambda x: x.permute(2, 0, 1), (2, 3, 4)),
    "permute_4d": (lambda x: x.permute(0, 2, 3, 1), (2, 3, 4, 5)),
    "transpose": (lambda x: x.transpose(0, 1), (3, 5)),
    "transpose_3d": (lambda x: x.transpose(1, 2), (2, 3, 4)),
    "t": (lambda x: x.t(), (4, 7)),
    "mT": (lambda x: x.mT, (2, 3, 5)),
    "movedim": (lambda x: torch.movedim(x, 0, -1), (2, 3, 4)),
    "squeeze_all": (torch.squeeze, (1, 3, 1, 4)),
    "squeeze_dim": (lambda x: x.squeeze(2), (1, 3, 1, 4)),
    "unsqueeze_0": (lambda x: x.unsqueeze(0), (3, 4)),
    "unsqueeze_last": (lambda x: x.unsqueeze(-1), (3, 4)),
    "expand": (lambda x: x.expand(3, 4, 5), (4, 1)),
    "expand_infer": (lambda x: x.expand(2, -1, -1), (1, 3, 4)),
    "repeat": (lambda x: x.repeat(2, 3), (2, 3)),
    "repeat_new_dim": (lambda x: x.repeat(2, 1, 1), (3, 4)),
    "tile": (lambda x: torch.tile(x, (1, 2)), (3, 2)),
    "repeat_interleave": (lambda x: x.repeat_interleave(2, dim=0), (3, 4)),
    "pixel_shuffle": (lambda x: F.pixel_shuffle(x, 2), (1, 8, 3, 3)),
    "channel_shuffle": (
        lambda x: x.view(1, 2, 3, 4, 4).transpose(1, 2).reshape(1, 6, 4, 4),
        (1, 6, 4, 4),
    ),
    "transpose_contiguous": (lambda x: x.transpose(0, 1).contiguous().view(-1), (3, 5)),
    "pad_constant": (lambda x: F.pad(x, (1, 2, 0, 1), value=0.5), (2, 3, 4)),
    "pad_reflect": (lambda x: F.pad(x, (2, 1), mode="reflect"), (2, 3, 5)),
    "pad_replicate_2d": (lambda x: F.pad(x, (1, 1, 2, 0), mode="replicate"), (1, 2, 3, 4)),
    # Negative amounts crop: one side, both sides, and mixed with growth on the other dim.
    "pad_negative_crop": (lambda x: F.pad(x, (-1, -2)), (2, 3, 6)),
    "pad_negative_mixed": (lambda x: F.pad(x, (-1, 2, 1, -3), value=0.25), (1, 2, 5, 6)),
}

for name, (f, shape) in VIEWS.items():
    case(name, fn(f), operands(shape), tol=EXACT)

# F.fold (col2im) with padding: PyTorch's decomposition ends in a negative pad. Fold sums
# overlapping patches (in another order than eager's).
case(
    "fold_padding",
    fn(lambda x: F.fold(x, output_size=(6, 6), kernel_size=3, padding=1, stride=2)),
    operands((1, 18, 9)),
    tol=F32,
)
case(
    "unfold_fold_roundtrip",
    fn(lambda x: F.fold(F.unfold(x, 3, padding=1), (5, 5), 3, padding=1)),
    operands((1, 2, 5, 5)),
    tol=F32,
)
case(
    "transpose_then_add", fn(lambda x, y: x.transpose(0, 1) + y), operands((4, 3), (3, 4)), tol=F32
)
case(
    "permute_then_matmul",
    fn(lambda x, y: x.permute(0, 2, 1) @ y),
    operands((2, 5, 3), (2, 5, 4)),
    tol=F32,
)

# --- tensors created inside the model ---------------------------------------------------

case("zeros_like_plus", fn(lambda x: torch.zeros_like(x) + x), operands((3, 4)), tol=EXACT)
case("ones_sum", fn(lambda x: x + torch.ones(3, 4)), operands((3, 4)), tol=EXACT)
case("full_like", fn(lambda x: torch.full_like(x, 2.5) * x), operands((3, 4)), tol=EXACT)
case(
    "arange_add",
    fn(lambda x: x + torch.arange(4, dtype=torch.float32)),
    operands((3, 4)),
    tol=EXACT,
)
case("arange_int64_output", fn(lambda x: torch.arange(x.shape[1]) * 2), operands((3, 5)), tol=EXACT)
case("eye_masked", fn(lambda x: x * torch.eye(4)), operands((4, 4)), tol=EXACT)
case("linspace", fn(lambda x: x + torch.linspace(0.0, 1.0, 5)), operands((2, 5)), tol=F32)
case("new_zeros_cat", fn(lambda x: torch.cat([x, x.new_zeros(2, 4)])), operands((3, 4)), tol=EXACT)

# --- outputs that alias each other, an input, or nothing -----------------------------------

case("return_input_and_result", fn(lambda x: (x, x + 1.0)), operands((3, 4)), tol=EXACT)
case(
    "same_output_twice",
    fn(lambda x: (lambda y: (y, y))(x * 2.0)),
    operands((3, 4)),
    tol=EXACT,
)
case("input_returned_twice", fn(lambda x: (x, x)), operands((3, 4)), tol=EXACT)
case("constant_output", fn(lambda x: (x + 1.0, torch.ones(3))), operands((3, 4)), tol=EXACT)
case("view_of_input_output", fn(lambda x: x.view(12)), operands((3, 4)), tol=EXACT)
