"""C spellings shared by the generated header and wrapper: identifiers, strings, types."""

from __future__ import annotations

import re

# numpy dtype name -> C element type in buffers (f16, bf16 and bool are raw storage).
C_TYPES = {
    "float32": "float",
    "float64": "double",
    "float16": "uint16_t",
    "bfloat16": "uint16_t",
    "int64": "int64_t",
    "int32": "int32_t",
    "int16": "int16_t",
    "int8": "int8_t",
    "uint8": "uint8_t",
    "bool": "uint8_t",
}
# The header's KILN_DTYPE_* codes, one per dtype.
DTYPE_CODES = {name: code for code, name in enumerate(C_TYPES, start=1)}
ELEMENT_BYTES = {
    "float32": 4,
    "float64": 8,
    "float16": 2,
    "bfloat16": 2,
    "int64": 8,
    "int32": 4,
    "int16": 2,
    "int8": 1,
    "uint8": 1,
    "bool": 1,
}

_C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto "
    "if inline int long register restrict return short signed sizeof static struct switch "
    "typedef union unsigned void volatile while main".split()
)


def c_identifier(name: str) -> str:
    """``name`` as a C identifier: lowercase, other characters as ``_``, never a keyword."""
    ident = re.sub(r"[^0-9a-zA-Z_]", "_", name).lower().strip("_") or "model"
    if ident[0].isdigit() or ident in _C_KEYWORDS:
        ident = f"model_{ident}"
    return ident


def c_string(text: str) -> str:
    """``text`` as a C string literal (UTF-8; quotes, backslashes, '?' and non-ASCII escaped)."""
    out = []
    for byte in text.encode():
        char = chr(byte)
        if char in '"\\?':
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'
