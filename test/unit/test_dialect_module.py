"""MLIR's Python bindings find the kiln dialect's module: wrapping kiln ops costs no import
search (they retried one per op while none was found: 1.3 million failed imports, two
thirds of a quantized ResNet-18's compile time)."""

from __future__ import annotations

import importlib

from kiln.dialects import VnniDotOp, load_kiln_dialect

from kiln.ir import ir

DOTS = "\n".join(
    f'  %r{i} = "kiln.vpdpbusd"(%a, %b, %c) : (vector<16xi32>, vector<64xi8>, vector<64xi8>)'
    " -> vector<16xi32>"
    for i in range(50)
)
SOURCE = f"""
func.func @f(%a: vector<16xi32>, %b: vector<64xi8>, %c: vector<64xi8>) {{
{DOTS}
  return
}}"""


def test_wrapping_kiln_ops_searches_for_their_module_once(monkeypatch):
    searched = []
    find_and_load = importlib._bootstrap._find_and_load

    def spy(name, *args):
        searched.append(name)
        return find_and_load(name, *args)

    ctx = ir.Context()
    load_kiln_dialect(ctx)
    with ctx, ir.Location.unknown():
        module = ir.Module.parse(SOURCE)
        monkeypatch.setattr(importlib._bootstrap, "_find_and_load", spy)
        for _ in range(3):
            ops = list(module.body.operations[0].regions[0].blocks[0].operations)
            assert all(isinstance(op, VnniDotOp) for op in ops[:-1])
    assert len([name for name in searched if name.endswith(".kiln")]) <= 2
