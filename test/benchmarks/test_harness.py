"""benchmarks/run.py's pure logic: peer table, point parsing, arguments, tables, README.

No timing is asserted: the results here are made up.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from benchmarks import real_models, run, tables
from benchmarks.measure import BUILDERS
from benchmarks.peers import KILN_PEER, PEERS, TOLERANCE, peers_of
from benchmarks.peers.onnx_peers import RUNNERS
from benchmarks.timing import error_summary, max_rel_error
from benchmarks.workloads import TIER_WORKLOADS, WORKLOAD_SETS, WORKLOADS, tier_models

MACHINE = {"fma_peak_gflops_1core": 100.0, "copy_gbs": {"1": 20.0, "2": 30.0}}


def point(peer, ms, error=1e-7, workload="mlp", threads=2, compile_s=1.0):
    return {
        "peer": peer,
        "workload": workload,
        "threads": threads,
        "latency_ms": ms,
        "compile_s": compile_s,
        "max_rel_error": error,
    }


def failed(peer, reason, workload="mlp", threads=2):
    return {"peer": peer, "workload": workload, "threads": threads, "error": reason}


def results(*points, workloads=None):
    info = {"flops": 2e9, "bytes": 0, "memory_bound": False, "overhead": False}
    return {"machine": MACHINE, "workloads": workloads or {"mlp": info}, "points": list(points)}


def row_of(markdown: list[str], start: str) -> list[str]:
    (line,) = [line for line in markdown if line.startswith(f"| {start} ")]
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_every_peer_has_a_runner_in_its_process():
    for name, peer in PEERS.items():
        assert name in (BUILDERS if peer.process == "torch" else RUNNERS), name
        assert peer.precision in TOLERANCE
    assert set(BUILDERS) | set(RUNNERS) == set(PEERS)
    assert all(KILN_PEER[p] == peers_of(p)[0] for p in KILN_PEER)


def test_tier_workloads_exist_in_the_tier_and_do_not_shadow_the_zoo():
    models = tier_models()
    for name in TIER_WORKLOADS:
        assert name in models, name
        assert WORKLOADS[name].tier


def test_max_rel_error_is_normwise_and_rejects_shape_mismatches():
    ref = np.array([[100.0, 0.0], [1e-9, -50.0]], dtype=np.float32)
    assert max_rel_error([ref], [ref]) == 0.0
    # A 1e-3 error on an element near zero is small against the output's scale.
    assert max_rel_error([ref + np.array([[0, 1e-3], [0, 0]])], [ref]) == pytest.approx(1e-5)
    assert max_rel_error([ref * np.nan], [ref]) == float("inf")
    with pytest.raises(ValueError, match="output shape"):
        max_rel_error([ref.T[:1]], [ref])
    with pytest.raises(ValueError, match="1 outputs, expected 2"):
        max_rel_error([ref], [ref, ref])


def test_ratio_is_against_the_fastest_valid_peer_of_the_same_precision():
    res = results(
        point("kiln", 1.0),
        point("eager", 2.0),
        point("ort", 0.5, error=1.0),  # fast and wrong: never best
        point("openvino", 0.8),
        point("openvino-bf16", 0.1, error=4e-3),  # another precision: not in the f32 ratio
    )
    row = row_of(tables.latency_table(res, "f32"), "mlp")
    head = row_of(tables.latency_table(res, "f32"), "workload")
    cells = dict(zip(head, row, strict=True))
    assert cells["ort ms"] == f"0.500 {tables.WRONG}"
    assert cells["best peer"] == "openvino" and cells["kiln / best"] == "1.25"
    assert cells["kiln GFLOP/s"] == "2000.0" and cells["% peak"] == "1000%"
    assert "inductor-frozen ms" not in head  # peers without points get no column


def test_bf16_table_and_a_kiln_failure_show_a_dash_and_the_reason():
    reason = "TypeError: compile() got an unexpected keyword argument 'precision'"
    res = results(
        point("kiln", 1.0),
        failed("kiln-bf16", reason),
        point("openvino-bf16", 0.4, error=4e-3),
        point("eager-bf16", 0.9, error=6e-3),
    )
    table = tables.latency_table(res, "bf16")
    cells = dict(zip(row_of(table, "workload"), row_of(table, "mlp"), strict=True))
    assert cells["kiln-bf16 ms"] == "—" and cells["kiln GFLOP/s"] == "—"
    assert cells["best peer"] == "openvino-bf16" and cells["kiln-bf16 / best"] == "—"
    measured = results(point("kiln-bf16", 1.0, error=4e-3), point("openvino-bf16", 0.5))
    table = tables.latency_table(measured, "bf16")
    cells = dict(zip(row_of(table, "workload"), row_of(table, "mlp"), strict=True))
    assert cells["kiln GFLOP/s"] == "2000.0" and cells["% peak"] == "500%"  # of 2x the FMA peak
    assert cells["kiln-bf16 / best"] == "2.00"
    assert f"- mlp 2T kiln-bf16: {reason}" in tables.failures(res)


def test_kiln_out_of_tolerance_reads_wrong_not_a_ratio():
    res = results(point("kiln", 0.1, error=TOLERANCE["f32"] * 10), point("eager", 1.0))
    assert row_of(tables.latency_table(res, "f32"), "mlp")[-2:] == ["eager", "wrong"]


def test_memory_bound_and_overhead_workloads_report_bandwidth_and_call_cost():
    info = {"flops": 0, "bytes": 3e6, "memory_bound": True, "overhead": False}
    tiny = {"flops": 0, "bytes": 64, "memory_bound": False, "overhead": True}
    res = results(
        point("kiln", 0.2, workload="silu", threads=1),
        point("kiln", 0.004, workload="tiny", threads=1),
        workloads={"silu": info, "tiny": tiny},
    )
    table = tables.latency_table(res, "f32")
    assert row_of(table, "silu")[3:5] == ["15.0 GB/s", "75% bw"]
    assert row_of(table, "tiny")[3] == "4.0 µs/call"


def test_compile_and_accuracy_tables_leave_eager_out_and_take_the_worst_error():
    res = results(
        point("kiln", 1.0, error=1e-6, threads=1, compile_s=3.25),
        point("kiln", 1.0, error=2e-6, threads=2),
        point("eager", 1.0, error=0.0),
    )
    compile_table = tables.compile_table(res)
    assert row_of(compile_table, "workload") == ["workload", "T", "kiln s"]
    assert compile_table[2:] == ["| mlp | 1 | 3.25 |", "| mlp | 2 | 1.00 |"]
    assert row_of(tables.accuracy_table(res), "mlp") == ["mlp", "2.0e-06"]


def test_report_has_one_section_per_table_and_the_tolerances():
    text = tables.report(results(point("kiln", 1.0), point("openvino-bf16", 0.5, error=1e-2)))
    for title in ("### f32", "### bf16", "### Compile time", "### Max relative error"):
        assert title in text
    assert "### Failed points" not in text
    assert "f32 0.001, bf16 0.05" in text


@pytest.mark.parametrize(
    "stdout, stderr, code, expected",
    [
        ('noise\n{"latency_ms": 1.0}\n', "", 0, {"latency_ms": 1.0}),
        ('{"error": "TypeError: no"}\n', "Traceback ...", 1, {"error": "TypeError: no"}),
        ("", "a\nb\nSegmentation fault", -11, {"error": "exit -11: b | Segmentation fault"}),
        ('{"latency_ms": 1.0}\n', "killed", 9, {"error": "exit 9: killed"}),
    ],
)
def test_parse_point(stdout, stderr, code, expected):
    assert run.parse_point(stdout, stderr, code) == expected


def test_onnx_peers_without_their_venv_are_a_failed_point(monkeypatch, tmp_path):
    monkeypatch.setattr(run, "PEERS_PYTHON", tmp_path / "missing")
    got = run.measure("openvino", "mlp", 1, timeout=5, quick=True)
    assert got["error"].startswith("not installed") and got["peer"] == "openvino"


def test_arguments_default_all_and_quick():
    assert run.parse_args([]).workloads == list(WORKLOAD_SETS["zoo"])
    assert run.parse_args(["--set", "real"]).workloads == list(WORKLOAD_SETS["real"])
    assert run.parse_args(["--all"]).workloads == list(WORKLOADS)
    assert all(set(names) <= set(WORKLOADS) for names in WORKLOAD_SETS.values())
    for clash in (["--all", "--workloads", "mlp"], ["--set", "zoo", "--all"]):
        with pytest.raises(SystemExit):
            run.parse_args(clash)
    cmd = run.command("kiln", "mlp", 2, quick=True)
    assert cmd[-3:] == ["--threads", "2", "--quick"]


def test_real_models_is_a_front_end_of_run():
    args = real_models.run_arguments(["--models", "bert", "--threads", "2"])
    assert args[:4] == ["--workloads", "bert", "--peers", "kiln"]
    assert "--threads" in args and str(real_models.OUTPUT) in args
    parsed = run.parse_args(args)
    assert parsed.workloads == ["bert"] and parsed.threads == [2]


def test_update_readme_replaces_only_the_marked_section(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{run.README_BEGIN}\nold\n{run.README_END}\noutro\n")
    run.update_readme(readme, "new table\n")
    assert readme.read_text() == f"intro\n{run.README_BEGIN}\nnew table\n{run.README_END}\noutro\n"


def test_results_json_round_trip_keeps_the_tables():
    res = results(point("kiln", 1.0, threads=1), point("eager", 2.0, threads=1))
    again = json.loads(json.dumps(res))
    assert tables.report(again) == tables.report(res)


def test_error_summary_prefers_the_compiler_diagnostic():
    err = RuntimeError(
        "Error invoking IREE compiler tool\nfoo.mlir:3: error: failed to legalize\nmore"
    )
    assert error_summary(err) == "RuntimeError: foo.mlir:3: error: failed to legalize"
    assert error_summary(TypeError("no precision\nsecond")) == "TypeError: no precision"
    assert len(error_summary(ValueError("x" * 1000))) == 300


def test_a_point_runs_end_to_end_in_its_own_pinned_process():
    got = run.measure("eager", "tiny", 1, timeout=300, quick=True)
    assert "error" not in got, got
    assert got["max_rel_error"] == 0.0 and got["latency_ms"] > 0 and got["wall_s"] >= 0


def test_measure_precision_bf16_is_kiln_only(monkeypatch, capsys):
    from benchmarks import measure

    argv = ["measure", "--peer", "eager", "--workload", "tiny", "--threads", "1"]
    monkeypatch.setattr("sys.argv", [*argv, "--precision", "bf16"])
    with pytest.raises(SystemExit):
        measure.main()
    assert "--precision bf16 is a kiln option, not eager's" in capsys.readouterr().err


def test_onnx_export_happens_once_a_run_and_a_failure_drops_only_onnx_peers(monkeypatch, tmp_path):
    from benchmarks.peers import onnx_export

    calls = []

    def failing_export(workload, fresh=False, precision="f32"):
        calls.append((workload, fresh))
        raise RuntimeError("Unsupported: aten::foo\nmore")

    monkeypatch.setattr(onnx_export, "export", failing_export)
    monkeypatch.setattr(run, "PEERS_PYTHON", tmp_path)  # exists: the peers look installed
    run.onnx_files.cache_clear()
    try:
        for peer in ("ort", "openvino", "iree"):
            got = run.measure(peer, "mlp", 2, timeout=5, quick=True)
            assert got["error"] == "ONNX export failed: RuntimeError: Unsupported: aten::foo"
    finally:
        run.onnx_files.cache_clear()
    assert calls == [("mlp", True)]


def test_int8_table_has_its_own_ratio_ops_and_quantized_error():
    int8 = [
        point("kiln-int8", 1.0, error=1e-2) | {"max_rel_error_quantized": 1e-6},
        point("ort-int8", 2.0, error=1e-2) | {"max_rel_error_quantized": 3e-3},
        point("openvino-int8", 0.5, error=0.5) | {"max_rel_error_quantized": 0.4},
    ]
    res = results(point("kiln", 3.0), point("eager", 4.0), *int8)
    table = tables.latency_table(res, "int8")
    assert "kiln GOP/s" in table[0] and "kiln-int8 / best" in table[0]
    # openvino-int8 is faster but out of int8's tolerance: ort-int8 is the best peer.
    # 2e9 ops in 1 ms = 2000 GOP/s, of 4 x 100 GFLOP/s x 2 threads.
    assert row_of(table, "mlp")[-4:] == ["2000.0", "250%", "ort-int8", "0.50"]
    assert row_of(table, "mlp")[4] == f"0.500 {tables.WRONG}"
    report = tables.report(res)
    assert "### int8 (the PT2E-quantized model)" in report
    quantized = tables.accuracy_table(res, "max_rel_error_quantized", ("int8",))
    assert row_of(quantized, "mlp") == ["mlp", "1.0e-06", "3.0e-03", "4.0e-01"]
    assert "kiln" not in quantized[0].replace("kiln-int8", "")  # f32 peers have no such error


def test_int8_peers_measure_only_int8_workloads_and_precisions_filter_peers():
    int8 = peers_of("int8")
    assert int8[0] == "kiln-int8" and set(int8) <= set(PEERS)
    assert run.applicable(["kiln", *int8], "silu_add") == ["kiln"]
    assert run.applicable(["kiln", *int8], "resnet18") == ["kiln", *int8]
    assert run.parse_args(["--precisions", "int8"]).peers == int8
    assert "kiln-int8" not in run.parse_args(["--precisions", "f32", "bf16"]).peers
    run.quantize.cache_clear()
    got = run.measure("kiln-int8", "silu_add", 1, timeout=5, quick=True)
    assert got["error"].startswith("not an int8 workload")


def test_an_int8_point_runs_the_quantized_model_end_to_end():
    """kiln-int8 on mlp: quantized once by the run (PT2E), loaded by the point's process,
    checked against eager f32 (loosely: int8) and the quantized model's eager answer."""
    run.quantize.cache_clear()
    got = run.measure("kiln-int8", "mlp", 1, timeout=600, quick=True)
    assert "error" not in got, got
    # The quantized model differs from the float one, and kiln computes the quantized one.
    assert 1e-4 < got["max_rel_error"] <= TOLERANCE["int8"]
    assert got["max_rel_error_quantized"] <= 1e-5


class _ReusedReluBlock(torch.nn.Module):
    """A residual block applying one ReLU module twice (as torchvision's ResNets do), and
    a linear + tanh head whose result nothing reads (as BERT's pooler, when the model
    returns its hidden states): both made PT2E's X86InductorQuantizer fail."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.relu = torch.nn.ReLU()
        self.head = torch.nn.Linear(8, 8)
        self.tanh = torch.nn.Tanh()

    def forward(self, x):
        y = self.relu(self.conv1(x))
        self.tanh(self.head(x.mean((2, 3))))  # unused
        return self.relu(self.conv2(y) + x)


def test_quantize_handles_reused_modules_and_dead_code():
    from benchmarks.quantize import quantize

    torch.manual_seed(0)
    model, x = _ReusedReluBlock().eval(), torch.randn(1, 8, 8, 8)
    program = quantize(model, (x,))
    targets = {str(n.target) for n in program.graph.nodes if n.op == "call_function"}
    assert any("quantize_per_tensor" in t for t in targets)
    with torch.no_grad():
        got, want = program.module()(x), model(x)
    assert 1e-5 < float((got - want).abs().max() / want.abs().max()) < TOLERANCE["int8"]
