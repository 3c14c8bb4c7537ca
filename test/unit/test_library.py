"""The pieces of kiln libraries that need no compiler run: C spellings, the header (checked by
the C compiler), the recorded description, the ELF reader and the load-time checks."""

from __future__ import annotations

import subprocess

import pytest

from kiln.aot.ctext import c_identifier, c_string
from kiln.aot.header import header_text
from kiln.aot.target import X86_LEVELS, codegen_target
from kiln.errors import LibraryError
from kiln.runtime.elf import ELFError, read_elf
from kiln.runtime.library import LibraryInfo, check_runnable
from kiln.runtime.signature import TensorSpec

INFO = LibraryInfo(
    prefix="resnet",
    entry="forward",
    inputs=(TensorSpec((1, 3, 8, 8), "float32"), TensorSpec((), "int64")),
    outputs=(TensorSpec((1, 10), "float32"),),
    threads=2,
    openmp=True,
    machine="x86_64",
    triple="x86_64-unknown-linux-gnu",
    cpu="x86-64-v3",
    features=X86_LEVELS[8][1],
    fingerprint=0x0123456789ABCDEF,
    kiln_version="0.1.0",
)


@pytest.mark.parametrize(
    ("name", "ident"),
    [("ResNet18", "resnet18"), ("my-model.v2", "my_model_v2"), ("3d", "model_3d")]
    + [("main", "model_main"), ("int", "model_int"), ("", "model"), ("__", "model")],
)
def test_c_identifier(name, ident):
    assert c_identifier(name) == ident


def test_c_string_escapes_what_c_would_misread():
    assert c_string('say "hi" \\ ok?') == '"say \\"hi\\" \\\\ ok\\?"'
    assert c_string("a\nb\té") == '"a\\012b\\011\\303\\251"'


def test_info_round_trips_through_json():
    assert LibraryInfo.from_json(INFO.to_json()) == INFO
    assert INFO.signature.inputs[1].shape == ()


@pytest.mark.parametrize("file_name", ["resnet.so", "model.so"])
def test_header_is_valid_c_and_names_follow_the_file(tmp_path, file_name):
    """Names come from the file (model.so -> model_run) and call the library's symbols."""
    text = header_text(INFO, file_name)
    stem = file_name.removesuffix(".so")
    assert f"static inline int {stem}_run(" in text
    assert "return resnet_run_v1(" in text
    assert f"#define {stem.upper()}_FINGERPRINT 0x0123456789abcdefULL" in text
    assert f"static const int64_t {stem.upper()}_INPUT0_SHAPE[4] = {{1, 3, 8, 8}};" in text
    assert f"{stem.upper()}_INPUT1_SHAPE" not in text  # a scalar: no empty C array
    (tmp_path / f"{stem}.h").write_text(text)
    use = tmp_path / "use.c"
    use.write_text(
        f'#include "{stem}.h"\n'
        f"int f(const void *const *i, void *const *o) {{ return {stem}_run(i, o) "
        f"+ {stem.upper()}_INPUT_BYTES[0] + {stem}_last_error()[0] + {stem}_set_threads(1); }}\n"
    )
    result = subprocess.run(
        ["cc", "-std=c99", "-Wall", "-Werror", "-c", str(use), "-o", str(tmp_path / "use.o")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_check_runnable_names_what_is_wrong():
    flags = frozenset(INFO.features)
    check_runnable(INFO, "m.so", "x86_64", flags)  # fine here
    with pytest.raises(LibraryError, match=r"built for aarch64 \(aarch64-unknown-linux-gnu\); "):
        aarch64 = LibraryInfo.from_json(
            INFO.to_json()
            .replace('"x86_64"', '"aarch64"')
            .replace("x86_64-unknown", "aarch64-unknown")
        )
        check_runnable(aarch64, "m.so", "x86_64", flags)
    with pytest.raises(
        LibraryError, match="built for x86-64-v3 CPUs, and this CPU lacks avx2, fma"
    ):
        check_runnable(INFO, "m.so", "x86_64", flags - {"avx2", "fma"})
    newer = LibraryInfo.from_json(INFO.to_json().replace('"abi": 1', '"abi": 2'))
    with pytest.raises(LibraryError, match=r"built by a newer kiln \(library ABI v2"):
        check_runnable(newer, "m.so", "x86_64", flags)


def test_codegen_targets():
    assert codegen_target(16, "x86_64-linux-gnu").cpu == "x86-64-v4"
    arm = codegen_target(4, "aarch64-linux-gnu")
    assert (arm.machine, arm.attributes, arm.features) == ("aarch64", "+neon", ("asimd",))
    with pytest.raises(ValueError, match="aarch64 has 128-bit NEON vectors"):
        codegen_target(8, "aarch64-linux-gnu")
    with pytest.raises(ValueError, match="kiln cannot build libraries for 'riscv64-linux-gnu'"):
        codegen_target(4, "riscv64-linux-gnu")


def test_tuning_changes_costs_not_the_instruction_set():
    from kiln.aot.codegen import _tune_functions
    from kiln.ir import ir, llvm

    tuned = codegen_target(16, "x86_64-linux-gnu", tune="znver4")
    assert (tuned.cpu, tuned.tune) == ("x86-64-v4", "znver4")
    assert codegen_target(16, "x86_64-linux-gnu").tune == ""
    module = ir.Module.parse(
        "llvm.func @declared(f32) -> f32\nllvm.func @f(%a: f32) -> f32 { llvm.return %a : f32 }",
        ir.Context(),
    )
    _tune_functions(module, "znver4")
    text = llvm.translate_module_to_llvmir(module.operation)
    assert '"tune-cpu"="znver4"' in text and "target-cpu" not in text
    assert "declare float @declared(float)\n" in text  # declarations are left alone


def test_elf_reader_rejects_what_is_not_a_library(tmp_path):
    text = tmp_path / "model.so"
    text.write_text("not a library")
    with pytest.raises(ELFError, match="is not an ELF shared library"):
        read_elf(str(text))
    libc = subprocess.run(["cc", "-print-file-name=libc.so.6"], capture_output=True, text=True)
    elf = read_elf(libc.stdout.strip())
    assert elf.machine in ("x86_64", "aarch64") and ".dynsym" in elf.sections
    truncated = tmp_path / "truncated.so"
    truncated.write_bytes(open(libc.stdout.strip(), "rb").read()[:4096])
    with pytest.raises(ELFError, match="truncated"):
        read_elf(str(truncated))
