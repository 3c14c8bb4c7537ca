"""Rewrite LLVM IR float literals printed by LLVM 24 into spellings LLVM 22 parses.

MLIR's ``translate_module_to_llvmir`` (LLVM 24, inside the torch-mlir wheel)
prints float constants as rounded decimals (``float 1.000000e-01``), raw bit
patterns (``float f0x7F7FFFFF``) and named specials (``+qnan``, ``-inf``,
``+nan(0x1)``). The LLVM 22 ``llc`` kiln uses for PTX rejects a decimal that
is not exact in its type and every other new spelling. This module rewrites
each such literal to the value's exact classic form: a decimal when it is
exact in its type, else ``0x<double bits>`` for float/double, ``0xH<bits>``
for half and ``0xR<bits>`` for bfloat.

A literal's type is the nearest float type named before it on the same line:
LLVM IR always names an operand's type before the operand, or once before
both operands of a binary op or compare (``fadd float %a, 1.0``).
"""

from __future__ import annotations

import re
import struct

import numpy as np

FLOAT_TYPES = ("half", "bfloat", "float", "double")

_TYPE = r"\b(?:half|bfloat|float|double)\b"
_LITERAL = (
    r"(?<![\w.%@$\"])"  # not part of a name, a number or a string
    r"(?:f0x[0-9A-Fa-f]+"
    r"|[-+](?:qnan|snan|inf)\b"
    r"|[-+]s?nan\(0x[0-9A-Fa-f]+\)"
    r"|[-+]?\d+\.\d+(?:e[-+]?\d+)?)"
)
_TOKEN_RE = re.compile(rf"(?P<type>{_TYPE})|(?P<lit>{_LITERAL})")

# (total bits, exponent bits, mantissa bits) of each type.
_LAYOUT = {"half": (16, 5, 10), "bfloat": (16, 8, 7), "float": (32, 8, 23), "double": (64, 11, 52)}


def fix_float_literals(text: str) -> str:
    """``text`` with every LLVM-24-only float literal respelled for LLVM 22 (see module doc)."""
    return "\n".join(_fix_line(line) for line in text.split("\n"))


def _fix_line(line: str) -> str:
    if not any(t in line for t in FLOAT_TYPES):
        return line
    out, pos, current = [], 0, None
    for match in _TOKEN_RE.finditer(line):
        if match.group("type"):
            current = match.group("type")
            continue
        if current is None:
            continue
        out.append(line[pos : match.start()])
        out.append(respell(match.group("lit"), current))
        pos = match.end()
    out.append(line[pos:])
    return "".join(out)


def respell(literal: str, type_name: str) -> str:
    """The LLVM 22 spelling of ``literal`` read as a ``type_name`` constant."""
    bits = literal_bits(literal, type_name)
    if literal[0].isdigit() or literal[0] in "+-" and literal[1:2].isdigit():
        if _decimal_is_exact(literal, type_name, bits):
            return literal
    if type_name == "half":
        return f"0xH{bits:04X}"
    if type_name == "bfloat":
        return f"0xR{bits:04X}"
    if type_name == "float":
        bits = _float_bits_to_double_bits(bits)
    return f"0x{bits:016X}"


def literal_bits(literal: str, type_name: str) -> int:
    """The bit pattern, in ``type_name``, of an LLVM 24 float literal."""
    width, exp_bits, mant_bits = _LAYOUT[type_name]
    sign = 1 << (width - 1) if literal.startswith("-") else 0
    body = literal.lstrip("+-")
    all_ones = ((1 << exp_bits) - 1) << mant_bits
    quiet = 1 << (mant_bits - 1)
    if literal.startswith("f0x"):
        return int(literal[3:], 16)
    if body == "inf":
        return sign | all_ones
    if body == "qnan":
        return sign | all_ones | quiet
    if body == "snan":
        return sign | all_ones | 1
    if body.startswith(("nan(", "snan(")):
        payload = int(body[body.index("(") + 1 : -1], 16)
        return sign | all_ones | (0 if body.startswith("snan") else quiet) | payload
    return _round_decimal(float(literal), type_name)


def _round_decimal(value: float, type_name: str) -> int:
    if type_name == "double":
        return struct.unpack("<Q", struct.pack("<d", value))[0]
    if type_name == "float":
        return int(np.array(value, dtype=np.float32).view(np.uint32))
    if type_name == "half":
        return int(np.array(value, dtype=np.float16).view(np.uint16))
    # bfloat: round the float32 bits to nearest, ties to even.
    f32 = int(np.array(value, dtype=np.float32).view(np.uint32))
    if (f32 & 0x7F800000) == 0x7F800000 and f32 & 0x7FFFFF:
        return (f32 >> 16) | 0x40  # NaN stays a quiet NaN
    return ((f32 + 0x7FFF + ((f32 >> 16) & 1)) >> 16) & 0xFFFF


def _decimal_is_exact(literal: str, type_name: str, bits: int) -> bool:
    """True when the decimal's double value equals the type's value: LLVM 22 accepts it."""
    return float(literal) == _bits_to_double(bits, type_name)


def _bits_to_double(bits: int, type_name: str) -> float:
    if type_name == "double":
        return struct.unpack("<d", struct.pack("<Q", bits))[0]
    if type_name == "float":
        return float(np.array(bits, dtype=np.uint32).view(np.float32))
    if type_name == "half":
        return float(np.array(bits, dtype=np.uint16).view(np.float16))
    return float(np.array(bits << 16, dtype=np.uint32).view(np.float32))


def _float_bits_to_double_bits(bits: int) -> int:
    """float32 bits -> the double with the same value (NaN payloads kept, as LLVM does)."""
    sign = (bits >> 31) & 1
    exponent = (bits >> 23) & 0xFF
    mantissa = bits & 0x7FFFFF
    if exponent == 0xFF:
        return (sign << 63) | (0x7FF << 52) | (mantissa << 29)
    value = float(np.array(bits, dtype=np.uint32).view(np.float32))
    return struct.unpack("<Q", struct.pack("<d", value))[0]
