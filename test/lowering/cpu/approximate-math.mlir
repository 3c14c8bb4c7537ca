// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-approximate-math)' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-approximate-math{functions=exp,log})' 2>&1 | FileCheck %s --check-prefix=ERR

// exp on a vector becomes arithmetic: floor for the range reduction, a bitcast
// for 2^n, selects for inf/zero/NaN; no math.exp (and no libm call) is left. The
// multiply-adds may fuse into FMAs (fastmath contract), nothing else is relaxed.
// CHECK-LABEL: func.func @vector_exp
// CHECK-NOT: math.exp
// CHECK: %[[M:.*]] = arith.mulf {{.*}} fastmath<contract> : vector<8xf32>
// CHECK: arith.addf %[[M]], {{.*}} fastmath<contract> : vector<8xf32>
// CHECK: math.floor {{.*}} : vector<8xf32>
// CHECK: arith.bitcast {{.*}} : vector<8xi32> to vector<8xf32>
// CHECK: arith.cmpf uno
// CHECK: return
func.func @vector_exp(%x: vector<8xf32>) -> vector<8xf32> {
  %0 = math.exp %x : vector<8xf32>
  return %0 : vector<8xf32>
}

// -----

// tanh is a rational function of the clamped input.
// CHECK-LABEL: func.func @scalar_tanh
// CHECK-NOT: math.tanh
// CHECK: arith.divf
// CHECK: return
func.func @scalar_tanh(%x: f32) -> f32 {
  %0 = math.tanh %x : f32
  return %0 : f32
}

// -----

// erf is odd by construction: x * P(x^2) / Q(x^2) on x clamped to +-4, one division and no
// exp; the result clamped to +-1.
// CHECK-LABEL: func.func @vector_erf
// CHECK-NOT: math.erf
// CHECK: %[[LO:.*]] = arith.maximumf %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK: %[[XC:.*]] = arith.minimumf %[[LO]], %{{.*}} : vector<4xf32>
// CHECK: %[[X2:.*]] = arith.mulf %[[XC]], %[[XC]] : vector<4xf32>
// CHECK-NOT: math.floor
// CHECK: arith.divf
// CHECK-NOT: math.copysign
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: return
func.func @vector_erf(%x: vector<4xf32>) -> vector<4xf32> {
  %0 = math.erf %x : vector<4xf32>
  return %0 : vector<4xf32>
}

// -----

// f64 math is left alone: the bounds are only established for f32.
// CHECK-LABEL: func.func @f64_untouched
// CHECK: math.exp {{.*}} : f64
func.func @f64_untouched(%x: f64) -> f64 {
  %0 = math.exp %x : f64
  return %0 : f64
}

// ERR: error: kiln-approximate-math: cannot approximate log (choose from exp, tanh, erf)
