"""passes/transform_script.py: ``Schedule.bind`` gives each tag the handle a walk would."""

from __future__ import annotations

from kiln.dialects import load_kiln_dialect
from kiln.passes.transform_script import BOUND_ATTR, Schedule

from kiln.ir import ir

# Three elementwise ops of different sizes, each tagged; the middle one carries two tags.
PAYLOAD = """
#map = affine_map<(d0) -> (d0)>
func.func @f(%a: tensor<64xf32>, %b: tensor<32xf32>, %c: tensor<48xf32>)
    -> (tensor<64xf32>, tensor<32xf32>, tensor<48xf32>) {
  %0 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%a : tensor<64xf32>) outs(%a : tensor<64xf32>) attrs = {t.first} {
  ^bb0(%x: f32, %y: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  %1 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%b : tensor<32xf32>) outs(%b : tensor<32xf32>) attrs = {t.second, t.again} {
  ^bb0(%x: f32, %y: f32):
    %s = arith.mulf %x, %x : f32
    linalg.yield %s : f32
  } -> tensor<32xf32>
  %2 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%c : tensor<48xf32>) outs(%c : tensor<48xf32>) attrs = {t.third} {
  ^bb0(%x: f32, %y: f32):
    %s = arith.subf %x, %x : f32
    linalg.yield %s : f32
  } -> tensor<48xf32>
  return %0, %1, %2 : tensor<64xf32>, tensor<32xf32>, tensor<48xf32>
}
"""
# Each tag's tile size, applied in an order unlike the ops' order.
TILES = {"t.third": 16, "t.first": 8, "t.second": 4}


def _scheduled(bind: bool) -> str:
    ctx = ir.Context()
    load_kiln_dialect(ctx)
    with ctx, ir.Location.unknown():
        module = ir.Module.parse(PAYLOAD)
        sched = Schedule(ctx)
        if bind:
            sched.bind(module.operation, "t.")
        for tag, size in TILES.items():
            sched.tile_for(sched.match(attr=tag), [size])
        sched.apply(module.operation)
        return str(module)


def test_bound_handles_tile_the_ops_a_walk_finds():
    bound = _scheduled(bind=True)
    assert bound == _scheduled(bind=False)
    # Each op got its own tile size (the step of its loop).
    for step in (8, 4, 16):
        assert f"step %c{step}" in bound or f"= arith.constant {step} : index" in bound
    assert BOUND_ATTR not in bound


def test_bind_marks_only_ops_with_one_tag():
    ctx = ir.Context()
    load_kiln_dialect(ctx)
    with ctx, ir.Location.unknown():
        module = ir.Module.parse(PAYLOAD)
        sched = Schedule(ctx)
        sched.bind(module.operation, "t.")
        marked = [
            op.operation.attributes
            for op in module.body.operations[0].regions[0].blocks[0].operations
            if BOUND_ATTR in op.operation.attributes
        ]
        assert len(marked) == 2  # first and third; the twice-tagged one matches by walk
        assert sched.match(attr="t.first") is not sched.match(attr="t.first")
