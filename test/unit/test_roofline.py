"""kiln/debug/roofline.py: flops and bytes of loop nests, and the roofline SVG."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from kiln.lowering.cpu.profile_regions import describe_nest, profiled_nests

from kiln.debug.roofline import NestCost, Point, nest_costs, roofline_svg

# Three nests: a 4 x 16 x (2 FMAs of 8 lanes) loop over views of A, B and a global;
# a parallel loop (2 x 3) of scalar adds; a loop with a bound only known at run time.
NESTS = """\
memref.global "private" @w : memref<64xf32> = uninitialized
func.func @f(%a: memref<4x64xf32>, %b: memref<4x64xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @w : memref<64xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %row = memref.subview %a[%i, 0] [1, 64] [1, 1] : memref<4x64xf32> to memref<64xf32, strided<[1], offset: ?>>
    scf.for %j = %c0 to %c64 step %c4 {
      %x = vector.transfer_read %row[%j], %zero : memref<64xf32, strided<[1], offset: ?>>, vector<8xf32>
      %y = vector.transfer_read %w[%j], %zero : memref<64xf32>, vector<8xf32>
      %f = vector.fma %x, %y, %x : vector<8xf32>
      %g = vector.fma %f, %y, %x : vector<8xf32>
      vector.transfer_write %g, %b[%i, %j] : vector<8xf32>, memref<4x64xf32>
    }
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c2, %c3) step (%c1, %c1) {
    %v = memref.load %a[%i, %j] : memref<4x64xf32>
    %s = arith.addf %v, %v : f32
    %t = arith.cmpf olt, %s, %v : f32
    memref.store %s, %a[%i, %j] : memref<4x64xf32>
    scf.reduce
  }
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %b[%i, %c0] : memref<4x64xf32>
    %s = arith.mulf %v, %v : f32
    memref.store %s, %b[%i, %c0] : memref<4x64xf32>
  }
  return
}
"""


def test_flops_count_lanes_fmas_and_trip_counts(parse):
    module = parse(NESTS)
    costs = nest_costs(profiled_nests(module.operation))
    assert costs[0].flops == 4 * 16 * 2 * 2 * 8
    assert costs[1].flops == 2 * 3  # the compare is no flop
    assert costs[2].flops is None  # the bound %n is only known at run time


def test_bf16_dot_products_count_four_flops_a_lane(parse):
    """vdpbf16ps: per f32 lane two bf16 products and two adds; the nest says so."""
    module = parse(
        """\
func.func @f(%acc: vector<16xf32>, %a: vector<32xbf16>, %b: vector<32xbf16>, %o: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    %d = x86.avx512.dot %acc, %a, %b : vector<32xbf16> -> vector<16xf32>
    vector.transfer_write %d, %o[%c0] : vector<16xf32>, memref<16xf32>
  }
  return
}
"""
    )
    nests = profiled_nests(module.operation)
    assert nest_costs(nests)[0].flops == 8 * 4 * 16
    assert describe_nest(nests[0]).startswith("bf16-dot [16]")


def test_bytes_count_each_buffer_once_through_its_views(parse):
    module = parse(NESTS)
    costs = nest_costs(profiled_nests(module.operation))
    assert costs[0].bytes == 4 * 64 * 4 * 2 + 64 * 4  # a and b (1 KiB each), the global w
    assert costs[1].bytes == 4 * 64 * 4
    assert costs[0].intensity == costs[0].flops / costs[0].bytes
    assert NestCost(None, 10).intensity is None and NestCost(0, 10).intensity is None


def test_roofline_svg_draws_the_roofs_and_links_each_point():
    points = [
        Point("00", "nest-00", 14.0, 12.5, "00 fma: 12.5 GFLOP/s"),
        Point("01", "nest-01", 0.1, 0.4, "01 elementwise <copy> & more"),
    ]
    svg = roofline_svg(points, peak_gflops=60.0, bandwidth_gbs=10.0)
    root = ET.fromstring(svg)  # well-formed XML, titles escaped
    ns = {"svg": "http://www.w3.org/2000/svg"}
    circles = root.findall(".//svg:circle", ns)
    assert len(circles) == 2
    links = [a.get("href") for a in root.findall(".//svg:a", ns)]
    assert links == ["#nest-00", "#nest-01"]
    assert "01 elementwise <copy> & more" in [t.text for t in root.findall(".//svg:title", ns)]
    roof = root.find(".//svg:polyline", ns).get("points").split()
    assert len(roof) == 3
    # The roof's two right points are at the same height (the peak); the left one is lower.
    ys = [float(p.split(",")[1]) for p in roof]
    assert ys[1] == ys[2] and ys[0] > ys[1]
    assert re.search(r"peak 60 GFLOP/s", svg) and "10.0 GB/s" in svg
    # A point under the slanted roof is drawn below the roof's height at its x.
    assert float(circles[1].get("cy")) > ys[1]
