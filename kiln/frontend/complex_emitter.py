"""Emitting real ATen nodes into an exported program, for the complex rewrite.

The complex rewrite (``kiln/frontend/complex_pairs.py``) replaces each op on
complex tensors by real ops on their pair layout: a complex tensor of shape
``S`` is a real tensor of shape ``S + [2]`` (``torch.view_as_real``'s layout,
real part first). ``Emitter`` creates those real nodes before the op being
rewritten, each with its fake value (torch-mlir's importer types a node by
it) and the op's source line (kiln's errors and locations name it).
"""

from __future__ import annotations

import torch
from torch.fx.operator_schemas import normalize_function

from kiln.frontend.lift import lift_constant

aten = torch.ops.aten

# The real dtype of each complex dtype's parts.
PART_DTYPES = {torch.complex64: torch.float32, torch.complex128: torch.float64}


def is_complex(val) -> bool:
    """True for a (fake) complex tensor, or a list or tuple holding one."""
    if isinstance(val, list | tuple):
        return any(is_complex(v) for v in val)
    return isinstance(val, torch.Tensor) and val.dtype.is_complex


class Refused(Exception):
    """A handler's refusal of one use of its op (an argument it has no rewrite for)."""

    def __init__(self, reason: str):
        super().__init__(f"a complex tensor: {reason}")


class Emitter:
    """Creates real nodes in ``program``'s graph before the node being rewritten.

    ``pairs`` holds the nodes that carry a complex value as a pair tensor;
    ``anchor`` is the node being rewritten (set by the driver for each op).
    """

    def __init__(self, program, fake_mode):
        self.program = program
        self.graph = program.graph
        self.fake_mode = fake_mode
        self.pairs: set[torch.fx.Node] = set()
        self.anchor: torch.fx.Node | None = None
        self._constants: dict[tuple, torch.fx.Node] = {}

    # --- reading the op being rewritten ------------------------------------------------

    def arguments(self, node) -> dict:
        """``node``'s arguments by schema name, defaults filled in (``self`` as ``self``:
        torch's normalization names it ``input``)."""
        bound = normalize_function(
            node.target, tuple(node.args), dict(node.kwargs), normalize_to_only_use_kwargs=True
        )
        arguments = dict(bound.kwargs)
        if "input" in arguments and "self" not in arguments:
            arguments["self"] = arguments.pop("input")
        return arguments

    def is_pair(self, value) -> bool:
        """True when ``value`` is a node carrying a complex tensor as its pair."""
        return isinstance(value, torch.fx.Node) and value in self.pairs

    def val(self, value):
        """The fake tensor of a node, or the value itself."""
        return value.meta["val"] if isinstance(value, torch.fx.Node) else value

    def rank(self, value) -> int:
        """The rank of the complex (or real) tensor ``value`` stands for."""
        return self.val(value).dim() - (1 if self.is_pair(value) else 0)

    def part_dtype(self) -> torch.dtype:
        """The dtype of the parts of the anchor's complex value (its input's for a real result)."""
        val = self.anchor.meta["val"]
        if isinstance(val, torch.Tensor) and val.dtype in PART_DTYPES:
            return PART_DTYPES[val.dtype]
        pairs = [arg for arg in self.anchor.all_input_nodes if arg in self.pairs]
        return self.val(pairs[0]).dtype if pairs else torch.get_default_dtype()

    # --- emitting ----------------------------------------------------------------------

    def op(self, target, *args, **kwargs) -> torch.fx.Node:
        """A new ``target(*args, **kwargs)`` node before the anchor, typed and located."""
        with self.graph.inserting_before(self.anchor):
            node = self.graph.call_function(target, args, kwargs)
        fake_args, fake_kwargs = torch.fx.node.map_arg((args, kwargs), lambda n: n.meta["val"])
        with self.fake_mode:
            node.meta["val"] = target(*fake_args, **fake_kwargs)
        for key in ("stack_trace", "nn_module_stack", "source_fn_stack"):
            if key in self.anchor.meta:
                node.meta[key] = self.anchor.meta[key]
        return node

    def op_like(self, like, target, *args, **kwargs) -> torch.fx.Node:
        """``op(target, ...)``, a pair when ``like`` is one (a view, copy or slice of it)."""
        node = self.op(target, *args, **kwargs)
        if self.is_pair(like):
            self.pairs.add(node)
        return node

    def re(self, pair) -> torch.fx.Node:
        """The real parts of a pair."""
        return self.op(aten.select.int, pair, self.val(pair).dim() - 1, 0)

    def im(self, pair) -> torch.fx.Node:
        """The imaginary parts of a pair."""
        return self.op(aten.select.int, pair, self.val(pair).dim() - 1, 1)

    def pair(self, re, im) -> torch.fx.Node:
        """The pair of two real tensors of one shape."""
        pair = self.op(aten.stack.default, [re, im], self.rank(re))
        self.pairs.add(pair)
        return pair

    def product(self, x, y) -> torch.fx.Node:
        """The complex product of two pairs."""
        xr, xi, yr, yi = self.re(x), self.im(x), self.re(y), self.im(y)
        mul, sub, add = aten.mul.Tensor, aten.sub.Tensor, aten.add.Tensor
        re = self.op(sub, self.op(mul, xr, yr), self.op(mul, xi, yi))
        im = self.op(add, self.op(mul, xr, yi), self.op(mul, xi, yr))
        return self.pair(re, im)

    def as_pair(self, value) -> torch.fx.Node:
        """``value`` (pair, real tensor or Python number) as a pair of the anchor's dtype."""
        if self.is_pair(value):
            return value
        if isinstance(value, torch.fx.Node):
            real = self.op(aten._to_copy.default, value, dtype=self.part_dtype())
            return self.pair(real, self.op(aten.zeros_like.default, real))
        number = complex(value)
        parts = torch.tensor([number.real, number.imag], dtype=torch.float64)
        dtype = self.part_dtype()
        pair = self.constant(parts.to(dtype), key=("number", number, dtype))
        self.pairs.add(pair)
        return pair

    def constant(self, tensor: torch.Tensor, key: tuple | None = None) -> torch.fx.Node:
        """A lifted constant holding ``tensor`` (a DFT matrix, frame indices): imported as a
        literal, computed once at compile time. Equal ``key``s share one constant."""
        key = key or (id(tensor),)
        if key in self._constants:
            return self._constants[key]
        node = lift_constant(self.program, tensor, f"_kiln_complex_constant_{len(self._constants)}")
        node.meta["val"] = self.fake_mode.from_tensor(
            self.program.constants[node.name], static_shapes=True
        )
        self._constants[key] = node
        return node
