"""CUDA runtime, program layer: a compiled kiln program's launch plans run on one GPU.

``CudaProgram`` loads kiln's cubin (or PTX) with the driver layer
(``kiln.runtime.cuda_driver``), uploads the constants once, and replays each
function's ``LaunchPlan`` (``kiln.lowering.cuda.gpu_launch_plan``): kernels and
copies on torch's current stream, torch CUDA tensors in and out without copies.
"""

from __future__ import annotations

import ctypes

from kiln.errors import KilnError
from kiln.runtime.cuda_driver import CudaDevice, CudaModule, DeviceBuffer, check_aligned

# MLIR element type -> (numpy dtype name, torch dtype name).
_DTYPES = {
    "f32": ("float32", "float32"),
    "f16": ("float16", "float16"),
    "bf16": (None, "bfloat16"),
    "f64": ("float64", "float64"),
    "i64": ("int64", "int64"),
    "i32": ("int32", "int32"),
    "i16": ("int16", "int16"),
    "i8": ("int8", "int8"),
    "i1": ("bool", "bool"),
}
MAX_CACHED_TENSOR_MAPS = 256


_SCALARS = {
    "index": ctypes.c_int64,
    "i64": ctypes.c_int64,
    "i32": ctypes.c_int32,
    "f32": ctypes.c_float,
}


class CudaProgram:
    """A compiled kiln program on one GPU: kernels loaded, constants uploaded, plans ready to run.

    ``image`` is the cubin (or the PTX text), ``plans`` come from
    ``kiln.lowering.cuda.gpu_launch_plan.launch_plans``. Calling a function with
    torch CUDA tensors returns torch CUDA tensors (no copies, torch's current
    stream, asynchronous like torch); with ``DeviceBuffer``s returns
    ``DeviceBuffer``s; with numpy arrays copies in and out and returns numpy arrays.
    """

    def __init__(self, image: bytes | str, plans: dict, device: int = 0):
        self.device = CudaDevice(device)
        self.module = CudaModule(self.device, image)
        self.plans = dict(plans)
        self._constants = {
            name: [self._upload(s, d) for s, d in p.constants] for name, p in self.plans.items()
        }
        # (TensorMap, buffer address) -> the encoded descriptor in device memory.
        self._tensor_maps: dict[tuple, DeviceBuffer] = {}

    def _upload(self, spec, data: bytes) -> DeviceBuffer:
        buffer = DeviceBuffer(self.device, spec.nbytes)
        buffer.upload(data)
        return buffer

    def __call__(self, *inputs, function: str | None = None):
        """Runs ``function`` (the only one by default) on ``inputs``; returns its output(s)."""
        if function is None:
            if len(self.plans) != 1:
                raise KilnError(f"name the function to run: one of {', '.join(self.plans)}")
            function = next(iter(self.plans))
        if function not in self.plans:
            raise KilnError(f"no function '{function}' (functions: {', '.join(self.plans)})")
        return self._run(self.plans[function], list(inputs))

    def _run(self, plan, inputs: list):
        n_in = len(plan.args) - plan.num_outputs
        if len(inputs) != n_in:
            raise KilnError(f"{plan.function} takes {n_in} input(s), got {len(inputs)}")
        mode = _mode(inputs)
        keep = []  # host inputs' device copies live until the outputs are read
        args = [
            self._input(x, spec, i, mode, keep)
            for i, (x, spec) in enumerate(zip(inputs, plan.args, strict=False))
        ]
        outputs = [self._alloc(spec, mode) for spec in plan.args[n_in:]]
        temps = [self._alloc(spec, mode) for spec in plan.temps]
        stream = _torch_stream(self.device.ordinal) if mode == "torch" else 0
        buffers = {"arg": args + outputs, "temp": temps, "const": self._constants[plan.function]}
        for step in plan.steps:
            self._step(step, buffers, stream)
        if mode != "torch":
            # The per-call buffers (temporaries, host inputs' copies) are freed on return.
            self.device.synchronize()
        if mode == "host":
            outputs = [
                _to_numpy(buffer, spec)
                for buffer, spec in zip(outputs, plan.args[n_in:], strict=True)
            ]
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def _step(self, step, buffers, stream: int) -> None:
        def arg(ref):
            if hasattr(ref, "kind"):
                return buffers[ref.kind][ref.index].data_ptr()
            if hasattr(ref, "box"):  # a TMA descriptor over one of the buffers
                source = buffers[ref.source.kind][ref.source.index]
                return self._tensor_map(ref, source.data_ptr())
            return _SCALARS[ref.dtype](ref.value)

        if hasattr(step, "kernel"):
            args = [arg(a) for a in step.args]
            self.module.launch(step.kernel, step.grid, step.block, args, step.shared_bytes, stream)
        else:
            source = buffers[step.source.kind][step.source.index]
            nbytes = getattr(source, "nbytes", None) or source.numel() * source.element_size()
            self.device.activate()
            self.device.driver.memcpy_dtod_async(arg(step.target), arg(step.source), nbytes, stream)

    def _tensor_map(self, spec, address: int) -> int:
        """The device address of ``spec``'s descriptor over the buffer at ``address``."""
        key = (spec, address)
        if key not in self._tensor_maps:
            if len(self._tensor_maps) >= MAX_CACHED_TENSOR_MAPS:
                self._tensor_maps.clear()
            self.device.activate()
            encoded = self.device.driver.tensor_map_encode_tiled(spec, address)
            self._tensor_maps[key] = self._upload_bytes(encoded)
        return self._tensor_maps[key].data_ptr()

    def _upload_bytes(self, data: bytes) -> DeviceBuffer:
        buffer = DeviceBuffer(self.device, len(data))
        buffer.upload(data)
        return buffer

    def _input(self, value, spec, index: int, mode: str, keep: list):
        what = f"input {index}"
        if mode == "torch":
            _check_tensor(value, spec, self.device.ordinal, what)
            value = value.resolve_neg()  # a lazily negated view holds un-negated values
            check_aligned(value.data_ptr(), what)
            return value
        if isinstance(value, DeviceBuffer):
            if value.nbytes != spec.nbytes:
                raise KilnError(
                    f"{what}: expected {spec.nbytes} bytes ({spec.shape} {spec.dtype}), "
                    f"got {value.nbytes}"
                )
            return value
        import numpy as np

        array = np.ascontiguousarray(value, dtype=_DTYPES[spec.dtype][0])
        if tuple(array.shape) != tuple(spec.shape):
            raise KilnError(f"{what}: expected shape {spec.shape}, got {tuple(array.shape)}")
        buffer = DeviceBuffer(self.device, spec.nbytes)
        buffer.upload(array.tobytes())
        keep.append(buffer)
        return buffer

    def _alloc(self, spec, mode: str):
        if mode != "torch":
            return DeviceBuffer(self.device, spec.nbytes)
        import torch

        return torch.empty(
            spec.shape,
            dtype=getattr(torch, _DTYPES[spec.dtype][1]),
            device=f"cuda:{self.device.ordinal}",
        )


def _mode(inputs: list) -> str:
    """``torch`` (all torch tensors), ``device`` (DeviceBuffers) or ``host`` (numpy/array-likes)."""
    if inputs and all(type(x).__module__.startswith("torch") for x in inputs):
        return "torch"
    if inputs and all(isinstance(x, DeviceBuffer) for x in inputs):
        return "device"
    if any(type(x).__module__.startswith("torch") for x in inputs):
        raise KilnError(
            "mix of torch tensors and other inputs: pass all inputs as torch CUDA tensors"
        )
    return "host"


def _check_tensor(tensor, spec, ordinal: int, what: str) -> None:
    if not tensor.is_cuda or tensor.device.index != ordinal:
        raise KilnError(
            f"{what} must be a CUDA tensor on cuda:{ordinal}, got one on {tensor.device}"
        )
    if tuple(tensor.shape) != tuple(spec.shape):
        raise KilnError(f"{what}: expected shape {spec.shape}, got {tuple(tensor.shape)}")
    if str(tensor.dtype) != f"torch.{_DTYPES[spec.dtype][1]}":
        raise KilnError(f"{what}: expected dtype {_DTYPES[spec.dtype][1]}, got {tensor.dtype}")
    if not tensor.is_contiguous():
        raise KilnError(f"{what} must be contiguous (call .contiguous())")


def _torch_stream(ordinal: int) -> int:
    import torch

    return torch.cuda.current_stream(ordinal).cuda_stream


def _to_numpy(buffer: DeviceBuffer, spec):
    import numpy as np

    return np.frombuffer(buffer.download(), dtype=_DTYPES[spec.dtype][0]).reshape(spec.shape).copy()
