"""ONNX frontend: ``.onnx`` model -> torch-mlir's ONNX importer -> linalg-on-tensors.

The model is checked and its shapes inferred by ``onnx``; torch-mlir's
importer turns every node into ``torch.operator "onnx.X"``;
``convert-torch-onnx-to-torch`` rewrites those into torch ops, and the same
torch backend and linalg lowering as the PyTorch frontend finish the job.
Inputs must have static shapes (``input_shapes`` fixes symbolic dims). Ops
that cannot be converted or lowered are all reported at once, each located
by its ONNX node name (``UnsupportedOpsError``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from kiln.errors import KilnError, PipelineError, UnsupportedOp, UnsupportedOpsError
from kiln.frontend.pipelines import ONNX_FRONTEND, run_frontend
from kiln.ir import MLIRError, PassManager, ir, new_context
from kiln.pipeline import pipeline_text

try:
    import onnx
    from torch_mlir.extras import onnx_importer
except ImportError as _err:  # onnx is an optional dependency
    raise KilnError(
        "kiln: importing ONNX models needs the onnx package (pip install 'kiln[onnx]')"
    ) from _err

# The stages as text, for the diagnostic re-runs on snapshots (kiln/frontend/pipelines.py).
ONNX_TO_TORCH = pipeline_text(ONNX_FRONTEND.stage("onnx").passes)
TORCH_BACKEND = pipeline_text(ONNX_FRONTEND.stage("torch").passes)
# An ONNX op whose conversion pattern failed is renamed to this prefix, out of the
# conversion's reach, so that the conversion can go on and find the others.
_REJECTED = "kiln.rejected."

Shapes = Mapping[str, Sequence[int]] | Sequence[Sequence[int]]


def import_onnx_model(
    model: str | os.PathLike | onnx.ModelProto,
    func_name: str | None = None,
    input_shapes: Shapes | None = None,
    dump_dir: str | None = None,
    name: str = "module",
) -> ir.Module:
    """The ONNX model (a path or a ``ModelProto``) as linalg-on-tensors IR.

    The module lives in a context with kiln's dialect loaded. Its entry
    function is ``func_name`` (default: the ONNX graph's name when it is an
    identifier, else ``main``). ``input_shapes`` (by input name, or one
    shape per input in order) fixes the symbolic dims of the graph inputs.
    torch-mlir's conversions run as the stages of ``ONNX_FRONTEND`` (dumped to
    ``dump_dir`` as ``<name>-<hash>.frontend.NN-<stage>.mlir``).
    """
    source = "<ModelProto>" if isinstance(model, onnx.ModelProto) else os.fspath(model)
    proto = _static_inputs(_load(model), input_shapes)
    proto = _checked_with_shapes(proto, source)
    module = _import(proto, func_name)
    snapshot = module.operation.clone(ip=False)
    try:
        run_frontend(module, ONNX_FRONTEND, stop_after="onnx", dump_dir=dump_dir, name=name)
        left = _operators(module.operation, "onnx.")
        if left:
            raise UnsupportedOpsError(_unsupported_ops(snapshot) or [_onnx_op(op) for op in left])
        run_frontend(module, ONNX_FRONTEND, start_at="torch", dump_dir=dump_dir, name=name)
    except PipelineError:
        unsupported = _unsupported_ops(snapshot)
        if unsupported:
            raise UnsupportedOpsError(unsupported) from None
        raise  # torch-mlir failed on something that is not an op: the reproducer replays it
    finally:
        snapshot.erase()
    return module


def _load(model) -> onnx.ModelProto:
    """A private copy of the model (with its external data), or a KilnError saying why not."""
    if isinstance(model, onnx.ModelProto):
        copy = onnx.ModelProto()
        copy.CopyFrom(model)
        return copy
    path = Path(model)
    if not path.exists():
        raise FileNotFoundError(f"kiln.compile: no such .onnx file: {path}")
    try:
        return onnx.load(path)
    except Exception as err:  # protobuf's DecodeError, OSError for missing external data, ...
        raise KilnError(
            f"kiln: {path} is not a readable ONNX model: {type(err).__name__}: {err}"
        ) from None


def _static_inputs(proto: onnx.ModelProto, input_shapes: Shapes | None) -> onnx.ModelProto:
    """Fixes the graph inputs' shapes to ``input_shapes``; every input must end up static."""
    inputs = _graph_inputs(proto)
    if input_shapes is not None:
        for value, shape in _match_shapes(inputs, input_shapes):
            _set_shape(value, shape)
    dynamic = [v for v in inputs if not _is_static(v)]
    if dynamic:
        listed = ", ".join(f"{v.name}: {_shape_text(v)}" for v in dynamic)
        raise KilnError(
            f"kiln needs static input shapes; these ONNX inputs have dynamic dims: {listed}. "
            "Fix them with example inputs to kiln.compile (or input_shapes= to import_onnx_model)."
        )
    return proto


def _graph_inputs(proto: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    """The graph's real inputs: old exporters also list initializers (weights) as inputs."""
    weights = {init.name for init in proto.graph.initializer}
    return [v for v in proto.graph.input if v.name not in weights]


def _match_shapes(inputs: list[onnx.ValueInfoProto], shapes: Shapes) -> list[tuple]:
    """(input ValueInfoProto, the shape given for it) pairs."""
    if isinstance(shapes, Mapping):
        names = {v.name: v for v in inputs}
        unknown = sorted(set(shapes) - set(names))
        if unknown:
            raise KilnError(
                f"kiln: input_shapes names {unknown}, not inputs of the ONNX graph {sorted(names)}"
            )
        return [(names[name], tuple(shape)) for name, shape in shapes.items()]
    if len(shapes) != len(inputs):
        raise KilnError(
            f"kiln: {len(shapes)} input shape(s) given for the ONNX graph's {len(inputs)} input(s)"
        )
    return [(v, tuple(shape)) for v, shape in zip(inputs, shapes, strict=True)]


def _set_shape(value: onnx.ValueInfoProto, shape: tuple[int, ...]) -> None:
    """Fixes ``value``'s dims to ``shape``; its static dims must agree."""
    tensor = value.type.tensor_type
    if not tensor.HasField("shape"):  # unknown rank: any shape fits
        tensor.shape.SetInParent()
        tensor.shape.dim.extend(onnx.TensorShapeProto.Dimension() for _ in shape)
    dims = _dims(value)
    declared = _shape_text(value)
    if len(dims) != len(shape):
        raise KilnError(
            f"kiln: input '{value.name}' has rank {len(dims)} ({declared}); got shape {list(shape)}"
        )
    for dim, size in zip(dims, shape, strict=True):
        if dim.HasField("dim_value") and dim.dim_value != size:
            raise KilnError(
                f"kiln: input '{value.name}' has shape {declared}; got shape {list(shape)}"
            )
        dim.dim_value = int(size)  # replaces dim_param (a oneof)


def _dims(value: onnx.ValueInfoProto):
    return value.type.tensor_type.shape.dim


def _is_static(value: onnx.ValueInfoProto) -> bool:
    tensor = value.type.tensor_type
    return tensor.HasField("shape") and all(d.HasField("dim_value") for d in tensor.shape.dim)


def _shape_text(value: onnx.ValueInfoProto) -> str:
    """``[batch, 3, 224, 224]``; ``?`` for an anonymous dynamic dim."""
    if not value.type.tensor_type.HasField("shape"):
        return "[unknown rank]"
    dims = (
        str(d.dim_value) if d.HasField("dim_value") else d.dim_param or "?" for d in _dims(value)
    )
    return f"[{', '.join(dims)}]"


def _checked_with_shapes(proto: onnx.ModelProto, source: str) -> onnx.ModelProto:
    """The model, checked by onnx, with every value's shape inferred (as torch-mlir's tool does)."""
    for index, node in enumerate(proto.graph.node):
        if not node.name:  # errors point at nodes by name
            node.name = f"{node.op_type}#{index}"
    try:
        onnx.checker.check_model(proto)
        return onnx.shape_inference.infer_shapes(proto, data_prop=True)
    except ValueError as err:  # protobuf's 2 GB limit on in-memory models
        raise KilnError(
            f"kiln: {source}: ONNX models over 2 GB are not supported yet: {err}"
        ) from None
    except Exception as err:  # onnx's ValidationError and InferenceError
        raise KilnError(
            f"kiln: {source} is not a valid ONNX model: {type(err).__name__}: {err}"
        ) from None


def _import(proto: onnx.ModelProto, func_name: str | None) -> ir.Module:
    """The model's graph as one function of ``torch.operator "onnx.X"`` ops."""
    ctx = new_context()
    info = onnx_importer.ModelInfo(proto)
    module = info.create_module(context=ctx)
    try:
        importer = onnx_importer.NodeImporter.define_function(info.main_graph, module.operation)
        importer.import_all()
    except onnx_importer.OnnxImportError as err:
        raise KilnError(f"kiln: torch-mlir cannot import the ONNX model: {err}") from None
    graph = proto.graph.name
    main = next(
        f for f in module.body.operations if ir.StringAttr(f.attributes["sym_name"]).value == graph
    )
    name = func_name or (graph if graph.isidentifier() else "main")
    main.attributes["sym_name"] = ir.StringAttr.get(name, ctx)
    return module


def _run(module: ir.Module | ir.Operation, pipeline: str) -> None:
    op = module.operation if isinstance(module, ir.Module) else module
    with op.context:
        PassManager.parse(pipeline).run(op)


def _operators(module: ir.Operation, prefix: str | tuple[str, ...]) -> list[ir.Operation]:
    """The ``torch.operator`` ops whose name starts with ``prefix``, in program order."""
    found = []

    def visit(op):
        if op.operation.name == "torch.operator" and _operator_name(op).startswith(prefix):
            found.append(op.operation)
        return ir.WalkResult.ADVANCE

    module.walk(visit)
    return found


def _operator_name(op) -> str:
    return ir.StringAttr(op.attributes["name"]).value


def _node_name(loc: ir.Location | str) -> str:
    """The ONNX node name that the importer recorded as ``loc("name")``."""
    match = re.search(r'"((?:[^"\\]|\\.)*)"', str(loc))
    return match.group(1) if match else "unknown location"


def _unsupported_ops(snapshot: ir.Operation) -> list[UnsupportedOp]:
    """Every ONNX op torch-mlir cannot convert, then every torch op it cannot lower to linalg.

    Works on a copy of the imported module. The conversion stops at the first
    op whose pattern fails: that op is renamed out of its reach and the
    conversion retried, until it goes through. Ops left unconverted are then
    replaced by zero literals so that the rest of the model can be checked.
    """
    module = _convert_rejecting(snapshot.clone(ip=False))
    if module is None:
        return []
    try:
        found = [_onnx_op(op) for op in _operators(module, ("onnx.", _REJECTED))]
        return found + _unlowered_ops(module)
    finally:
        module.erase()


def _convert_rejecting(module: ir.Operation) -> ir.Operation | None:
    """``module`` converted, each ONNX op whose pattern fails renamed and left as it is.

    None if the conversion fails for another reason (there is no op to report).
    Takes ownership of ``module``.
    """
    for _ in range(len(_operators(module, "onnx.")) + 1):
        attempt = module.clone(ip=False)
        try:
            _run(attempt, ONNX_TO_TORCH)
        except MLIRError as err:
            attempt.erase()
            failed = _failed_operator(module, err)
            if failed is None:
                break
            renamed = _REJECTED + _operator_name(failed)
            failed.attributes["name"] = ir.StringAttr.get(renamed, failed.context)
            continue
        module.erase()
        return attempt
    module.erase()
    return None


def _failed_operator(module: ir.Operation, err: MLIRError) -> ir.Operation | None:
    """The op of ``module`` that a "failed to legalize" diagnostic names (by node and op name)."""
    for diag in err.error_diagnostics or []:
        match = re.search(r'name = "(onnx\.[^"]+)"', diag.message)
        if "failed to legalize" not in diag.message or match is None:
            continue
        for op in _operators(module, match.group(1)):
            if _operator_name(op) == match.group(1) and str(op.location) == str(diag.location):
                return op
    return None


def _onnx_op(op: ir.Operation) -> UnsupportedOp:
    name = _operator_name(op)
    if name.startswith(_REJECTED):
        reason = "torch-mlir's conversion does not handle this use of it (attributes or types)"
        return UnsupportedOp(name.removeprefix(_REJECTED), _node_name(op.location), reason)
    return UnsupportedOp(name, _node_name(op.location), "no conversion in torch-mlir")


def _unlowered_ops(module: ir.Operation) -> list[UnsupportedOp]:
    """Torch ops (from converted ONNX nodes) that torch-mlir cannot lower to linalg."""
    # Shared with the PyTorch frontend, which owns the stubbing and the partial conversions.
    from kiln.frontend.torch_import import (
        PARTIAL_CONVERSIONS,
        _stub_unknown_operators,
        leftover_torch_ops,
    )

    _stub_unknown_operators(module)
    try:
        _run(module, TORCH_BACKEND)
        _run(module, PARTIAL_CONVERSIONS)
    except MLIRError:
        return []
    return leftover_torch_ops(module, _node_name)
