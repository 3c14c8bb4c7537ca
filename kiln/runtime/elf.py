"""Reading an ELF shared library's machine and one named section, without loading it.

``kiln.load`` reads a library's metadata (the ``.kiln_meta`` section) before
``dlopen``: a library built for another architecture is then reported by
name instead of failing inside the dynamic loader, and ``kiln-run --info``
can describe a cross-compiled library on the build machine.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

# e_machine values of the architectures kiln targets (ELF specification).
MACHINES = {62: "x86_64", 183: "aarch64"}
_ELF64, _LITTLE = 2, 1


class ELFError(ValueError):
    """The file is not a 64-bit little-endian ELF file, or it is truncated."""


@dataclass(frozen=True)
class ELFFile:
    """A 64-bit little-endian ELF file: its machine and where its named sections lie."""

    path: str
    machine: str
    sections: dict[str, tuple[int, int]]  # name -> (file offset, size)

    def section(self, name: str) -> bytes | None:
        """The bytes of section ``name`` (None if the file has none)."""
        if name not in self.sections:
            return None
        offset, size = self.sections[name]
        with open(self.path, "rb") as f:
            return _read(f, offset, size, self.path)


def read_elf(path: str) -> ELFFile:
    """Reads ``path``'s ELF header and section table; ELFError if it is not such a file."""
    with open(path, "rb") as f:
        header = f.read(64)
        if header[:4] != b"\x7fELF":
            raise ELFError(f"{path} is not an ELF shared library")
        if len(header) < 64 or header[4] != _ELF64 or header[5] != _LITTLE:
            raise ELFError(f"{path} is not a 64-bit little-endian ELF file")
        (e_machine,) = struct.unpack_from("<H", header, 18)
        machine = MACHINES.get(e_machine, f"ELF machine {e_machine}")
        return ELFFile(path, machine, _sections(f, header, path))


def _sections(f, header: bytes, path: str) -> dict[str, tuple[int, int]]:
    (shoff,) = struct.unpack_from("<Q", header, 40)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", header, 58)
    if shoff == 0 or shnum == 0:
        return {}
    if shstrndx >= shnum or shentsize < 64:
        raise ELFError(f"{path} has a malformed section table")
    table = _read(f, shoff, shnum * shentsize, path)
    headers = [_section_header(table, i * shentsize) for i in range(shnum)]
    names_offset, names_size = headers[shstrndx][1:]
    names = _read(f, names_offset, names_size, path)
    sections = {}
    for name_index, offset, size in headers:
        end = names.find(b"\0", name_index)
        sections[names[name_index:end].decode("ascii", "replace")] = (offset, size)
    return sections


def _read(f, offset: int, size: int, path: str) -> bytes:
    f.seek(offset)
    data = f.read(size)
    if len(data) != size:
        raise ELFError(f"{path} is truncated (a section lies past the end of the file)")
    return data


def _section_header(table: bytes, at: int) -> tuple[int, int, int]:
    """(name index, file offset, size) of the Elf64_Shdr at ``at``."""
    name, _, _, _, offset, size = struct.unpack_from("<IIQQQQ", table, at)
    return name, offset, size
