"""kiln.parse_probe: MLIR parser crashes become errors; good and bad text parse as before."""

from __future__ import annotations

import pytest

from kiln.ir import MLIRError, new_context
from kiln.parse_probe import ParserCrash, parse_untrusted, parser_crash

REDUCE = """func.func @f(%a: tensor<4x8xf32>, %c: tensor<8xf32>) -> tensor<8xf32> {
  %r = linalg.reduce ins(%a : tensor<4x8xf32>) outs(%c : tensor<8xf32>) dimensions = DIMS
    (%x: f32, %y: f32) {
      %s = arith.addf %x, %y : f32
      linalg.yield %s : f32
    }
  return %r : tensor<8xf32>
}
"""
CRASHING = REDUCE.replace("DIMS", "[0.0]")  # segfaults MLIR's parser (torch-mlir 20261001)


def test_a_parser_crash_is_named_not_suffered():
    assert parser_crash(CRASHING) == "SIGSEGV"
    with pytest.raises(ParserCrash, match=r"MLIR's parser crashed \(SIGSEGV\)"):
        parse_untrusted(CRASHING, new_context())


def test_well_formed_text_parses_in_the_callers_context():
    ctx = new_context()
    module = parse_untrusted(REDUCE.replace("DIMS", "[0]"), ctx)
    assert module.context is ctx and "linalg.reduce" in str(module)


def test_a_parse_error_stays_an_mlir_diagnostic_at_its_line():
    text = "\n" + REDUCE.replace("DIMS", "[0]").replace("%c :", "%nope :")
    with pytest.raises(MLIRError) as info:
        parse_untrusted(text, new_context(), first_line=3)
    assert info.value.error_diagnostics[0].location is not None
    # the reduce is line 3 of the text, which starts at line 3 of its file
    assert '"-":5:' in str(info.value.error_diagnostics[0].location)
