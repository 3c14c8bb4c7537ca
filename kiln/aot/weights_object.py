"""A library's weights as an ELF relocatable object, written straight from their arrays.

Each constant becomes a hidden, 64-byte aligned object symbol in one read-only
section (``.rodata.kiln_weights``) that the linker places like any other. Why
not an assembler file that ``.incbin``-s each constant's bytes: that wrote the
weights to disk, then the assembler read them back and wrote them again; at
838 MB (llama in the real-model tier) those two copies cost several seconds
before the link's own. Here the bytes are written once.

Pre: little-endian 64-bit ELF targets (x86_64, aarch64); names are symbol names.
Post: an object defining every name (``STB_GLOBAL``, ``STV_HIDDEN``,
``STT_OBJECT``, its size), with a ``.note.GNU-stack`` section (no executable stack).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from kiln.runtime.elf import MACHINES

ALIGNMENT = 64
SECTION = b".rodata.kiln_weights"
LARGE_SECTION = b".lrodata.kiln_weights"
# Section indices, in the order the headers are written.
_NULL, _DATA, _STACK, _SYMTAB, _STRTAB, _SHSTRTAB = range(6)
_SHT_PROGBITS, _SHT_SYMTAB, _SHT_STRTAB = 1, 2, 3
_SHF_ALLOC = 2
_SHF_X86_64_LARGE = 0x10000000
_SYMBOL = (1 << 4) | 1  # STB_GLOBAL, STT_OBJECT
_STV_HIDDEN = 2


def write_weights_object(
    constants: dict[str, np.ndarray], machine: str, path: Path, large: bool = False
) -> Path:
    """Writes ``constants`` (name -> array, any dtype) to ``path``; returns ``path``.

    ``large`` (x86-64): the section is ``.lrodata.kiln_weights``, flagged
    ``SHF_X86_64_LARGE``, which the linker places after every small section, so that
    the small code model's 32-bit offsets (libc's, the wrapper's) still reach theirs
    past gigabytes of weights (``kiln.aot.codegen.LARGE_DATA_BYTES``)."""
    codes = {name: code for code, name in MACHINES.items()}
    if machine not in codes:
        raise ValueError(f"kiln: no ELF machine code for {machine!r} (known: {sorted(codes)})")
    names = sorted(constants)
    offsets, size = _layout([constants[n].nbytes for n in names])
    strtab, name_at = _string_table([n.encode() for n in names])
    symtab = b"\0" * 24 + b"".join(
        struct.pack(
            "<IBBHQQ", name_at[i], _SYMBOL, _STV_HIDDEN, _DATA, offsets[i], constants[n].nbytes
        )
        for i, n in enumerate(names)
    )
    section, flags = (
        (LARGE_SECTION, _SHF_ALLOC | _SHF_X86_64_LARGE) if large else (SECTION, _SHF_ALLOC)
    )
    shstrtab, section_at = _string_table([section, b".note.GNU-stack", b".symtab", b".strtab"])
    shstrtab_name = len(shstrtab)
    shstrtab += b".shstrtab\0"
    data_offset = ALIGNMENT  # after the 64-byte ELF header
    tail = data_offset + size
    symtab_offset = _round_up(tail, 8)
    strtab_offset = symtab_offset + len(symtab)
    shstrtab_offset = strtab_offset + len(strtab)
    headers_offset = _round_up(shstrtab_offset + len(shstrtab), 8)
    sections = [
        bytes(64),
        _section(section_at[0], _SHT_PROGBITS, flags, data_offset, size, 0, 0, ALIGNMENT, 0),
        _section(section_at[1], _SHT_PROGBITS, 0, tail, 0, 0, 0, 1, 0),
        _section(section_at[2], _SHT_SYMTAB, 0, symtab_offset, len(symtab), _STRTAB, 1, 8, 24),
        _section(section_at[3], _SHT_STRTAB, 0, strtab_offset, len(strtab), 0, 0, 1, 0),
        _section(shstrtab_name, _SHT_STRTAB, 0, shstrtab_offset, len(shstrtab), 0, 0, 1, 0),
    ]
    with open(path, "wb") as f:
        f.write(_elf_header(codes[machine], headers_offset, len(sections)))
        for name, offset in zip(names, offsets, strict=True):
            f.seek(data_offset + offset)
            f.write(memoryview(np.ascontiguousarray(constants[name])).cast("B"))
        f.seek(symtab_offset)
        f.write(symtab + strtab + shstrtab)
        f.seek(headers_offset)
        f.write(b"".join(sections))
    return path


def _layout(sizes: list[int]) -> tuple[list[int], int]:
    """Each blob's offset (``ALIGNMENT``-aligned) and the section's size."""
    offsets, end = [], 0
    for size in sizes:
        start = _round_up(end, ALIGNMENT)
        offsets.append(start)
        end = start + size
    return offsets, end


def _string_table(strings: list[bytes]) -> tuple[bytes, list[int]]:
    """An ELF string table (a leading NUL, each string NUL-terminated) and each one's offset."""
    table, at = b"\0", []
    for s in strings:
        at.append(len(table))
        table += s + b"\0"
    return table, at


def _section(name, kind, flags, offset, size, link, info, align, entsize) -> bytes:
    return struct.pack(
        "<IIQQQQIIQQ", name, kind, flags, 0, offset, size, link, info, align, entsize
    )


def _elf_header(machine: int, headers_offset: int, count: int) -> bytes:
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)  # 64-bit, little-endian, version 1
    return ident + struct.pack(
        "<HHIQQQIHHHHHH", 1, machine, 1, 0, 0, headers_offset, 0, 64, 0, 0, 64, count, _SHSTRTAB
    )


def _round_up(value: int, alignment: int) -> int:
    return -(-value // alignment) * alignment
