"""kiln.runtime.cuda_driver / cuda_program without a GPU: the no-driver error; launch marshalling against a fake driver.

``FakeCuda`` stands in for libcuda.so.1: device memory is host memory it
allocates, kernels are recorded (with their decoded pointer arguments), not
run. That checks what a GPU would see: which kernels, in which order, with
which grid, block and buffers, and that the argument count matches each
PTX ``.entry``.
"""

from __future__ import annotations

import ctypes
import re

import numpy as np
import pytest
from kiln.lowering.cuda.gpu_launch_plan import Launch
from kiln.lowering.cuda.pipeline import CudaTarget, compile_cuda

from kiln.errors import KilnError
from kiln.ir import new_context, parse_module
from kiln.runtime import cuda_driver as cuda
from kiln.runtime.cuda_program import CudaProgram

SOFTMAX_LIKE = """
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d0, 0)>
func.func @normalize(%x: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %zero = arith.constant 0.0 : f32
  %0 = tensor.empty() : tensor<64x1xf32>
  %1 = linalg.fill ins(%zero : f32) outs(%0 : tensor<64x1xf32>) -> tensor<64x1xf32>
  %sum = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<64x128xf32>) outs(%1 : tensor<64x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<64x1xf32>
  %e = tensor.empty() : tensor<64x128xf32>
  %r = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum : tensor<64x128xf32>, tensor<64x1xf32>) outs(%e : tensor<64x128xf32>) {
  ^bb0(%in: f32, %s: f32, %out: f32):
    %q = arith.divf %in, %s : f32
    linalg.yield %q : f32
  } -> tensor<64x128xf32>
  return %r : tensor<64x128xf32>
}
"""


def _value(x):
    return getattr(x, "value", x)


class FakeCuda:
    """A libcuda.so.1 look-alike (see module docstring); ``init_result`` is what cuInit returns."""

    def __init__(self, param_counts: dict[str, int], init_result: int = 0):
        self.param_counts = param_counts
        self.init_result = init_result
        self.buffers: dict[int, ctypes.Array] = {}
        self.allocated: set[int] = set()  # every address ever handed out
        self.functions: dict[int, str] = {}
        self.launches: list[tuple] = []
        self.images: list[bytes] = []
        self.tensor_maps: list[dict] = []
        self.attributes: list[tuple] = []
        for name in cuda._SIGNATURES:
            setattr(self, name, self._wrap(getattr(self, "_" + name, self._ok)))

    @staticmethod
    def _wrap(method):
        return lambda *args: method(*args)  # a plain function: ctypes attributes can be set on it

    def _ok(self, *args):
        return 0

    def _cuInit(self, flags):
        return self.init_result

    def _cuGetErrorName(self, result, out):
        out._obj.value = b"CUDA_ERROR_NO_DEVICE" if result == 100 else b"CUDA_ERROR_UNKNOWN"
        return 0

    def _cuGetErrorString(self, result, out):
        out._obj.value = b"no CUDA-capable device is detected"
        return 0

    def _cuDeviceGetCount(self, out):
        out._obj.value = 1
        return 0

    def _cuDevicePrimaryCtxRetain(self, out, device):
        out._obj.value = 0xC0
        return 0

    def _cuMemAlloc_v2(self, out, nbytes):
        buffer = ctypes.create_string_buffer(_value(nbytes))
        out._obj.value = ctypes.addressof(buffer)
        self.buffers[out._obj.value] = buffer
        self.allocated.add(out._obj.value)
        return 0

    def _cuMemFree_v2(self, ptr):
        self.buffers.pop(_value(ptr))
        return 0

    def _cuMemcpyHtoD_v2(self, dst, src, nbytes):
        ctypes.memmove(_value(dst), _value(src), _value(nbytes))
        return 0

    def _cuMemcpyDtoH_v2(self, dst, src, nbytes):
        ctypes.memmove(_value(dst), _value(src), _value(nbytes))
        return 0

    def _cuMemcpyDtoDAsync_v2(self, dst, src, nbytes, stream):
        ctypes.memmove(_value(dst), _value(src), _value(nbytes))
        return 0

    def _cuModuleLoadData(self, out, image):
        self.images.append(ctypes.string_at(_value(image), 4))
        out._obj.value = 0x111
        return 0

    def _cuModuleGetFunction(self, out, module, name):
        handle = 0x1000 + len(self.functions)
        self.functions[handle] = name.decode()
        out._obj.value = handle
        return 0

    def _cuLaunchKernel(self, function, gx, gy, gz, bx, by, bz, shared, stream, params, extra):
        name = self.functions[_value(function)]
        args = [self._param(params[i], kind) for i, kind in enumerate(self.param_counts[name])]
        self.launches.append(
            (name, (gx, gy, gz), (bx, by, bz), _value(shared), _value(stream) or 0, args)
        )
        return 0

    def _cuTensorMapEncodeTiled(self, out, dtype, rank, address, dims, strides, box, steps, *modes):
        rank = _value(rank)
        self.tensor_maps.append(
            {
                "dtype": _value(dtype),
                "address": _value(address),
                "dims": list(dims[:rank]),
                "strides": list(strides[: rank - 1]),
                "box": list(box[:rank]),
                "steps": list(steps[:rank]),
                "modes": [_value(m) for m in modes],  # interleave, swizzle, l2promo, oob
                "aligned": _value(out) % 64 == 0,
            }
        )
        ctypes.memset(_value(out), 0xAB, 128)
        return 0

    def _cuFuncSetAttribute(self, function, attribute, value):
        self.attributes.append((self.functions[_value(function)], _value(attribute), _value(value)))
        return 0

    @staticmethod
    def _param(address: int, kind: str):
        """A kernel parameter read like the GPU would: a .u64 pointer or an .s64/.f32 scalar."""
        ctype = {"ptr": ctypes.c_void_p, "s64": ctypes.c_int64, "f32": ctypes.c_float}[kind]
        return ctype.from_address(address).value


def ptx_param_counts(ptx: str) -> dict[str, list[str]]:
    """Kernel name -> the kind of each parameter (every kiln kernel takes pointers)."""
    entries = re.findall(r"\.visible \.entry (\w+)\(\n(.*?)\n\)", ptx, re.S)
    return {name: ["ptr"] * params.count(".param") for name, params in entries}


@pytest.fixture
def compiled():
    module = parse_module(SOFTMAX_LIKE, new_context())
    return compile_cuda(module, CudaTarget(chip="sm_80"))


@pytest.fixture
def fake_driver(monkeypatch, compiled):
    """Installs a FakeCuda as libcuda.so.1 for kiln.runtime.cuda_driver."""
    fake = FakeCuda(ptx_param_counts(compiled.binary.ptx))
    real_cdll = ctypes.CDLL
    monkeypatch.setattr(
        cuda.ctypes, "CDLL", lambda name, *a, **k: fake if name == cuda.LIBCUDA else real_cdll(name)
    )
    cuda.driver.cache_clear()
    yield fake
    cuda.driver.cache_clear()


@pytest.fixture
def no_driver(monkeypatch):
    def missing(name, *args, **kwargs):
        raise OSError(f"{name}: cannot open shared object file: No such file or directory")

    monkeypatch.setattr(cuda.ctypes, "CDLL", missing)
    cuda.driver.cache_clear()
    yield
    cuda.driver.cache_clear()


def test_no_driver_is_a_clear_kiln_error(no_driver, compiled):
    with pytest.raises(KilnError, match=r"^no CUDA driver found: cannot load libcuda\.so\.1"):
        compiled.load()
    with pytest.raises(KilnError, match="no CUDA driver found"):
        cuda.CudaDevice(0)
    assert cuda.available() is False


def test_no_device_is_a_clear_kiln_error(monkeypatch):
    fake = FakeCuda({}, init_result=100)
    monkeypatch.setattr(cuda.ctypes, "CDLL", lambda name, *a, **k: fake)
    cuda.driver.cache_clear()
    try:
        with pytest.raises(
            KilnError, match="no CUDA driver found: cuInit failed with CUDA_ERROR_NO_DEVICE"
        ):
            cuda.driver()
    finally:
        cuda.driver.cache_clear()


def test_launches_follow_the_plan(fake_driver, compiled):
    program = compiled.load()
    plan = compiled.plans["normalize"]
    x = np.random.default_rng(0).standard_normal((64, 128)).astype(np.float32)
    out = program(x)
    assert isinstance(out, np.ndarray) and out.shape == (64, 128) and out.dtype == np.float32
    # The cubin (ELF) is what the driver loads when ptxas ran, else the PTX text.
    assert fake_driver.images == [compiled.binary.cubin[:4] if compiled.binary.cubin else b"//\n/"]
    launches = [step for step in plan.steps if isinstance(step, Launch)]
    assert [name for name, *_ in fake_driver.launches] == [s.kernel for s in launches]
    inputs, temps = {}, {}
    for (_, grid, block, shared, stream, args), step in zip(
        fake_driver.launches, launches, strict=True
    ):
        assert (grid, block, shared, stream) == (step.grid, step.block, 0, 0)
        assert len(args) == len(step.args)
        for ptr, ref in zip(args, step.args, strict=True):
            assert ptr in fake_driver.allocated and ptr % cuda.ALIGNMENT == 0
            table = inputs if ref.kind == "arg" else temps
            assert table.setdefault((ref.kind, ref.index), ptr) == ptr  # one buffer per reference
    assert len(set(inputs.values()) | set(temps.values())) == len(inputs) + len(temps)
    assert not fake_driver.buffers or set(fake_driver.buffers) == {
        b.data_ptr() for bs in program._constants.values() for b in bs
    }  # per-call buffers are freed; only uploaded constants stay


def test_input_checks(fake_driver, compiled):
    program = compiled.load()
    with pytest.raises(KilnError, match=r"takes 1 input\(s\), got 2"):
        program(np.zeros((64, 128), np.float32), np.zeros(1))
    with pytest.raises(KilnError, match=r"expected shape \(64, 128\)"):
        program(np.zeros((64, 127), np.float32))
    with pytest.raises(KilnError, match="no function 'forward'"):
        program(np.zeros((64, 128), np.float32), function="forward")


def test_torch_cpu_tensor_is_rejected(fake_driver, compiled):
    import torch

    program = compiled.load()
    with pytest.raises(KilnError, match="input 0 must be a CUDA tensor on cuda:0"):
        program(torch.zeros(64, 128))


def test_device_buffers_in_and_out(fake_driver, compiled):
    program = compiled.load()
    x = cuda.DeviceBuffer(program.device, 64 * 128 * 4)
    x.upload(np.ones((64, 128), np.float32).tobytes())
    out = program(x)
    assert isinstance(out, cuda.DeviceBuffer) and out.nbytes == 64 * 128 * 4
    # The output is the last kernel's last argument.
    assert fake_driver.launches[-1][-1][-1] == out.data_ptr()
    assert cuda.available() is True


def test_copies_and_scalar_arguments(monkeypatch):
    """A hand-written plan: a scalar kernel argument, then a device-to-device copy to the output."""
    from kiln.lowering.cuda.gpu_launch_plan import BufferSpec, Copy, LaunchPlan, Ref, Scalar

    fake = FakeCuda({"k": ["ptr", "s64", "f32"]})
    monkeypatch.setattr(cuda.ctypes, "CDLL", lambda name, *a, **k: fake)
    cuda.driver.cache_clear()
    spec = BufferSpec((4, 4), "f32")
    plan = LaunchPlan(
        "f",
        (spec, spec),
        1,
        (spec,),
        (),
        (
            Launch(
                "k", (1, 1, 1), (16, 1, 1), (Ref("temp", 0), Scalar("index", 7), Scalar("f32", 0.5))
            ),
            Copy(Ref("arg", 0), Ref("arg", 1)),
        ),
    )
    try:
        program = CudaProgram(b"\x7fELF....", {"f": plan})
        x = np.arange(16, dtype=np.float32).reshape(4, 4)
        np.testing.assert_array_equal(program(x), x)
        ((name, grid, block, _, _, args),) = fake.launches
        assert (name, grid, block) == ("k", (1, 1, 1), (16, 1, 1))
        assert args[0] in fake.allocated and args[1:] == [7, 0.5]
    finally:
        cuda.driver.cache_clear()


WGMMA_MATMUL = """
func.func @mm(%a: tensor<256x512xf16>, %b: tensor<512x384xf16>) -> tensor<256x384xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<256x384xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<256x384xf32>) -> tensor<256x384xf32>
  %r = linalg.matmul ins(%a, %b : tensor<256x512xf16>, tensor<512x384xf16>)
      outs(%c : tensor<256x384xf32>) -> tensor<256x384xf32>
  return %r : tensor<256x384xf32>
}
"""


def test_wgmma_kernel_gets_tensor_maps_and_large_shared_memory(monkeypatch):
    """sm_90a: the TMA descriptors are encoded over the call's buffers (CUDA's innermost-first
    order, 128-byte swizzle), uploaded, passed as pointers; 99 KB of dynamic shared memory is
    opted into once."""
    compiled = compile_cuda(parse_module(WGMMA_MATMUL, new_context()), CudaTarget(chip="sm_90a"))
    fake = FakeCuda(ptx_param_counts(compiled.binary.ptx))
    monkeypatch.setattr(cuda.ctypes, "CDLL", lambda name, *a, **k: fake)
    cuda.driver.cache_clear()
    try:
        program = compiled.load()
        a = cuda.DeviceBuffer(program.device, 256 * 512 * 2)
        b = cuda.DeviceBuffer(program.device, 512 * 384 * 2)
        for _ in range(2):
            program(a, b)
        ((name, grid, block, shared, _, args), again) = fake.launches
        assert (name, grid, block, shared) == ("mm_kernel", (2, 3, 1), (128, 1, 1), 99328)
        assert fake.attributes == [("mm_kernel", 8, 99328)]  # MAX_DYNAMIC_SHARED_SIZE_BYTES
        tm_a, tm_b = fake.tensor_maps  # encoded once: the second call reuses them
        assert tm_a == {
            "dtype": 6,  # FLOAT16
            "address": a.data_ptr(),
            "dims": [512, 256],
            "strides": [512 * 2],
            "box": [64, 128],
            "steps": [1, 1],
            "modes": [0, 3, 0, 0],  # no interleave, 128-byte swizzle, no L2 promotion, zero fill
            "aligned": True,
        }
        assert tm_b["address"] == b.data_ptr() and tm_b["dims"] == [384, 512]
        assert tm_b["strides"] == [384 * 2] and tm_b["box"] == [64, 64]
        for ptr in args[:2]:  # each descriptor: 128 device bytes holding what the driver encoded
            assert ctypes.string_at(ptr, 128) == b"\xab" * 128
        assert again[-1][:2] == args[:2]
    finally:
        cuda.driver.cache_clear()
