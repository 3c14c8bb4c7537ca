"""PyTorch frontend: ``nn.Module`` -> torch.export -> torch-mlir -> linalg-on-tensors.

torch.export traces the model; torch-mlir's FX importer builds torch-dialect
IR; torch-mlir's backend pipeline lowers it to linalg on tensors. Weights are
imported as dense constants straight from the tensors' memory (the importer's
default goes through Python lists and costs seconds on ResNet-18). Ops that
cannot be lowered are all reported at once, each with its line in the user's
source (``UnsupportedOpsError``).
"""

from __future__ import annotations

import contextlib
import re
import threading

import numpy as np
import torch
from torch_mlir import fx
from torch_mlir.compiler_utils import OutputType
from torch_mlir.extras.fx_importer import FxImporterHooks, create_mlir_tensor_type

from kiln.errors import (
    KilnError,
    PipelineError,
    UnsupportedOp,
    UnsupportedOpsError,
    user_location,
)
from kiln.frontend.boundary import TorchBoundary
from kiln.frontend.constant_views import fold_constant_views
from kiln.frontend.decompositions import decomposition_table
from kiln.frontend.export import as_module, decomposed_program
from kiln.frontend.fold_zero_size_torch import fold_zero_size_values
from kiln.frontend.library_pytrees import register_library_pytrees
from kiln.frontend.pipelines import TORCH_FRONTEND, mlir_error_of, run_frontend
from kiln.frontend.program import prepare_program
from kiln.frontend.recurrent_decompositions import expand_recurrent
from kiln.frontend.stack_traces import lazy_line_stack_traces
from kiln.frontend.unsupported import diagnosed_ops, frontend_error, location_library_site
from kiln.ir import MLIRError, PassManager, ir
from kiln.pipeline import pipeline_text

# The torch stage as text, for diagnostic re-runs on snapshots (kiln/frontend/pipelines.py).
TORCH_BACKEND = pipeline_text(TORCH_FRONTEND.stage("torch").passes)
# The conversions inside LINALG_BACKEND, run alone: they leave what they cannot convert.
PARTIAL_CONVERSIONS = (
    "builtin.module(func.func(convert-torch-to-tmtensor, convert-torch-to-linalg, "
    "convert-torch-to-scf, convert-torch-to-arith, convert-torch-to-tensor))"
)


# torch.export keeps its tracing state (dispatch mode stacks, fake-tensor modes) per
# process, not per thread: two exports at once fail ("Trying to pop empty mode stack").
# Exporting, decomposing and importing run one model at a time; lowering runs concurrently.
_EXPORT_LOCK = threading.Lock()


# Weights imported from their own memory; torch-mlir's default copies each element
# through a Python list (seconds for ResNet-18's floats, minutes for an int8 LLM).
_LITERAL_DTYPES = (
    torch.float32,
    torch.float64,
    torch.float16,
    torch.int8,
    torch.uint8,
    torch.int16,
    torch.int32,
    torch.int64,
)


class _DenseLiterals(FxImporterHooks):
    """Imports tensor literals (weights) as DenseElementsAttr from their own memory."""

    def resolve_literal(self, gni, literal, info):
        if not isinstance(literal, torch.Tensor) or literal.numel() <= 1:
            return None
        if literal.dtype not in _LITERAL_DTYPES:
            return None  # bool (bit-packed), bf16, complex: torch-mlir's own path
        try:
            array = literal.detach().contiguous().cpu().numpy()
        except (RuntimeError, TypeError):
            return None  # fake or meta tensors: let the importer decide
        vtensor_type = gni._cc.tensor_to_vtensor_type(literal)
        # The element type torch-mlir gives such a literal (si8, ui8, si64, f32, ...):
        # its backend converts the signed/unsigned types to signless ones.
        with vtensor_type.context:
            element = create_mlir_tensor_type(literal).element_type
            attr = ir.DenseElementsAttr.get(np.ascontiguousarray(array), type=element)
        op = ir.Operation.create(
            "torch.vtensor.literal", results=[vtensor_type], attributes={"value": attr}
        )
        return op.result


def import_torch_module(
    model: torch.nn.Module,
    example_inputs: tuple,
    func_name: str = "forward",
    dynamic_shapes=None,
    **dumps,
) -> ir.Module:
    """The model as linalg-on-tensors IR, in a context with kiln's dialect loaded."""
    return import_torch_program(model, example_inputs, func_name, dynamic_shapes, **dumps)[0]


@contextlib.contextmanager
def _in_eval_mode(model):
    """``model`` in eval mode while it is traced (kiln compiles inference: dropout off,
    batch norm on its running statistics), every submodule's own mode restored after,
    so compiling never leaves the user's module switched (a model being trained stays in
    training mode). A module that ``torch.export`` produced (``ExportedProgram.module()``,
    a PT2E-quantized model) refuses ``eval()``: its graph was traced in one mode already,
    so it is taken as it is."""
    if not isinstance(model, torch.nn.Module):
        yield model
        return
    modes = [(module, module.training) for module in model.modules()]
    try:
        model.eval()
    except NotImplementedError:
        modes = []
    try:
        yield model
    finally:
        for module, training in modes:
            module.training = training


def import_torch_program(
    model: torch.nn.Module,
    example_inputs: tuple,
    func_name: str = "forward",
    dynamic_shapes=None,
    dump_dir: str | None = None,
    name: str = "module",
    recurrent_loops: bool = True,
) -> tuple[ir.Module, TorchBoundary]:
    """The model as linalg-on-tensors IR, and how to call the compiled code like the model.

    torch-mlir's conversions run as the stages of ``TORCH_FRONTEND``
    (dumped to ``dump_dir`` as ``<name>-<hash>.frontend.NN-<stage>.mlir``).

    ``recurrent_loops``: LSTM/GRU layers as loops (else unrolled: for targets that
    cannot loop around their kernels).

    Raises ``UnsupportedOpsError`` naming the op or construct (and the
    user's line) that torch.export, torch-mlir's importer or its lowering
    cannot handle.
    """
    with _EXPORT_LOCK, _in_eval_mode(model) as inference, lazy_line_stack_traces():
        model = as_module(inference)  # a plain function of tensors
        register_library_pytrees(model)  # Hugging Face's caches in the outputs
        program = decomposed_program(
            model,
            example_inputs,
            decomposition_table(),
            dynamic_shapes,
            on_error=lambda err: frontend_error(err, "a decomposition failed"),
        )
        expand_recurrent(program, loops=recurrent_loops)
        fold_constant_views(program)  # before torch-mlir, which folds them element by element
        boundary = prepare_program(program, model)
        raw = _import(program, func_name)
    _record_dtypes(raw, program)
    unknown = _unknown_operators(raw)
    snapshot = raw.operation.clone(ip=False)
    try:
        if unknown:
            raise UnsupportedOpsError(unknown + _unconverted_ops(snapshot))
        run_frontend(raw, TORCH_FRONTEND, dump_dir=dump_dir, name=name)
    except PipelineError as err:
        mlir_error = mlir_error_of(err)
        unsupported = _unconverted_ops(snapshot) or (
            diagnosed_ops(mlir_error, snapshot) if mlir_error is not None else []
        )
        if unsupported:
            raise UnsupportedOpsError(unsupported) from None
        raise  # torch-mlir failed on something that is not an op: the reproducer replays it
    finally:
        snapshot.erase()
    from kiln.dialects import load_kiln_dialect

    load_kiln_dialect(raw.context)
    _drop_zero_divisor_checks(raw)
    if dynamic_shapes is not None:
        _reject_static_assumptions(raw)
    return raw, boundary


def _import(program, func_name: str) -> ir.Module:
    """torch-mlir's import of a program ``prepare_program`` made pure: torch-dialect IR.

    ``import_program`` rather than ``import_frozen_program``: the frozen
    import looks lifted state up in ``state_dict`` only (non-persistent
    buffers are in ``constants``) and replaces placeholders by raw tensors,
    which its list importer rejects (``table[index]``: "Heterogeneous lists").
    """
    try:
        module = fx.export_and_import(
            program,
            output_type=OutputType.RAW,
            func_name=func_name,
            hooks=_DenseLiterals(),
            decomposition_table={},  # applied before prepare_program
            experimental_support_mutation=True,
        )
    except Exception as err:  # torch-mlir's importer asserts on what it cannot import
        raise frontend_error(err, "torch-mlir cannot import it") from err
    _drop_strict_shapes_assumption(module)
    return module


def _drop_strict_shapes_assumption(module: ir.Module) -> None:
    """Removes ``torch.assume_strict_symbolic_shapes``, which ``import_program`` sets.

    With it, torch-mlir drops the run-time checks that dynamic dimensions
    match (``x + y`` with batches 5 and 6): kiln keeps them, so a call that
    breaks the exported shape constraints raises instead of reading out of bounds.
    """
    for op in module.body.operations:
        if "torch.assume_strict_symbolic_shapes" in op.attributes:
            del op.attributes["torch.assume_strict_symbolic_shapes"]


ZERO_DIVISOR_CHECK = "unimplemented: tensor with zero element"


def _drop_zero_divisor_checks(module: ir.Module) -> None:
    """Removes torch-mlir's ``x != 0`` assertion before reciprocals: PyTorch gives inf."""
    found = []

    def visit(op):
        if (
            op.operation.name == "cf.assert"
            and ir.StringAttr(op.attributes["msg"]).value == ZERO_DIVISOR_CHECK
        ):
            found.append(op.operation)
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    for op in found:
        condition = op.operands[0].owner
        op.erase()
        if hasattr(condition, "operation") and not list(condition.results[0].uses):
            condition.operation.erase()


def _reject_static_assumptions(module: ir.Module) -> None:
    """Fails on a ``tensor.cast`` that makes a dynamic dimension static.

    torch-mlir lowers some reshapes of several dynamic dimensions (``view``
    of [b, s, d] to [b * s, d]) by casting one of them to a constant; the code
    would then be wrong for every other size. kiln refuses such models.
    """
    found = []

    def visit(op):
        if op.operation.name == "tensor.cast":
            source = ir.RankedTensorType(op.operands[0].type)
            target = ir.RankedTensorType(op.results[0].type)
            for i in range(source.rank):
                if source.is_dynamic_dim(i) and not target.is_dynamic_dim(i):
                    found.append(
                        f"{user_location(op.location)}: dimension {i} of a {source} value is assumed to be "
                        f"{target.get_dim_size(i)}"
                    )
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    if found:
        raise KilnError(
            "kiln: torch-mlir specialized dynamic dimensions of this model, so the code would be wrong "
            "for other sizes (typically a reshape merging several dynamic dimensions); mark fewer "
            "dimensions dynamic:\n  " + "\n  ".join(found)
        )


TORCH_DTYPES_ATTR = "kiln.torch_dtypes"


def _record_dtypes(module: ir.Module, program) -> None:
    """Records the torch dtypes of the entry point (signedness is lost in linalg: ui8 -> i8)."""
    user_inputs = [
        spec.arg.name
        for spec in program.graph_signature.input_specs
        if spec.kind.name == "USER_INPUT" and type(spec.arg).__name__ == "TensorArgument"
    ]
    nodes = {n.name: n for n in program.graph.nodes}
    inputs = [_dtype_of(nodes[name]) for name in user_inputs if name in nodes]
    output_node = next(n for n in program.graph.nodes if n.op == "output")
    outputs = [_dtype_of(arg) for arg in output_node.args[0]]
    with module.context:
        module.operation.attributes[TORCH_DTYPES_ATTR] = ir.DictAttr.get(
            {
                "inputs": ir.ArrayAttr.get([ir.StringAttr.get(d) for d in inputs]),
                "outputs": ir.ArrayAttr.get([ir.StringAttr.get(d) for d in outputs]),
            }
        )


def _dtype_of(node) -> str:
    value = getattr(node, "meta", {}).get("val")
    return str(value.dtype).removeprefix("torch.") if hasattr(value, "dtype") else ""


def _stub_unknown_operators(module: ir.Operation) -> None:
    """Replaces each ``torch.operator`` whose results are static tensors by zero literals."""
    found = []

    def visit(op):
        if op.operation.name == "torch.operator":
            found.append(op.operation)
        return ir.WalkResult.ADVANCE

    module.walk(visit)
    with module.context, ir.Location.unknown():
        for op in found:
            replacements = []
            for result in op.results:
                literal = _zero_literal(result.type, op)
                if literal is None:
                    break
                replacements.append(literal)
            else:
                for result, new in zip(op.results, replacements, strict=True):
                    result.replace_all_uses_with(new)
                op.erase()


def _zero_literal(ty: ir.Type, anchor: ir.Operation):
    """A ``torch.vtensor.literal`` of zeros of vtensor type ``ty``, or None."""
    match = re.fullmatch(r"!torch\.vtensor<\[([0-9,]*)\],(f32|f64|f16|si64|si32|i1)>", str(ty))
    if match is None:
        return None
    shape = [int(d) for d in match.group(1).split(",") if d]
    element = {
        "f32": ir.F32Type.get(),
        "f64": ir.F64Type.get(),
        "f16": ir.F16Type.get(),
        "si64": ir.IntegerType.get_signed(64),
        "si32": ir.IntegerType.get_signed(32),
        "i1": ir.IntegerType.get_signless(1),
    }[match.group(2)]
    attr = ir.DenseElementsAttr.get_splat(
        ir.RankedTensorType.get(shape, element),
        ir.FloatAttr.get(element, 0.0)
        if isinstance(element, ir.FloatType)
        else ir.IntegerAttr.get(element, 0),
    )
    with ir.InsertionPoint(anchor), anchor.location:
        return ir.Operation.create(
            "torch.vtensor.literal", results=[ty], attributes={"value": attr}
        ).result


def _unknown_operators(module: ir.Module) -> list[UnsupportedOp]:
    """``torch.operator`` ops: aten ops torch-mlir has no definition for."""
    found = []

    def visit(op):
        if op.operation.name == "torch.operator":
            name = ir.StringAttr(op.attributes["name"]).value
            found.append(
                UnsupportedOp(
                    name.removeprefix("torch."),
                    user_location(op.location),
                    "not known to torch-mlir",
                    inside=location_library_site(op.location),
                )
            )
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    return found


def _unconverted_ops(snapshot: ir.Operation) -> list[UnsupportedOp]:
    """Every known torch op the linalg conversions leave behind, in a copy of the raw module.

    Ops unknown to torch-mlir (``torch.operator``) are first replaced by zero
    literals of their result types in the copy, so that the rest of the
    model can still be lowered and checked.
    """
    module = snapshot.clone(ip=False)
    _stub_unknown_operators(module)
    try:
        with module.context:
            PassManager.parse(TORCH_BACKEND).run(module)
            fold_zero_size_values(module)  # as the linalg stage does first
            PassManager.parse(PARTIAL_CONVERSIONS).run(module)
    except MLIRError as err:
        module.erase()
        return diagnosed_ops(err, snapshot)
    found = leftover_torch_ops(module, user_location, location_library_site)
    module.erase()
    return found


def leftover_torch_ops(module: ir.Operation, locate, inside=None) -> list[UnsupportedOp]:
    """The torch ops a partial linalg conversion left in ``module``, each located by
    ``locate(op.location)`` (the user's source line, or an ONNX node name) and, with
    ``inside``, by ``inside(op.location)`` (the model library's line)."""
    found = []
    skip = ("torch.constant.", "torch.prim.ListConstruct", "torch_c.", "torch.vtensor.literal")

    def visit(op):
        name = op.operation.name
        if name.startswith(("torch.aten.", "torch.prims.", "torch.prim.")) and not name.startswith(
            skip
        ):
            found.append(
                UnsupportedOp(
                    name.removeprefix("torch."),
                    locate(op.location),
                    "no lowering to linalg",
                    inside=inside(op.location) if inside else "",
                )
            )
        return ir.WalkResult.ADVANCE

    module.walk(visit)
    return found
