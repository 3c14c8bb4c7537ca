"""kiln/pipeline.py, lowering/cpu/pipeline.py: pipelines as data, made pass managers in one place."""

from __future__ import annotations

import pytest
from kiln.lowering.cpu.pipeline import CpuTarget, cpu_pipeline
from kiln.passes import registry

from kiln.ir import PassManager
from kiln.pipeline import (
    KILN_PASS_RE,
    Pipeline,
    Stage,
    build_pass_manager,
    parse_kiln_spec,
    pipeline_text,
    split_pipeline,
)
from kiln.targets import TARGETS as TARGET_TABLE

BUFFERIZE = (
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map}"
)

# --- split_pipeline ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "specs"),
    [
        ("canonicalize", ["canonicalize"]),
        ("canonicalize, cse", ["canonicalize", "cse"]),
        ("builtin.module(canonicalize,cse)", ["canonicalize", "cse"]),
        ("  builtin.module( canonicalize , cse )  ", ["canonicalize", "cse"]),
        (
            "builtin.module(func.func(canonicalize, cse), kiln-tile-and-fuse{threads=2})",
            ["func.func(canonicalize, cse)", "kiln-tile-and-fuse{threads=2}"],
        ),
        (f"{BUFFERIZE}, cse", [BUFFERIZE, "cse"]),
        (
            "func.func(convert-vector-to-scf{full-unroll=true}, gpu.module(x{a=1,b=2})), cse",
            ["func.func(convert-vector-to-scf{full-unroll=true}, gpu.module(x{a=1,b=2}))", "cse"],
        ),
        (
            "kiln-approximate-math{functions=exp,tanh},cse",
            ["kiln-approximate-math{functions=exp,tanh}", "cse"],
        ),
        ("builtin.module(\n  canonicalize,\n  cse\n)", ["canonicalize", "cse"]),
        ("", []),
        ("builtin.module()", []),
        ("a,,b,", ["a", "b"]),
    ],
)
def test_split_pipeline(text, specs):
    assert split_pipeline(text) == specs


@pytest.mark.parametrize(
    "text", ["func.func(cse", "a{x=1", "builtin.module(func.func(cse)", "a{b(c}"]
)
def test_split_pipeline_rejects_unclosed(text):
    with pytest.raises(ValueError, match=r"unbalanced '\(' or '\{'"):
        split_pipeline(text)


@pytest.mark.parametrize(("text", "column"), [("cse)", 4), ("a}, b", 2), ("f(a)), b", 5)])
def test_split_pipeline_rejects_unopened_with_column(text, column):
    with pytest.raises(
        ValueError, match=f"unbalanced '\\)' or '}}' in pass pipeline at column {column}"
    ):
        split_pipeline(text)


def test_pipeline_text_inverts_split():
    specs = ["func.func(canonicalize, cse)", "kiln-tile-and-fuse{threads=2}", "cse"]
    assert (
        pipeline_text(specs)
        == "builtin.module(func.func(canonicalize, cse),kiln-tile-and-fuse{threads=2},cse)"
    )
    assert split_pipeline(pipeline_text(specs)) == specs


# --- parse_kiln_spec / build_pass_manager ----------------------------------------------


def test_parse_kiln_spec():
    assert parse_kiln_spec("canonicalize") is None
    assert parse_kiln_spec("func.func(cse)") is None
    tile = parse_kiln_spec("kiln-tile-and-fuse{threads=3}")
    assert tile == registry.lookup("kiln-tile-and-fuse")(threads=3)
    assert parse_kiln_spec("kiln-vectorize") == registry.lookup("kiln-vectorize")()
    assert parse_kiln_spec("kiln-vectorize{}") == registry.lookup("kiln-vectorize")()


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("kiln-nope", "unknown kiln pass 'kiln-nope'"),
        ("kiln-vectorize[x]", "malformed options for 'kiln-vectorize'"),
        ("kiln-tile-and-fuse threads=2", "malformed options for 'kiln-tile-and-fuse'"),
        ("kiln-tile-and-fuse{threads=x}", "option 'threads': cannot read 'x'"),
        (
            "kiln-tile-and-fuse{nope=1}",
            r"no option 'nope' \(options: min-parallel-iterations, threads, vector-width\)",
        ),
    ],
)
def test_bad_kiln_specs(ctx, spec, match):
    with pytest.raises(ValueError, match=match):
        build_pass_manager([spec], ctx)


@pytest.mark.parametrize(
    "spec",
    [
        "func.func(kiln-vectorize)",
        "func.func(cse, kiln-fuse-elementwise)",
        "builtin.module(kiln-vectorize)",
    ],
)
def test_kiln_pass_nested_under_an_anchor_is_rejected(ctx, spec):
    with pytest.raises(ValueError, match="nest them at the top level"):
        build_pass_manager(["canonicalize", spec], ctx)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("no-such-pass", "'no-such-pass' does not refer to a registered pass"),
        ("canonicalize{bogus=1}", "bogus"),
    ],
)
def test_bad_upstream_specs_are_reported_by_mlir(ctx, spec, match):
    with pytest.raises(ValueError, match=match):
        build_pass_manager(["cse", spec], ctx)


def test_build_pass_manager_orders_upstream_and_kiln_passes(ctx):
    pm = build_pass_manager(["canonicalize", "func.func(cse)", "kiln-vectorize", "cse"], ctx)
    text = str(pm)
    assert text.startswith("builtin.module(")
    assert text.index("canonicalize") < text.index("func.func(cse)") < text.index("kiln-vectorize")
    assert text.rindex("cse") > text.index("kiln-vectorize")


def test_build_pass_manager_runs(ctx, parse):
    module = parse(
        "func.func @f() -> i32 {\n  %a = arith.constant 1 : i32\n"
        "  %b = arith.addi %a, %a : i32\n  return %b : i32\n}"
    )
    build_pass_manager(["canonicalize"], ctx).run(module.operation)
    assert "arith.constant 2 : i32" in str(module)


# --- Pipeline ------------------------------------------------------------------------

TOY = Pipeline(
    "toy",
    (
        Stage("a", ("canonicalize",)),
        Stage("b", ("cse",)),
        Stage("c", ("canonicalize", "cse")),
    ),
)


@pytest.mark.parametrize(
    ("start", "stop", "names"),
    [
        (None, None, ["a", "b", "c"]),
        ("b", None, ["b", "c"]),
        (None, "b", ["a", "b"]),
        ("b", "b", ["b"]),
        ("a", "c", ["a", "b", "c"]),
    ],
)
def test_select(start, stop, names):
    assert [s.name for s in TOY.select(start, stop)] == names


@pytest.mark.parametrize(
    ("start", "stop", "flag"), [("z", None, "--start-at=z"), (None, "z", "--stop-after=z")]
)
def test_select_unknown_stage_lists_the_stages(start, stop, flag):
    with pytest.raises(ValueError, match=f"{flag}: pipeline 'toy' has stages a, b, c"):
        TOY.select(start, stop)


def test_select_reversed_order():
    with pytest.raises(ValueError, match="stage 'c' comes after 'a'"):
        TOY.select("c", "a")


def test_pipeline_is_immutable_data():
    assert TOY.specs() == ["canonicalize", "cse", "canonicalize", "cse"]
    assert TOY.text() == "builtin.module(canonicalize,cse,canonicalize,cse)"
    with pytest.raises(AttributeError):
        TOY.name = "other"
    with pytest.raises(AttributeError):
        TOY.stages[0].passes = ()


def test_replace_and_insert_stages_return_new_pipelines():
    new = Stage("b2", ("canonicalize",))
    replaced = TOY.replace_stage("b", new)
    assert replaced.stage_names() == ["a", "b2", "c"]
    inserted = TOY.insert_after("a", new)
    assert inserted.stage_names() == ["a", "b2", "b", "c"]
    assert TOY.stage_names() == ["a", "b", "c"]
    with pytest.raises(ValueError, match="has no stage 'z'"):
        TOY.replace_stage("z", new)


# --- the cpu pipeline ---------------------------------------------------------------

TARGETS = [CpuTarget("host", width, threads) for width in (4, 8, 16) for threads in (1, 2, 8)]
CPU_STAGES = ["graph", "grouped", "tiled", "vectorized", "bufferized", "loops", "llvm"]


def _target_id(target: CpuTarget) -> str:
    return f"w{target.vector_width}-t{target.threads}"


def test_cpu_stages():
    pipeline = cpu_pipeline(CpuTarget())
    assert pipeline.stage_names() == CPU_STAGES
    assert all(stage.passes and stage.summary for stage in pipeline.stages)
    assert TARGET_TABLE["cpu"].pipeline(CpuTarget()) == pipeline


@pytest.mark.parametrize("target", TARGETS, ids=_target_id)
def test_every_cpu_stage_builds_a_pass_manager(ctx, target):
    pipeline = cpu_pipeline(target)
    for stage in pipeline.stages:
        pm = build_pass_manager(stage.passes, ctx)
        assert isinstance(pm, PassManager), stage.name


@pytest.mark.parametrize("target", TARGETS, ids=_target_id)
def test_every_cpu_spec_parses_or_resolves(ctx, target):
    pipeline = cpu_pipeline(target)
    assert split_pipeline(pipeline.text()) == pipeline.specs()
    for spec in pipeline.specs():
        if KILN_PASS_RE.match(spec):
            instance = parse_kiln_spec(spec)
            assert instance is not None and registry.lookup(instance.name) is type(instance)
            assert parse_kiln_spec(instance.spec()) == instance
        else:
            assert "kiln-" not in spec
            with ctx:
                PassManager.parse(pipeline_text([spec]))


@pytest.mark.parametrize("target", TARGETS, ids=_target_id)
def test_cpu_pipeline_uses_the_target(target):
    pipeline = cpu_pipeline(target)
    kiln_passes = [parse_kiln_spec(s) for s in pipeline.specs() if KILN_PASS_RE.match(s)]
    by_name = {p.name: p for p in kiln_passes}
    assert by_name["kiln-tile-and-fuse"].threads == target.threads
    assert by_name["kiln-pack-contractions"].vector_width == target.vector_width
    openmp = any("openmp" in spec for spec in pipeline.stage("loops").passes)
    assert openmp == (target.threads > 1)
    assert pipeline.options["target"] == target
