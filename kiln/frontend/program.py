"""An ``ExportedProgram`` rewritten into a pure tensor function for torch-mlir.

torch.export lifts parameters, buffers and constants into placeholders and
models in-place mutation as extra outputs (``USER_INPUT_MUTATION``,
``BUFFER_MUTATION``). kiln imports it with torch-mlir's ``import_program``,
which binds lifted state by name from ``state_dict`` and ``constants``
(non-persistent buffers live in the latter) and keeps placeholders as graph
values, so that lists of them (``table[index]``) import like any other. But
it imports mutation as ``!torch.tensor`` arguments kiln cannot lower, and
only tensor results are kiln results. ``prepare_program`` therefore rewrites
the program's signature in place so that:

- mutations become plain results, written back by ``TorchCall`` after each call;
- a mutated buffer becomes an argument, read from the module on every call;
- Python-number results (``t.item()``) become 0-d tensors (``aten.scalar_tensor``);
- constant results leave the graph and are re-inserted by ``TorchCall``;

- complex values become real pairs (``complex_pairs.py``): complex inputs are
  passed as ``view_as_real(x)`` and complex results returned as complex tensors;

and returns the ``TorchBoundary`` that says so.
"""

from __future__ import annotations

import torch
import torch.utils._pytree as pytree
from torch.export.graph_signature import (
    ConstantArgument,
    InputKind,
    InputSpec,
    OutputKind,
    OutputSpec,
    SymBoolArgument,
    SymFloatArgument,
    SymIntArgument,
    TensorArgument,
)

from kiln.errors import UnsupportedOp, UnsupportedOpsError
from kiln.frontend.boundary import Output, TorchBoundary
from kiln.frontend.complex_pairs import lower_complex
from kiln.frontend.source import UNKNOWN, forward_location, unsupported_node

_EAGER_CONTAINERS = {
    torch.fx.immutable_collections.immutable_dict: dict,
    torch.fx.immutable_collections.immutable_list: list,
}

# The dtype of the 0-d tensor that carries a Python number out of the compiled code.
_NUMBER_DTYPES = {
    SymFloatArgument: torch.float64,
    SymIntArgument: torch.int64,
    SymBoolArgument: torch.bool,
}


def prepare_program(program, model) -> TorchBoundary:
    """Rewrites ``program`` in place (see the module docstring); its calling convention."""
    inputs_location = forward_location(model)
    complex_values = lower_complex(program)
    sig = program.graph_signature
    mutated_buffers = {
        spec.target for spec in sig.output_specs if spec.kind == OutputKind.BUFFER_MUTATION
    }
    buffers = _buffers(program, model, mutated_buffers)
    input_specs, arguments, fixed, leaf_of = _inputs(program, buffers, inputs_location)
    complex_inputs = tuple(
        (leaf_of[name], *complex_values.inputs[name])
        for name in leaf_of
        if name in complex_values.inputs
    )
    output_node = program.graph.output_node()
    values = list(output_node.args[0])
    builder = _Outputs(program, leaf_of, buffers)
    for spec, value in zip(sig.output_specs, values, strict=True):
        builder.add(spec, value)
    output_node.args = (tuple(builder.results),)
    drop_bool_range_checks(program.graph)
    program.graph.eliminate_dead_code()  # the number nodes that only fed an output
    sig.input_specs[:] = input_specs
    sig.output_specs[:] = builder.specs
    return TorchBoundary(
        in_spec=program.call_spec.in_spec,
        out_spec=eager_containers(program.call_spec.out_spec),
        arguments=tuple(arguments),
        fixed=tuple(fixed),
        outputs=tuple(builder.outputs),
        write_backs=tuple(builder.write_backs),
        complex_inputs=complex_inputs,
        complex_results=frozenset(
            index for index, node in enumerate(builder.results) if node in complex_values.pairs
        ),
    )


def eager_containers(spec: pytree.TreeSpec) -> pytree.TreeSpec:
    """``spec`` with torch.fx's ``immutable_dict`` / ``immutable_list`` nodes as the ``dict``
    and ``list`` the model returns eagerly.

    A ``torch.fx.GraphModule`` (``create_feature_extractor``'s, a symbolic trace's)
    returns a plain dict; its exported program's output spec records the graph's
    immutable containers, which refuse assignment (``features["c3"] = ...``).
    """
    if spec.is_leaf():
        return spec
    kind = _EAGER_CONTAINERS.get(spec.type, spec.type)
    return pytree.TreeSpec(kind, spec.context, [eager_containers(c) for c in spec.children()])


def _inputs(program, buffers: dict[str, torch.Tensor], location: str):
    """The new input specs, the compiled function's arguments, the fixed inputs, and the
    flattened-input index of each user input placeholder. ``buffers`` are the mutated ones;
    ``location`` is where the inputs are declared."""
    specs, arguments, fixed, leaf_of = [], [], [], {}
    leaf = 0
    for spec in program.graph_signature.input_specs:
        if spec.kind == InputKind.BUFFER and spec.target in buffers:
            specs.append(InputSpec(InputKind.USER_INPUT, spec.arg, target=None))
            arguments.append(buffers[spec.target])
            continue
        specs.append(spec)
        if spec.kind != InputKind.USER_INPUT:
            continue
        if isinstance(spec.arg, TensorArgument):
            arguments.append(leaf)
            leaf_of[spec.arg.name] = leaf
        elif isinstance(spec.arg, ConstantArgument):
            fixed.append((leaf, spec.arg.value))
        else:
            raise UnsupportedOpsError(
                [UnsupportedOp(f"symbolic input '{spec.arg.name}'", location, _SYMBOLIC_INPUT)]
            )
        leaf += 1
    return specs, arguments, fixed, leaf_of


_SYMBOLIC_INPUT = "kiln takes Python numbers as compile-time constants or as 0-d tensors"


def _buffers(program, model, targets: set[str]) -> dict[str, torch.Tensor]:
    """The live buffer tensors the model mutates: the compiled code reads and updates them."""
    found = {}
    for target in targets:
        if isinstance(model, torch.nn.Module):
            found[target] = model.get_buffer(target)
        else:
            found[target] = program.state_dict.get(target, program.constants.get(target))
    return found


class _Outputs:
    """Builds the new outputs of the program and the ``Output`` plan of ``forward``."""

    def __init__(self, program, leaf_of: dict[str, int], buffers: dict[str, torch.Tensor]):
        self.program = program
        self.leaf_of = leaf_of
        self.buffers = buffers
        self.results, self.specs, self.outputs, self.write_backs = [], [], [], []
        self._index_of = {}  # node -> result index: a node returned twice is one result
        self._written_to = {}  # node -> the input leaf it is written back into

    def add(self, spec: OutputSpec, value) -> None:
        """Adds output ``value`` of the program, of kind ``spec``."""
        if spec.kind == OutputKind.USER_INPUT_MUTATION:
            leaf = self.leaf_of[spec.target]
            self.write_backs.append((self._result(value), leaf, _keeps_out_shape(value)))
            self._written_to[value] = leaf
        elif spec.kind == OutputKind.BUFFER_MUTATION:
            self.write_backs.append((self._result(value), self.buffers[spec.target], False))
        elif spec.kind == OutputKind.PARAMETER_MUTATION:
            raise UnsupportedOpsError([_parameter_write(spec.target, value)])
        elif spec.kind != OutputKind.USER_OUTPUT:
            raise UnsupportedOpsError(
                [UnsupportedOp(f"{spec.kind.name} output", UNKNOWN, "kiln compiles inference only")]
            )
        elif isinstance(spec.arg, ConstantArgument):
            self.outputs.append(Output("constant", value=spec.arg.value))
        elif type(spec.arg) in _NUMBER_DTYPES:
            tensor = _number_as_tensor(self.program.graph, value, _NUMBER_DTYPES[type(spec.arg)])
            self.outputs.append(Output("number", self._result(tensor)))
        elif value in self._written_to:  # out= / in-place: eager returns the input itself
            self.outputs.append(Output("input", self._written_to[value]))
        else:
            self.outputs.append(Output("result", self._result(value)))

    def _result(self, node) -> int:
        """The result index of ``node``, added as a plain tensor result if new."""
        if node not in self._index_of:
            self._index_of[node] = len(self.results)
            self.results.append(node)
            self.specs.append(OutputSpec(OutputKind.USER_OUTPUT, TensorArgument(node.name), None))
        return self._index_of[node]


def _parameter_write(target: str, value) -> UnsupportedOp:
    """An in-place write to a parameter in ``forward``, named with the line that computes it.

    Refused, not written back as a mutated buffer is: a write guarded by Python state
    (RWKV rescales its weights on the first eval call only, then flips a flag) would be
    traced into every call of the compiled code and repeated.
    """
    reason = (
        "forward updates this parameter in place; kiln compiles inference with fixed"
        " weights (run the model once eagerly first if it only rewrites them on its first call)"
    )
    return unsupported_node(value, reason, op=f"in-place write to parameter '{target}'")


# PyTorch's factory kernels with out= (arange, linspace, logspace) resize their out
# tensor only when its element count differs (torch.arange(1, 13, out=x) with a 3x4 x
# fills x as it is); every other out= op resizes it to the result's shape.
_KEEPS_OUT_SHAPE = (torch.ops.aten.arange, torch.ops.aten.linspace, torch.ops.aten.logspace)


def _keeps_out_shape(node) -> bool:
    target = getattr(node, "target", None)
    return getattr(target, "overloadpacket", None) in _KEEPS_OUT_SHAPE


def _number_as_tensor(graph, node, dtype: torch.dtype):
    """A 0-d tensor node holding the Python number ``node`` computes.

    ``t.item()`` is ``t`` itself (its dtype is the number's precision, which
    ``TorchCall``'s own ``.item()`` keeps); other numbers go through
    ``aten.scalar_tensor``.
    """
    from torch._guards import detect_fake_mode

    source = node.args[0] if node.target in _ITEM_OPS else None
    with graph.inserting_before(graph.output_node()):
        if source is not None:
            tensor = graph.call_function(torch.ops.aten.reshape.default, (source, []))
            dtype = source.meta["val"].dtype
        else:
            tensor = graph.call_function(
                torch.ops.aten.scalar_tensor.default, (node,), {"dtype": dtype}
            )
    fake_mode = detect_fake_mode([n.meta.get("val") for n in graph.nodes if "val" in n.meta])
    with fake_mode:
        tensor.meta["val"] = torch.empty((), dtype=dtype)
    tensor.meta["stack_trace"] = node.meta.get("stack_trace")
    return tensor


_ITEM_OPS = (torch.ops.aten.item.default, torch.ops.aten._local_scalar_dense.default)


def drop_bool_range_checks(graph) -> None:
    """Removes torch.export's checks that ``int(b)`` of a bool ``b`` lies in [0, 1].

    They are always true, and torch-mlir cannot import the ``torch.sym_ite``
    they are computed with.
    """
    for ite in [n for n in graph.nodes if n.target is torch.sym_ite and n.args[1:] == (1, 0)]:
        for compare in list(ite.users):
            for check in list(compare.users):
                if check.target == torch.ops.aten._assert_scalar.default:
                    graph.erase_node(check)
            if not compare.users:
                graph.erase_node(compare)
        if not ite.users:
            graph.erase_node(ite)
