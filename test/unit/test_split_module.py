"""kiln/runtime/split_module.py and the JIT that builds the parts at once (kiln/runtime/jit.py)."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

from kiln.runtime import jit as jit_module
from kiln.runtime import split_module as split

# @entry(out) stores 1.0 (nest 0, through a constant global), 2.0 (nest 1,
# through a mutable global: it cannot move) and 3.0 (nest 2, through a
# declared libm function) into out[0..2].
MODULE = """\
llvm.mlir.global internal constant @one(1.0 : f32) {addr_space = 0 : i32} : f32
llvm.mlir.global internal @state(2.0 : f32) {addr_space = 0 : i32} : f32
llvm.func @fabsf(f32) -> f32
llvm.func @entry(%out: !llvm.ptr) attributes {llvm.emit_c_interface} {
  llvm.call @__kiln_nest_0(%out) : (!llvm.ptr) -> ()
  llvm.call @__kiln_nest_1(%out) : (!llvm.ptr) -> ()
  llvm.call @__kiln_nest_2(%out) : (!llvm.ptr) -> ()
  llvm.return
}
llvm.func internal @__kiln_nest_0(%out: !llvm.ptr) attributes {no_inline} {
  %p = llvm.mlir.addressof @one : !llvm.ptr
  %v = llvm.load %p : !llvm.ptr -> f32
  llvm.store %v, %out : f32, !llvm.ptr
  llvm.return
}
llvm.func internal @__kiln_nest_1(%out: !llvm.ptr) attributes {no_inline} {
  %p = llvm.mlir.addressof @state : !llvm.ptr
  %v = llvm.load %p : !llvm.ptr -> f32
  %q = llvm.getelementptr %out[1] : (!llvm.ptr) -> !llvm.ptr, f32
  llvm.store %v, %q : f32, !llvm.ptr
  llvm.return
}
llvm.func internal @__kiln_nest_2(%out: !llvm.ptr) attributes {no_inline} {
  %c = llvm.mlir.constant(-3.0 : f32) : f32
  %v = llvm.call @fabsf(%c) : (f32) -> f32
  %q = llvm.getelementptr %out[2] : (!llvm.ptr) -> !llvm.ptr, f32
  llvm.store %v, %q : f32, !llvm.ptr
  llvm.return
}
"""


def _names(module) -> dict[str, str]:
    """sym_name -> 'definition' | 'declaration' for the module's functions."""
    found = {}
    for op in module.body.operations:
        if op.operation.name == "llvm.func":
            name = str(op.operation.attributes["sym_name"]).strip('"')
            found[name] = "definition" if op.operation.regions[0].blocks else "declaration"
    return found


def test_nests_are_dealt_out_and_declared_where_they_were(parse, monkeypatch):
    monkeypatch.setattr(split, "MIN_SPLIT_OPS", 0)
    module = parse(MODULE)
    parts = split.split_module(module, 2)
    assert len(parts) == 2
    moved = sorted(name for _, names in parts for name in names)
    assert moved == ["__kiln_nest_0", "__kiln_nest_2"]  # nest 1 writes-through a mutable global
    main = _names(module)
    assert main["entry"] == main["__kiln_nest_1"] == "definition"
    assert main["__kiln_nest_0"] == main["__kiln_nest_2"] == "declaration"
    for part, names in parts:
        text = str(part)
        for name in names:
            assert _names(part)[name] == "definition"
            assert f"llvm.func @{name}(" in text  # external now: the other engines link to it
        if "__kiln_nest_0" in names:
            assert "llvm.mlir.global internal constant @one" in text  # constants are cloned
        if "__kiln_nest_2" in names:
            assert _names(part)["fabsf"] == "declaration"
        assert "@state" not in text  # state is never duplicated


def test_small_modules_are_not_split(parse):
    assert split.split_module(parse(MODULE), 2) == []  # far below MIN_SPLIT_OPS


@pytest.mark.parametrize("cores", [1, 2])
def test_split_module_runs_as_one(parse, monkeypatch, cores):
    """Built in parts on threads (2 cores) or whole (1 core), the entry computes the same."""
    monkeypatch.setattr(split, "MIN_SPLIT_OPS", 0)
    monkeypatch.setattr(jit_module, "_cores", lambda: cores)
    module = parse(MODULE)
    jit = jit_module.JitModule(module)
    assert len(jit._engines) == (3 if cores == 2 else 1)
    out = np.zeros(3, np.float32)
    pointer = ctypes.c_void_p(out.ctypes.data)
    args = (ctypes.c_void_p * 1)(ctypes.cast(ctypes.pointer(pointer), ctypes.c_void_p))
    jit.packed_function("entry")(ctypes.cast(args, ctypes.c_void_p))
    np.testing.assert_array_equal(out, [1.0, 2.0, 3.0])


def test_a_nested_symbol_reference_counts_as_its_root_symbol(parse, monkeypatch):
    """``[@state::@inner]`` on nest 0 refers to the mutable global @state: nest 0 stays."""
    monkeypatch.setattr(split, "MIN_SPLIT_OPS", 0)
    text = MODULE.replace(
        "llvm.func internal @__kiln_nest_0(%out: !llvm.ptr) attributes {no_inline}",
        "llvm.func internal @__kiln_nest_0(%out: !llvm.ptr) attributes "
        "{no_inline, kiln.test_ref = [@state::@inner]}",
    )
    assert "kiln.test_ref" in text
    module = parse(text)
    parts = split.split_module(module, 1)
    assert [names for _, names in parts] == [["__kiln_nest_2"]]
    assert _names(module)["__kiln_nest_0"] == "definition"
