"""CUDA runtime, driver layer: the CUDA driver API through ctypes, devices, modules and buffers.

ctypes on ``libcuda.so.1`` (the driver; no toolkit, no extra package). The
device's primary context is used, the one PyTorch uses, so torch CUDA tensors
go in and out without copies: their ``data_ptr()`` is the kernel argument and
launches go on torch's current stream.

Kernel ABI (``use-bare-ptr-memref-call-conv``, static shapes): one ``.u64``
pointer per memref argument, in the order of the ``gpu.launch_func``
operands; scalars by value. Buffers must be 16-byte aligned (kernels use
128-bit vector loads). ``LaunchPlan``s (``kiln.lowering.cuda.gpu_launch_plan``)
say which kernels to launch with which buffers.

Without a driver every entry point raises ``KilnError('no CUDA driver found: ...')``.
"""

from __future__ import annotations

import ctypes
from functools import lru_cache

from kiln.errors import KilnError

ALIGNMENT = 16
LIBCUDA = "libcuda.so.1"
CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75
CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76

_c = ctypes
# Driver API signatures: name -> argument types (every function returns CUresult, an int).
_SIGNATURES = {
    "cuInit": [_c.c_uint],
    "cuGetErrorName": [_c.c_int, _c.POINTER(_c.c_char_p)],
    "cuGetErrorString": [_c.c_int, _c.POINTER(_c.c_char_p)],
    "cuDeviceGetCount": [_c.POINTER(_c.c_int)],
    "cuDeviceGet": [_c.POINTER(_c.c_int), _c.c_int],
    "cuDeviceGetAttribute": [_c.POINTER(_c.c_int), _c.c_int, _c.c_int],
    "cuDevicePrimaryCtxRetain": [_c.POINTER(_c.c_void_p), _c.c_int],
    "cuCtxSetCurrent": [_c.c_void_p],
    "cuCtxSynchronize": [],
    "cuModuleLoadData": [_c.POINTER(_c.c_void_p), _c.c_void_p],
    "cuModuleGetFunction": [_c.POINTER(_c.c_void_p), _c.c_void_p, _c.c_char_p],
    "cuLaunchKernel": [_c.c_void_p]
    + [_c.c_uint] * 7
    + [_c.c_void_p, _c.POINTER(_c.c_void_p), _c.POINTER(_c.c_void_p)],
    "cuMemAlloc_v2": [_c.POINTER(_c.c_uint64), _c.c_size_t],
    "cuMemFree_v2": [_c.c_uint64],
    "cuMemcpyHtoD_v2": [_c.c_uint64, _c.c_void_p, _c.c_size_t],
    "cuMemcpyDtoH_v2": [_c.c_void_p, _c.c_uint64, _c.c_size_t],
    "cuMemcpyDtoDAsync_v2": [_c.c_uint64, _c.c_uint64, _c.c_size_t, _c.c_void_p],
    "cuStreamSynchronize": [_c.c_void_p],
    # CUDA 12+ (TMA, large dynamic shared memory); optional: older drivers lack them.
    "cuTensorMapEncodeTiled": [_c.c_void_p, _c.c_int, _c.c_uint, _c.c_void_p]
    + [_c.POINTER(_c.c_uint64)] * 2
    + [_c.POINTER(_c.c_uint32)] * 2
    + [_c.c_int] * 4,
    "cuFuncSetAttribute": [_c.c_void_p, _c.c_int, _c.c_int],
}
_OPTIONAL = {"cuTensorMapEncodeTiled", "cuFuncSetAttribute"}
CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8
DEFAULT_SHARED_LIMIT = 48 * 1024  # dynamic shared memory a kernel gets without opting in
TENSOR_MAP_BYTES, TENSOR_MAP_ALIGN = 128, 64  # sizeof / alignof(CUtensorMap)
# MLIR element type -> CUtensorMapDataType.
_TENSOR_MAP_DTYPES = {
    "i8": 0,
    "i16": 1,
    "i32": 3,
    "i64": 5,
    "f16": 6,
    "f32": 7,
    "f64": 8,
    "bf16": 9,
}


class CudaDriverError(KilnError):
    """A CUDA driver API call failed; the message names the call and the CUDA error."""


def c_ptr(address: int) -> ctypes.c_void_p:
    """A device address as a kernel argument (the bare-pointer ABI: one .u64 per buffer)."""
    return ctypes.c_void_p(address)


class CudaDriver:
    """The driver API functions kiln uses, typed, each checked for errors."""

    def __init__(self, lib: ctypes.CDLL):
        self.lib = lib
        for name, argtypes in _SIGNATURES.items():
            if name in _OPTIONAL and not hasattr(lib, name):
                continue
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = argtypes, ctypes.c_int

    @classmethod
    def load(cls) -> CudaDriver:
        """Loads libcuda.so.1, runs ``cuInit``; else KilnError('no CUDA driver found: ...')."""
        try:
            lib = ctypes.CDLL(LIBCUDA)
        except OSError as err:
            raise KilnError(
                f"no CUDA driver found: cannot load {LIBCUDA} ({err}). "
                "Running kernels needs an NVIDIA GPU and its driver; "
                "compiling to PTX/cubin does not."
            ) from None
        try:
            drv = cls(lib)
        except AttributeError as err:
            raise KilnError(
                f"no CUDA driver found: {LIBCUDA} lacks a driver API function ({err})"
            ) from None
        result = lib.cuInit(0)
        if result != 0:
            raise KilnError(f"no CUDA driver found: cuInit failed with {drv.error_text(result)}")
        return drv

    def error_text(self, result: int) -> str:
        """``CUDA_ERROR_NAME: description`` for a CUresult."""
        name, text = ctypes.c_char_p(), ctypes.c_char_p()
        self.lib.cuGetErrorName(result, ctypes.byref(name))
        self.lib.cuGetErrorString(result, ctypes.byref(text))
        decode = lambda p: p.value.decode() if p.value else "?"  # noqa: E731
        return f"{decode(name)} ({result}): {decode(text)}"

    def call(self, name: str, *args) -> None:
        """Calls driver function ``name``; raises CudaDriverError on failure."""
        if name in _OPTIONAL and not hasattr(self.lib, name):
            raise CudaDriverError(f"this CUDA driver has no {name} (it needs CUDA 12 or newer)")
        result = getattr(self.lib, name)(*args)
        if result != 0:
            raise CudaDriverError(f"{name} failed: {self.error_text(result)}")

    def device_count(self) -> int:
        count = ctypes.c_int()
        self.call("cuDeviceGetCount", ctypes.byref(count))
        return count.value

    def device(self, ordinal: int) -> int:
        handle = ctypes.c_int()
        self.call("cuDeviceGet", ctypes.byref(handle), ordinal)
        return handle.value

    def compute_capability(self, device: int) -> tuple[int, int]:
        major, minor = ctypes.c_int(), ctypes.c_int()
        self.call(
            "cuDeviceGetAttribute",
            ctypes.byref(major),
            CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
            device,
        )
        self.call(
            "cuDeviceGetAttribute",
            ctypes.byref(minor),
            CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
            device,
        )
        return major.value, minor.value

    def retain_primary_context(self, device: int) -> int:
        context = ctypes.c_void_p()
        self.call("cuDevicePrimaryCtxRetain", ctypes.byref(context), device)
        return context.value

    def set_current(self, context: int) -> None:
        self.call("cuCtxSetCurrent", ctypes.c_void_p(context))

    def ctx_synchronize(self) -> None:
        self.call("cuCtxSynchronize")

    def stream_synchronize(self, stream: int) -> None:
        self.call("cuStreamSynchronize", ctypes.c_void_p(stream))

    def module_load_data(self, image: bytes) -> int:
        module = ctypes.c_void_p()
        buffer = ctypes.create_string_buffer(image, len(image))
        self.call("cuModuleLoadData", ctypes.byref(module), ctypes.cast(buffer, ctypes.c_void_p))
        return module.value

    def module_get_function(self, module: int, name: str) -> int:
        function = ctypes.c_void_p()
        self.call(
            "cuModuleGetFunction", ctypes.byref(function), ctypes.c_void_p(module), name.encode()
        )
        return function.value

    def launch_kernel(
        self, function: int, grid, block, shared_bytes: int, stream: int, params
    ) -> None:
        self.call(
            "cuLaunchKernel",
            ctypes.c_void_p(function),
            *[int(g) for g in grid],
            *[int(b) for b in block],
            shared_bytes,
            ctypes.c_void_p(stream),
            ctypes.cast(params, ctypes.POINTER(ctypes.c_void_p)),
            None,
        )

    def set_max_dynamic_shared(self, function: int, nbytes: int) -> None:
        self.call(
            "cuFuncSetAttribute",
            ctypes.c_void_p(function),
            CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
            nbytes,
        )

    def tensor_map_encode_tiled(self, spec, address: int) -> bytes:
        """The 128-byte ``CUtensorMap`` of a ``gpu_launch_plan.TensorMap`` over ``address``.

        CUDA counts dims innermost first; the spec lists them row-major.
        """
        from kiln.lowering.cuda.gpu_launch_plan import element_size  # the spec's own module

        rank, elt = len(spec.shape), element_size(spec.dtype)
        dims = (ctypes.c_uint64 * rank)(*reversed(spec.shape))
        strides, stride = [], elt  # bytes between steps of each dim but the innermost
        for extent in reversed(spec.shape[1:]):
            stride *= extent
            strides.append(stride)
        strides = (ctypes.c_uint64 * max(1, rank - 1))(*strides)
        box = (ctypes.c_uint32 * rank)(*reversed(spec.box))
        steps = (ctypes.c_uint32 * rank)(*([1] * rank))
        storage = ctypes.create_string_buffer(TENSOR_MAP_BYTES + TENSOR_MAP_ALIGN)
        aligned = -(-ctypes.addressof(storage) // TENSOR_MAP_ALIGN) * TENSOR_MAP_ALIGN
        self.call(
            "cuTensorMapEncodeTiled",
            ctypes.c_void_p(aligned),
            _TENSOR_MAP_DTYPES[spec.dtype],
            rank,
            ctypes.c_void_p(address),
            dims,
            strides,
            box,
            steps,
            spec.interleave,
            spec.swizzle,
            spec.l2promo,
            spec.oob,
        )
        return ctypes.string_at(aligned, TENSOR_MAP_BYTES)

    def mem_alloc(self, nbytes: int) -> int:
        ptr = ctypes.c_uint64()
        self.call("cuMemAlloc_v2", ctypes.byref(ptr), nbytes)
        return ptr.value

    def mem_free(self, ptr: int) -> None:
        self.call("cuMemFree_v2", ctypes.c_uint64(ptr))

    def memcpy_htod(self, ptr: int, data, nbytes: int) -> None:
        source = (ctypes.c_char * nbytes).from_buffer_copy(bytes(data)[:nbytes])
        self.call(
            "cuMemcpyHtoD_v2", ctypes.c_uint64(ptr), ctypes.cast(source, ctypes.c_void_p), nbytes
        )

    def memcpy_dtoh(self, ptr: int, nbytes: int) -> bytes:
        target = ctypes.create_string_buffer(nbytes)
        self.call(
            "cuMemcpyDtoH_v2", ctypes.cast(target, ctypes.c_void_p), ctypes.c_uint64(ptr), nbytes
        )
        return target.raw

    def memcpy_dtod_async(self, dst: int, src: int, nbytes: int, stream: int) -> None:
        self.call(
            "cuMemcpyDtoDAsync_v2",
            ctypes.c_uint64(dst),
            ctypes.c_uint64(src),
            nbytes,
            ctypes.c_void_p(stream),
        )


@lru_cache(maxsize=1)
def driver() -> CudaDriver:
    """The CUDA driver, initialized (``cuInit``); raises KilnError when there is none."""
    return CudaDriver.load()


def available() -> bool:
    """True when a CUDA driver and at least one device are usable."""
    try:
        return driver().device_count() > 0
    except KilnError:
        return False


def device_chip(ordinal: int = 0) -> str:
    """The ``sm_XX`` chip of GPU ``ordinal`` for kiln's cuda pipeline.

    Compute capability 9.0 gives ``sm_90a``: the architecture-specific
    features (wgmma, used by kiln's f16 matmuls) only exist in PTX for
    ``sm_90a``, and a cubin for it runs on exactly that GPU, which this is.
    """
    major, minor = CudaDevice(ordinal).compute_capability()
    return f"sm_{major}{minor}" + ("a" if (major, minor) == (9, 0) else "")


class DeviceBuffer:
    """``nbytes`` of device memory (``cuMemAlloc``), freed when collected or ``free``d."""

    def __init__(self, device: CudaDevice, nbytes: int):
        self.device = device
        self.nbytes = nbytes
        self.ptr = device.alloc(max(nbytes, 1))

    def data_ptr(self) -> int:
        """The device address (same spelling as torch.Tensor)."""
        return self.ptr

    def upload(self, data: bytes | memoryview) -> None:
        """Copies host bytes into the buffer (synchronous)."""
        self.device.copy_to_device(self.ptr, data, self.nbytes)

    def download(self) -> bytes:
        """The buffer's bytes (synchronous)."""
        return self.device.copy_from_device(self.ptr, self.nbytes)

    def free(self) -> None:
        """Releases the memory now."""
        if self.ptr:
            self.device.free(self.ptr)
            self.ptr = 0

    def __del__(self):
        try:
            self.free()
        except Exception:  # the driver may already be gone at interpreter exit
            pass


class CudaDevice:
    """One GPU through its primary context (shared with PyTorch)."""

    def __init__(self, ordinal: int = 0):
        self.driver = driver()
        count = self.driver.device_count()
        if not 0 <= ordinal < count:
            raise KilnError(f"no CUDA device {ordinal}: the driver sees {count} device(s)")
        self.ordinal = ordinal
        self.handle = self.driver.device(ordinal)
        self.context = self.driver.retain_primary_context(self.handle)

    @property
    def compute_capability(self) -> tuple[int, int]:
        """(major, minor), e.g. (9, 0) for an H100."""
        return self.driver.compute_capability(self.handle)

    def activate(self) -> None:
        """Makes this device's primary context current on the calling thread."""
        self.driver.set_current(self.context)

    def alloc(self, nbytes: int) -> int:
        self.activate()
        return self.driver.mem_alloc(nbytes)

    def free(self, ptr: int) -> None:
        self.activate()
        self.driver.mem_free(ptr)

    def copy_to_device(self, ptr: int, data, nbytes: int) -> None:
        self.activate()
        self.driver.memcpy_htod(ptr, data, nbytes)

    def copy_from_device(self, ptr: int, nbytes: int) -> bytes:
        self.activate()
        return self.driver.memcpy_dtoh(ptr, nbytes)

    def synchronize(self) -> None:
        """Waits for all work on the device's context."""
        self.activate()
        self.driver.ctx_synchronize()


class CudaModule:
    """A loaded cubin (or PTX, JIT-compiled by the driver) and its kernels by name."""

    def __init__(self, device: CudaDevice, image: bytes | str):
        self.device = device
        data = image.encode() + b"\0" if isinstance(image, str) else image
        device.activate()
        self.handle = device.driver.module_load_data(data)
        self._functions: dict[str, int] = {}
        self._shared_opt_in: dict[str, int] = {}

    def function(self, name: str) -> int:
        """The ``CUfunction`` of kernel ``name`` (a PTX ``.entry``)."""
        if name not in self._functions:
            self.device.activate()
            self._functions[name] = self.device.driver.module_get_function(self.handle, name)
        return self._functions[name]

    def launch(self, name: str, grid, block, args, shared_bytes: int = 0, stream: int = 0) -> None:
        """Launches kernel ``name``; ``args`` are device addresses (ints) or ctypes scalars."""
        storage = [arg if isinstance(arg, ctypes._SimpleCData) else c_ptr(arg) for arg in args]
        params = (ctypes.c_void_p * len(storage))(*[ctypes.addressof(s) for s in storage])
        self.device.activate()
        function = self.function(name)
        if shared_bytes > max(DEFAULT_SHARED_LIMIT, self._shared_opt_in.get(name, 0)):
            self.device.driver.set_max_dynamic_shared(function, shared_bytes)
            self._shared_opt_in[name] = shared_bytes
        self.device.driver.launch_kernel(function, grid, block, shared_bytes, stream, params)


def check_aligned(ptr: int, what: str) -> None:
    """Raises KilnError unless ``ptr`` is 16-byte aligned (kernels use 128-bit accesses)."""
    if ptr % ALIGNMENT:
        raise KilnError(
            f"{what} is not {ALIGNMENT}-byte aligned (address {ptr:#x}): "
            "pass a fresh contiguous tensor"
        )
