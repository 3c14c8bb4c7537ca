"""The weights object kiln links into a library (``kiln.aot.weights_object``): each constant
a hidden, 64-byte aligned symbol with its bytes, written once without an assembler."""

from __future__ import annotations

import ctypes
import subprocess

import numpy as np
import pytest

from kiln.aot.weights_object import write_weights_object
from kiln.runtime.elf import read_elf

CONSTANTS = {
    "__constant_10xf32": np.arange(10, dtype=np.float32),
    "__constant_7x1xi64": np.arange(7, dtype=np.int64).reshape(7, 1)[::-1],  # not contiguous
    "__constant_3xbf16": np.array([0x3F80, 0x4000, 0xFFFF], dtype=np.uint16),  # odd size
}

ACCESSORS = "\n".join(
    f"extern const char {name}[];\nconst void *get{i}(void) {{ return {name}; }}"
    for i, name in enumerate(CONSTANTS)
)


def test_linked_symbols_hold_the_bytes_aligned(tmp_path):
    """Linked into a shared library, each symbol holds its array's bytes at a 64-byte boundary."""
    weights = write_weights_object(CONSTANTS, "x86_64", tmp_path / "weights.o")
    source = tmp_path / "access.c"
    source.write_text(ACCESSORS + "\n")
    library = tmp_path / "access.so"
    command = ["cc", "-shared", "-fPIC", "-o", str(library), str(source), str(weights)]
    command += ["-Wl,--no-undefined", "-Wl,-z,noexecstack"]
    subprocess.run(command, check=True, capture_output=True, text=True)
    loaded = ctypes.CDLL(str(library))
    for i, array in enumerate(CONSTANTS.values()):
        getter = getattr(loaded, f"get{i}")
        getter.restype = ctypes.c_void_p
        address = getter()
        assert address % 64 == 0
        assert ctypes.string_at(address, array.nbytes) == np.ascontiguousarray(array).tobytes()


def test_symbols_are_hidden_objects_of_their_size(tmp_path):
    weights = write_weights_object(CONSTANTS, "x86_64", tmp_path / "weights.o")
    table = subprocess.run(["readelf", "-sW", str(weights)], capture_output=True, text=True)
    rows = {
        line.split()[-1]: line.split() for line in table.stdout.splitlines() if "OBJECT" in line
    }
    for name, array in CONSTANTS.items():
        assert rows[name][2:6] == [str(array.nbytes), "OBJECT", "GLOBAL", "HIDDEN"], rows[name]


def test_machine_of_a_cross_target(tmp_path):
    """An aarch64 library's weights are an aarch64 object (the linker refuses a mismatch)."""
    elf = read_elf(str(write_weights_object(CONSTANTS, "aarch64", tmp_path / "weights.o")))
    assert elf.machine == "aarch64"
    assert ".rodata.kiln_weights" in elf.sections and ".note.GNU-stack" in elf.sections


def test_unknown_machine_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no ELF machine code for 'riscv64'"):
        write_weights_object(CONSTANTS, "riscv64", tmp_path / "weights.o")
