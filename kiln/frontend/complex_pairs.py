"""Complex tensors as real pairs: one rewrite of the exported program before import.

torch-mlir cannot lower complex tensors to linalg (its conversions stop at
``!torch.vtensor<[...],complex<f32>>``), and neither can kiln's pipelines. So
kiln never shows it one: every complex tensor of shape ``S`` becomes a real
tensor of shape ``S + [2]`` (real part, imaginary part: the layout of
``torch.view_as_real``), and every op that touches a complex value is
rewritten into real ATen ops on that layout (``complex_views.py`` for
creation, views and conversions, ``complex_ops.py`` for arithmetic and norms,
``complex_spectral.py`` for FFTs and STFT as DFT matmuls).

Pre-condition: the program is decomposed ATen (after kiln's decompositions),
nodes carry fake values. Post-condition: no node of the graph carries a
complex value; complex lifted state (a ``freqs_cis`` buffer) is stored as its
pair; ``ComplexSignature`` says which user inputs and results are pairs, so
the boundary can pass ``view_as_real(x)`` and return ``view_as_complex(y)``.
An op with no rewrite raises ``UnsupportedOpsError`` naming it and its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch._guards import detect_fake_mode
from torch.export.graph_signature import InputKind

from kiln.errors import UnsupportedOp, UnsupportedOpsError
from kiln.frontend.complex_emitter import PART_DTYPES, Emitter, Refused, is_complex
from kiln.frontend.complex_ops import COMPLEX_OPS
from kiln.frontend.complex_spectral import SPECTRAL_OPS
from kiln.frontend.source import unsupported_node

HANDLERS = {**COMPLEX_OPS, **SPECTRAL_OPS}

NO_REWRITE = "a complex tensor: kiln has no real-pair rewrite of this op"


@dataclass
class ComplexSignature:
    """What the rewrite changed at the program's boundary.

    ``inputs``: placeholder name -> (complex dtype, user shape with None for
    a symbolic size) of each complex input now passed as a pair; ``pairs``:
    the nodes that carry a complex value as its pair (results among them are
    returned to the user as complex tensors).
    """

    inputs: dict[str, tuple[torch.dtype, tuple]] = field(default_factory=dict)
    pairs: set = field(default_factory=set)


def lower_complex(program) -> ComplexSignature:
    """Rewrites ``program``'s complex values as real pairs, in place (module docstring)."""
    nodes = list(program.graph.nodes)
    if not any(is_complex(node.meta.get("val")) for node in nodes):
        return ComplexSignature()
    fake_mode = detect_fake_mode([n.meta.get("val") for n in nodes if "val" in n.meta])
    emitter = Emitter(program, fake_mode)
    signature = ComplexSignature(pairs=emitter.pairs)
    specs = {spec.arg.name: spec for spec in program.graph_signature.input_specs}
    unsupported = []
    for node in nodes:
        if node.op == "placeholder" and is_complex(node.meta.get("val")):
            signature.inputs[node.name] = _retype_placeholder(emitter, node, specs[node.name])
        elif node.op == "call_function" and _touches_complex(emitter, node):
            problem = _rewrite(emitter, node)
            if problem is not None:
                unsupported.append(problem)
    if unsupported:
        raise UnsupportedOpsError(unsupported)
    return signature


def _touches_complex(emitter: Emitter, node) -> bool:
    return is_complex(node.meta.get("val")) or any(
        emitter.is_pair(arg) for arg in node.all_input_nodes
    )


def _rewrite(emitter: Emitter, node) -> UnsupportedOp | None:
    """Replaces ``node`` by its real-pair rewrite; the refusal when it has none."""
    handler = HANDLERS.get(node.target)
    if handler is None:
        return unsupported_node(node, NO_REWRITE)
    emitter.anchor = node
    try:
        new = _conformed(emitter, node, handler(emitter, node))
    except Refused as refusal:
        return unsupported_node(node, str(refusal))
    node.replace_all_uses_with(new)
    emitter.graph.erase_node(node)
    if is_complex(node.meta.get("val")):
        emitter.pairs.add(new)
    return None


def _conformed(emitter: Emitter, node, new):
    """``new`` in the dtype eager gives ``node`` (complex promotion follows the parts').

    A shape other than eager's would be a bug in a handler: refused, never miscompiled.
    """
    want = node.meta["val"]
    if not isinstance(want, torch.Tensor):
        return new
    dtype = PART_DTYPES.get(want.dtype, want.dtype)
    shape = list(want.shape) + ([2] if want.dtype.is_complex else [])
    got = emitter.val(new)
    if list(got.shape) != shape:
        raise Refused(f"kiln's rewrite gave shape {list(got.shape)} for {shape} (a kiln bug)")
    if got.dtype != dtype:
        new = emitter.op(torch.ops.aten._to_copy.default, new, dtype=dtype)
    if new in node.all_input_nodes:  # an identity: a node of its own, so uses stay apart
        new = emitter.op(torch.ops.aten.alias.default, new)
    return new


def _retype_placeholder(emitter: Emitter, node, spec) -> tuple[torch.dtype, tuple]:
    """``node`` (a complex input or lifted state) as its pair; the user's dtype and shape."""
    val = node.meta["val"]
    with emitter.fake_mode:
        node.meta["val"] = torch.view_as_real(val.resolve_conj()).clone()
    node.meta.pop("tensor_meta", None)  # torch-mlir's importer types a node by it first
    emitter.pairs.add(node)
    if spec.kind != InputKind.USER_INPUT:
        _store_as_pair(emitter.program, spec.target)
    shape = tuple(s if isinstance(s, int) else None for s in val.shape)
    return val.dtype, shape


def _store_as_pair(program, target: str) -> None:
    """Lifted complex state (a parameter, buffer or constant) stored as its pair."""
    for table in (program.state_dict, program.constants):
        if target in table and isinstance(table[target], torch.Tensor):
            value = table[target].detach()
            table[target] = torch.view_as_real(value.resolve_conj()).clone()
