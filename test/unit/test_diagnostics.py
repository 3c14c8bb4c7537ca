"""kiln/errors.py: locations, MLIR diagnostics shown to users, and kiln's exception types."""

from __future__ import annotations

import pytest

from kiln.errors import (
    InputMismatchError,
    KilnError,
    PipelineError,
    SourceLocation,
    UnsupportedOp,
    UnsupportedOpsError,
    format_mlir_error,
    source_locations,
    user_location,
)
from kiln.ir import MLIRError, ir, parse_module

LIBRARY = "/venv/lib/python3.11/site-packages/torch/nn/modules/linear.py"


def test_source_locations_of_a_call_stack(ctx):
    with ctx:
        loc = ir.Location.callsite(
            ir.Location.file(LIBRARY, 125, 4), [ir.Location.file("/home/me/model.py", 7, 0)]
        )
    assert source_locations(loc) == [
        SourceLocation(LIBRARY, 125, 4),
        SourceLocation("/home/me/model.py", 7, 0),
    ]
    assert str(SourceLocation("/home/me/model.py", 7, 0)) == "/home/me/model.py:7:0"


def test_user_location_skips_library_frames(ctx):
    with ctx:
        loc = ir.Location.callsite(
            ir.Location.file(LIBRARY, 125, 4), [ir.Location.file("/home/me/model.py", 7, 0)]
        )
        only_library = ir.Location.file(LIBRARY, 125, 4)
        unknown = ir.Location.unknown()
    assert user_location(loc) == "/home/me/model.py:7:0"
    assert user_location(only_library) == f"{LIBRARY}:125:4"
    assert user_location(unknown) == "unknown location"
    assert user_location('loc("a.py":1:2)') == "a.py:1:2"


BAD = "func.func @f() {\n  %0 = arith.bogus\n}"


def test_format_mlir_error_names_the_file(ctx):
    with pytest.raises(MLIRError) as info:
        parse_module(BAD, ctx)
    assert format_mlir_error(info.value, "model.mlir").startswith("model.mlir:2:8: error: ")
    assert format_mlir_error(info.value).startswith("-:2:8: error: ")


def test_format_mlir_error_with_an_offset_chunk(ctx):
    # kiln-opt --split-input-file parses chunks with their line in the file.
    with pytest.raises(MLIRError) as info:
        parse_module(BAD, ctx, first_line=10)
    assert format_mlir_error(info.value, "in.mlir").startswith("in.mlir:11:8: error: ")


def test_format_mlir_error_shows_the_users_line_of_an_imported_op(ctx):
    # An op imported from an nn.Module is located at torch.nn's line called from the
    # user's forward: a failure is reported at the user's line.
    text = (
        "func.func @f(%a: i32) -> i32 {\n"
        '  %0 = "arith.addi"(%a) : (i32) -> i32 loc(callsite('
        f'"{LIBRARY}":125:4 at "/home/me/model.py":7:0))\n'
        "  return %0 : i32\n}"
    )
    with pytest.raises(MLIRError) as info:
        parse_module(text, ctx)
    assert format_mlir_error(info.value).startswith(
        "/home/me/model.py:7:0: error: 'arith.addi' op expected 2 operands"
    )


def test_unsupported_ops_error_lists_every_op():
    ops = [
        UnsupportedOp("aten.histc", "model.py:5:0", "not known to torch-mlir"),
        UnsupportedOp("aten.erfinv", "model.py:6:0", "no lowering to linalg"),
    ]
    err = UnsupportedOpsError(ops)
    assert err.ops == ops
    assert str(err).splitlines() == [
        "kiln cannot compile 2 op(s) of this model:",
        "  aten.histc at model.py:5:0: not known to torch-mlir",
        "  aten.erfinv at model.py:6:0: no lowering to linalg",
    ]


def test_pipeline_error_message():
    err = PipelineError(
        "tiled", "x.mlir:1:1: error: boom", "/tmp/r/x.tiled.mlir", "kiln-opt /tmp/r/x.tiled.mlir"
    )
    assert (err.stage, err.diagnostics, err.reproducer) == (
        "tiled",
        "x.mlir:1:1: error: boom",
        "/tmp/r/x.tiled.mlir",
    )
    assert str(err) == (
        "kiln: stage 'tiled' failed:\nx.mlir:1:1: error: boom\n"
        "reproducer: /tmp/r/x.tiled.mlir\nreplay with:\n  kiln-opt /tmp/r/x.tiled.mlir"
    )
    assert str(PipelineError("llvm", "boom", None, None)) == "kiln: stage 'llvm' failed:\nboom"


def test_error_hierarchy():
    assert issubclass(InputMismatchError, KilnError) and issubclass(InputMismatchError, TypeError)
    for cls in (PipelineError, UnsupportedOpsError):
        assert issubclass(cls, KilnError)
