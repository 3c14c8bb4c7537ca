// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-fold-constant-layout)' | FileCheck %s

// A PT2E-quantized weight: int8 values, per-channel zero point and scale, dequantized
// at compile time: ((q - zp) as f32) * scale. Row 0: (-128 - 1) * 0.5, (127 - 1) * 0.5;
// row 1: (3 - (-2)) * 2, (-4 - (-2)) * 2.
// CHECK-LABEL: func.func @dequantize_per_channel
// CHECK-NOT: linalg.generic
// CHECK: arith.constant dense<{{\[\[}}-6.450000e+01, 6.300000e+01], [1.000000e+01, -4.000000e+00]]> : tensor<2x2xf32>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @dequantize_per_channel() -> tensor<2x2xf32> {
  %q = arith.constant dense<[[-128, 127], [3, -4]]> : tensor<2x2xi8>
  %zp = arith.constant dense<[1, -2]> : tensor<2xi64>
  %scale = arith.constant dense<[0.5, 2.0]> : tensor<2xf32>
  %init = tensor.empty() : tensor<2x2xf32>
  %0 = linalg.generic {indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%q, %zp, %scale : tensor<2x2xi8>, tensor<2xi64>, tensor<2xf32>) outs(%init : tensor<2x2xf32>) {
  ^bb0(%v: i8, %z: i64, %s: f32, %out: f32):
    %w = arith.extsi %v : i8 to i64
    %d = arith.subi %w, %z : i64
    %f = arith.sitofp %d : i64 to f32
    %r = arith.mulf %f, %s : f32
    linalg.yield %r : f32
  } -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// Unsigned activations: 200 (0xC8) is 200 through extui and uitofp, never -56; the i8
// addition wraps around (100 + 100 = -56; 1 + 100 = 101) as arith.addi does.
// CHECK-LABEL: func.func @unsigned_and_wrapping
// CHECK-NOT: linalg.generic
// CHECK-DAG: arith.constant dense<[2.000000e+02, 1.000000e+00]> : tensor<2xf32>
// CHECK-DAG: arith.constant dense<[-56, 101]> : tensor<2xi8>
#v = affine_map<(d0) -> (d0)>
func.func @unsigned_and_wrapping() -> (tensor<2xf32>, tensor<2xi8>) {
  %q = arith.constant dense<[-56, 1]> : tensor<2xi8>
  %h = arith.constant dense<[100, 1]> : tensor<2xi8>
  %c = arith.constant 100 : i8
  %init = tensor.empty() : tensor<2xf32>
  %init8 = tensor.empty() : tensor<2xi8>
  %0 = linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%q : tensor<2xi8>) outs(%init : tensor<2xf32>) {
  ^bb0(%x: i8, %out: f32):
    %w = arith.extui %x : i8 to i32
    %f = arith.uitofp %w : i32 to f32
    linalg.yield %f : f32
  } -> tensor<2xf32>
  %1 = linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%h : tensor<2xi8>) outs(%init8 : tensor<2xi8>) {
  ^bb0(%x: i8, %out: i8):
    %s = arith.addi %x, %c : i8
    linalg.yield %s : i8
  } -> tensor<2xi8>
  return %0, %1 : tensor<2xf32>, tensor<2xi8>
}

// -----

// Float to integer conversions are not evaluated (out-of-range values are poison in
// arith, and numpy's answer would be one arbitrary choice): the op stays.
// CHECK-LABEL: func.func @fptosi_stays
// CHECK: linalg.generic
// CHECK: arith.fptosi
#w = affine_map<(d0) -> (d0)>
func.func @fptosi_stays() -> tensor<2xi32> {
  %x = arith.constant dense<[1.5, 3.0e+10]> : tensor<2xf32>
  %init = tensor.empty() : tensor<2xi32>
  %0 = linalg.generic {indexing_maps = [#w, #w], iterator_types = ["parallel"]}
      ins(%x : tensor<2xf32>) outs(%init : tensor<2xi32>) {
  ^bb0(%a: f32, %out: i32):
    %i = arith.fptosi %a : f32 to i32
    linalg.yield %i : i32
  } -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// -----

// i1 casts stay: arith reads i1 as signed (extsi of true is -1) and trunci to i1 keeps
// the low bit (2 -> false), where numpy's bool casts would say 1 and "nonzero".
// CHECK-LABEL: func.func @i1_casts_stay
// CHECK-COUNT-2: linalg.generic
#b = affine_map<(d0) -> (d0)>
func.func @i1_casts_stay() -> (tensor<2xi32>, tensor<2xi1>) {
  %m = arith.constant dense<[true, false]> : tensor<2xi1>
  %n = arith.constant dense<[2, 3]> : tensor<2xi32>
  %init = tensor.empty() : tensor<2xi32>
  %initb = tensor.empty() : tensor<2xi1>
  %0 = linalg.generic {indexing_maps = [#b, #b], iterator_types = ["parallel"]}
      ins(%m : tensor<2xi1>) outs(%init : tensor<2xi32>) {
  ^bb0(%x: i1, %out: i32):
    %w = arith.extsi %x : i1 to i32
    linalg.yield %w : i32
  } -> tensor<2xi32>
  %1 = linalg.generic {indexing_maps = [#b, #b], iterator_types = ["parallel"]}
      ins(%n : tensor<2xi32>) outs(%initb : tensor<2xi1>) {
  ^bb0(%x: i32, %out: i1):
    %t = arith.trunci %x : i32 to i1
    linalg.yield %t : i1
  } -> tensor<2xi1>
  return %0, %1 : tensor<2xi32>, tensor<2xi1>
}
