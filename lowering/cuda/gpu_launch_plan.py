"""What the host side of a compiled function does, as plain data for the CUDA runtime.

After the ``gpu`` stage a host function only allocates temporaries, takes
views (reshapes) of buffers, fetches constants and launches kernels. kiln
never compiles it: ``launch_plan`` reads it into a ``LaunchPlan`` (kernels in
order, their grids and arguments as references to the function's arguments,
temporaries and constants) that ``kiln.runtime.cuda_program`` replays with the
driver API.

Pre: a module after the ``gpu`` (or ``nvvm``) stage with static shapes.
Post: one ``LaunchPlan`` per public host function; any other host-side op is
reported with its location (``KilnError``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from kiln.lowering.cuda.nvvm_to_ptx import kernel_symbol

from kiln.errors import KilnError
from kiln.ir import ir

NUM_OUTPUTS_ATTR = "kiln.num_outputs"
VIEW_OPS = ("memref.expand_shape", "memref.collapse_shape", "memref.cast")
RESOURCE_RE = re.compile(r"dense_resource<([^>]+)>")
IGNORED_OPS = ("arith.constant", "func.return", "memref.dealloc")
# !nvgpu.tensormap.descriptor parameters -> CUDA enum values.
TENSORMAP_MODES = {
    "swizzle": {"swizzle_none": 0, "swizzle_32b": 1, "swizzle_64b": 2, "swizzle_128b": 3},
    "l2promo": {"none": 0, "l2promo_64b": 1, "l2promo_128b": 2, "l2promo_256b": 3},
    "oob": {"zero": 0, "nan": 1},
    "interleave": {"none": 0, "interleave_16b": 1, "interleave_32b": 2},
}


@dataclass(frozen=True)
class BufferSpec:
    """A dense row-major buffer: its shape and MLIR element type (``f32``, ``f16``, ``i64``...)."""

    shape: tuple[int, ...]
    dtype: str

    @property
    def nbytes(self) -> int:
        """Its size in bytes."""
        return int(np.prod(self.shape, dtype=np.int64)) * element_size(self.dtype)


@dataclass(frozen=True)
class Ref:
    """A buffer a step uses: ``arg``, ``temp`` or ``const`` number ``index``."""

    kind: str
    index: int


@dataclass(frozen=True)
class Scalar:
    """A kernel argument that is a constant scalar."""

    dtype: str
    value: int | float


@dataclass(frozen=True)
class TensorMap:
    """A TMA descriptor argument: a whole buffer, tiled in ``box``es (``cuTensorMapEncodeTiled``).

    ``shape`` and ``box`` are in the buffer's (row-major) dim order; the modes
    are the CUDA enum values (``CUtensorMapSwizzle`` etc.).
    """

    source: Ref
    shape: tuple[int, ...]
    dtype: str
    box: tuple[int, ...]
    swizzle: int
    l2promo: int
    oob: int
    interleave: int


@dataclass(frozen=True)
class Launch:
    """One kernel launch: PTX entry, grid and block sizes (x, y, z), arguments in ABI order."""

    kernel: str
    grid: tuple[int, int, int]
    block: tuple[int, int, int]
    args: tuple[Ref | Scalar | TensorMap, ...]
    shared_bytes: int = 0  # dynamic shared memory


@dataclass(frozen=True)
class Copy:
    """A device-to-device copy of a whole buffer."""

    source: Ref
    target: Ref


@dataclass(frozen=True)
class LaunchPlan:
    """A host function: its buffers and the steps to replay, in order."""

    function: str
    args: tuple[BufferSpec, ...]  # inputs, then ``num_outputs`` out-params
    num_outputs: int
    temps: tuple[BufferSpec, ...]
    constants: tuple[tuple[BufferSpec, bytes], ...]
    steps: tuple[Launch | Copy, ...]


def element_size(dtype: str) -> int:
    """Bytes per element of an MLIR element type name."""
    if dtype in ("index",):
        return 8
    bits = int("".join(ch for ch in dtype if ch.isdigit()) or 0)
    if bits == 0:
        raise KilnError(f"no byte size for element type '{dtype}'")
    return max(1, bits // 8)


def launch_plans(module: ir.Module) -> dict[str, LaunchPlan]:
    """A ``LaunchPlan`` per public host function of ``module`` (see module doc)."""
    blobs = _Blobs(module)
    globals_ = {
        ir.StringAttr(g.attributes["sym_name"]).value: g
        for g in _top_level(module, "memref.global")
    }
    plans = {}
    for fn in _top_level(module, "func.func"):
        if not fn.regions[0].blocks or "sym_visibility" in fn.attributes:
            continue
        plan = _plan(fn, globals_, blobs)
        plans[plan.function] = plan
    return plans


def _top_level(module: ir.Module, name: str) -> list[ir.Operation]:
    return [op.operation for op in module.body.operations if op.operation.name == name]


def _spec(ty: ir.Type) -> BufferSpec:
    memref = ir.MemRefType(ty)
    if not memref.has_static_shape:
        raise KilnError(f"the CUDA runtime needs static shapes, got {ty}")
    return BufferSpec(tuple(memref.shape), str(memref.element_type))


class _Builder:
    """Walks one host function, mapping SSA values to buffer references."""

    def __init__(self, fn: ir.Operation, globals_: dict[str, ir.Operation], blobs: _Blobs):
        self.fn, self.globals, self.blobs = fn, globals_, blobs
        self.refs: dict[ir.Value, Ref] = {}
        self.scalars: dict[ir.Value, Scalar] = {}
        self.tensormaps: dict[ir.Value, TensorMap] = {}
        self.temps: list[BufferSpec] = []
        self.constants: list[tuple[BufferSpec, bytes]] = []
        self.steps: list[Launch | Copy] = []

    def ref(self, value: ir.Value, user: ir.Operation) -> Ref | Scalar | TensorMap:
        if value in self.refs:
            return self.refs[value]
        if value in self.scalars:
            return self.scalars[value]
        if value in self.tensormaps:
            return self.tensormaps[value]
        raise KilnError(f"{user.location}: the CUDA runtime cannot pass {value} to a kernel")

    def visit(self, op: ir.Operation) -> None:
        name = op.name
        if name == "arith.constant":
            self._constant(op)
        elif name in IGNORED_OPS:
            return
        elif name == "memref.alloc":
            self.refs[op.results[0]] = Ref("temp", len(self.temps))
            self.temps.append(_spec(op.results[0].type))
        elif name == "memref.get_global":
            self._global(op)
        elif name in VIEW_OPS or (name == "memref.subview" and _static_layout(op.results[0])):
            # Bare-pointer kernels take the base pointer; the type carries the offset.
            self.refs[op.results[0]] = self.ref(op.operands[0], op)
        elif name == "nvgpu.tma.create.descriptor":
            self._tensormap(op)
        elif name == "builtin.unrealized_conversion_cast" and op.operands[0] in self.tensormaps:
            # kiln-gpu-tensormap-args: the descriptor passed as a pointer.
            self.tensormaps[op.results[0]] = self.tensormaps[op.operands[0]]
        elif name == "memref.copy":
            self.steps.append(Copy(self.ref(op.operands[0], op), self.ref(op.operands[1], op)))
        elif name == "gpu.launch_func":
            self._launch(op)
        else:
            raise KilnError(
                f"{op.location}: '{name}' runs on the host between kernels; the CUDA runtime cannot"
            )

    def _constant(self, op: ir.Operation) -> None:
        attr = op.attributes["value"]
        if isinstance(attr, ir.IntegerAttr):
            self.scalars[op.results[0]] = Scalar(str(attr.type), ir.IntegerAttr(attr).value)
        elif isinstance(attr, ir.FloatAttr):
            self.scalars[op.results[0]] = Scalar(str(attr.type), ir.FloatAttr(attr).value)

    def _global(self, op: ir.Operation) -> None:
        name = ir.FlatSymbolRefAttr(op.attributes["name"]).value
        spec = _spec(op.results[0].type)
        initial = self.globals[name].attributes["initial_value"] if name in self.globals else None
        if isinstance(initial, ir.DenseElementsAttr):
            data = np.ascontiguousarray(np.array(initial)).tobytes()
        elif initial is not None and (resource := RESOURCE_RE.match(str(initial))):
            data = self.blobs.get(resource.group(1))
        else:
            raise KilnError(
                f"{op.location}: constant '{name}' has no dense value the runtime can upload"
            )
        if len(data) != spec.nbytes:  # a splat: repeat its one element
            data = data * (spec.nbytes // max(1, len(data)))
        self.refs[op.results[0]] = Ref("const", len(self.constants))
        self.constants.append((spec, data))

    def _tensormap(self, op: ir.Operation) -> None:
        source = op.operands[0]
        owner = source.owner
        if isinstance(owner, ir.OpView | ir.Operation) and owner.operation.name == "memref.cast":
            source = owner.operation.operands[0]  # the ranked buffer behind the unranked view
        spec = _spec(source.type)
        text = str(op.results[0].type)
        modes = {
            key: values[re.search(rf"{key} = (\w+)", text).group(1)]
            for key, values in TENSORMAP_MODES.items()
        }
        box = tuple(self._index(v, op) for v in op.operands[1:])
        self.tensormaps[op.results[0]] = TensorMap(
            self.ref(source, op), spec.shape, spec.dtype, box, **modes
        )

    def _launch(self, op: ir.Operation) -> None:
        launch = op.opview
        dims = [self._index(v, op) for v in (launch.gridSizeX, launch.gridSizeY, launch.gridSizeZ)]
        block = [
            self._index(v, op) for v in (launch.blockSizeX, launch.blockSizeY, launch.blockSizeZ)
        ]
        shared = launch.dynamicSharedMemorySize
        module_name = ir.SymbolRefAttr(op.attributes["kernel"]).value[0]
        args = tuple(self.ref(v, op) for v in launch.kernelOperands)
        shared_bytes = self._index(shared, op) if shared is not None else 0
        self.steps.append(
            Launch(kernel_symbol(module_name), tuple(dims), tuple(block), args, shared_bytes)
        )

    def _index(self, value: ir.Value, user: ir.Operation) -> int:
        scalar = self.scalars.get(value)
        if scalar is None:
            raise KilnError(f"{user.location}: launch sizes must be constants")
        return int(scalar.value)


def _static_layout(value: ir.Value) -> bool:
    """A memref type whose offset and strides are all static (no ``?``)."""
    return "?" not in str(ir.MemRefType(value.type).layout)


class _Blobs:
    """The ``dense_resource`` blobs of a module, read from its printed form on first use."""

    def __init__(self, module: ir.Module):
        self.module = module
        self._blobs: dict[str, bytes] | None = None

    def get(self, key: str) -> bytes:
        if self._blobs is None:
            text = self.module.operation.get_asm(large_elements_limit=None)
            # "name": "0x<4-byte alignment><data>" in the dialect_resources section
            pairs = re.findall(r'^\s*([\w.]+): "0x([0-9A-Fa-f]*)"', text, flags=re.M)
            self._blobs = {name: bytes.fromhex(blob)[4:] for name, blob in pairs}
        if key not in self._blobs:
            raise KilnError(f"resource blob '{key}' is not in the module")
        return self._blobs[key]


def _plan(fn: ir.Operation, globals_: dict[str, ir.Operation], blobs: _Blobs) -> LaunchPlan:
    builder = _Builder(fn, globals_, blobs)
    block = fn.regions[0].blocks[0]
    args = []
    for i, arg in enumerate(block.arguments):
        builder.refs[arg] = Ref("arg", i)
        args.append(_spec(arg.type))
    for op in block.operations:
        builder.visit(op.operation)
    n_out = (
        ir.IntegerAttr(fn.attributes[NUM_OUTPUTS_ATTR]).value
        if NUM_OUTPUTS_ATTR in fn.attributes
        else 0
    )
    return LaunchPlan(
        ir.StringAttr(fn.attributes["sym_name"]).value,
        tuple(args),
        n_out,
        tuple(builder.temps),
        tuple(builder.constants),
        tuple(builder.steps),
    )
