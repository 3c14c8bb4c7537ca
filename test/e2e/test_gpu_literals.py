"""LLVM 24's float-literal spellings, respelled so LLVM 22's llc parses them, with the same bits.

Each constant goes through MLIR's translator (LLVM 24 spelling), the
respelling, and the xtc LLVM 22 ``llc`` for NVPTX; the PTX stores must hold
the exact bit patterns.
"""

from __future__ import annotations

import re
import struct

import numpy as np
import pytest
from kiln.lowering.cuda.llvm_literals import fix_float_literals, literal_bits, respell
from kiln.lowering.cuda.nvvm_to_ptx import llvm_ir_to_ptx

from kiln.ir import llvm, new_context, parse_module

# (MLIR attribute, type, bit pattern)
CONSTANTS = [
    ("0.1 : f32", "f32", 0x3DCCCCCD),
    ("1.0e-40 : f32", "f32", 0x000116C2),  # denormal
    ("0x7FC00000 : f32", "f32", 0x7FC00000),  # +qnan
    ("0xFFC00000 : f32", "f32", 0xFFC00000),  # -qnan
    ("0x7FC00001 : f32", "f32", 0x7FC00001),  # NaN with a payload
    ("0x7F800000 : f32", "f32", 0x7F800000),  # +inf
    ("0xFF800000 : f32", "f32", 0xFF800000),  # -inf
    ("3.40282347E+38 : f32", "f32", 0x7F7FFFFF),  # f0x spelling
    ("-0.0 : f32", "f32", 0x80000000),
    ("1.5 : f32", "f32", 0x3FC00000),
    ("0.1 : f16", "f16", 0x2E66),
    ("0.1 : bf16", "bf16", 0x3DCD),
    ("0x0001 : bf16", "bf16", 0x0001),
    ("0.1 : f64", "f64", 0x3FB999999999999A),
]
WIDTH = {"f16": 16, "bf16": 16, "f32": 32, "f64": 64}


def translate(attr: str, ty: str) -> str:
    text = f"""
    llvm.func @store(%p: !llvm.ptr) attributes {{nvvm.kernel}} {{
      %c = llvm.mlir.constant({attr}) : {ty}
      llvm.store volatile %c, %p : {ty}, !llvm.ptr
      llvm.return
    }}"""
    module = parse_module(text, new_context())
    return 'target triple = "nvptx64-nvidia-cuda"\n' + llvm.translate_module_to_llvmir(
        module.operation
    )


def ptx_stored_bits(ptx: str, width: int) -> int:
    (value,) = re.findall(r"st\.volatile(?:\.global)?\.b\d+\s+\[[^\]]+\],\s*([^;]+);", ptx)
    value = value.strip()
    if value.startswith("0x"):
        return int(value, 16)
    if value.startswith("0f") or value.startswith("0d"):
        return int(value[2:], 16)
    return int(value) & ((1 << width) - 1)


@pytest.mark.parametrize(("attr", "ty", "bits"), CONSTANTS, ids=[c[0] for c in CONSTANTS])
def test_constant_survives_llvm_22(attr, ty, bits):
    fixed = fix_float_literals(translate(attr, ty))
    ptx = llvm_ir_to_ptx(fixed, "sm_80", opt_level=0)
    assert ptx_stored_bits(ptx, WIDTH[ty]) == bits


def test_exact_decimals_stay_readable():
    assert respell("1.500000e+00", "float") == "1.500000e+00"
    assert respell("1.000000e-01", "double") == "1.000000e-01"
    assert respell("1.000000e-01", "float") == "0x3FB99999A0000000"
    assert respell("+qnan", "float") == "0x7FF8000000000000"
    assert respell("-inf", "half") == "0xHFC00"
    assert respell("f0x7F7FFFFF", "float") == "0x47EFFFFFE0000000"


def test_only_typed_literals_are_rewritten():
    line = "  %5 = fadd float %4, 1.000000e-01"
    assert fix_float_literals(line) == "  %5 = fadd float %4, 0x3FB99999A0000000"
    untouched = '  %x.1.5 = getelementptr i8, ptr @"name+inf", i64 3'
    assert fix_float_literals(untouched) == untouched


def test_literal_bits_round_to_the_type():
    assert literal_bits("9.999940e-41", "float") == 0x000116C2
    assert literal_bits("+nan(0x1)", "float") == 0x7FC00001
    assert literal_bits("-snan", "double") == 0xFFF0000000000001
    assert literal_bits("1.000980e-01", "bfloat") == 0x3DCD
    assert struct.unpack("<f", struct.pack("<I", literal_bits("3.0", "float")))[0] == 3.0
    assert literal_bits("6.550400e+04", "half") == int(np.array(65504, np.float16).view(np.uint16))
