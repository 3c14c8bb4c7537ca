// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-profile-regions)' | FileCheck %s
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(kiln-profile-regions{bogus=1})' 2>&1 | FileCheck %s --check-prefix=ERR

// Each top-level loop nest of a public function is bracketed by cycle-counter
// reads whose difference accumulates into its slot of @__kiln_profile; the
// regions are named in the module attribute, and @__kiln_profile_read copies
// the counters out. Private functions are not instrumented.
// CHECK: module attributes {kiln.profile_regions = ["00 elementwise [64] at {{.*}}", "01 elementwise [64] at {{.*}}"]}
// CHECK: memref.global "private" @__kiln_profile : memref<2xi64> = dense<0>
// CHECK-LABEL: func.func @entry
// CHECK: %[[T0:.*]] = llvm.call_intrinsic "llvm.readcyclecounter"() : () -> i64
// CHECK-NEXT: scf.for
// CHECK: %[[T1:.*]] = llvm.call_intrinsic "llvm.readcyclecounter"() : () -> i64
// CHECK-NEXT: %[[D:.*]] = arith.subi %[[T1]], %[[T0]] : i64
// CHECK: %[[OLD:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<2xi64>
// CHECK-NEXT: %[[NEW:.*]] = arith.addi %[[OLD]], %[[D]] : i64
// CHECK-NEXT: memref.store %[[NEW]]
// CHECK-LABEL: func.func private @helper
// CHECK-NOT: readcyclecounter
// CHECK-LABEL: func.func @__kiln_profile_read
// CHECK: memref.copy {{.*}} : memref<2xi64> to memref<2xi64>
func.func @entry(%a: memref<64xf32>, %b: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c64 step %c1 {
    %v = memref.load %a[%i] : memref<64xf32>
    memref.store %v, %b[%i] : memref<64xf32>
  }
  scf.for %i = %c0 to %c64 step %c1 {
    %v = memref.load %b[%i] : memref<64xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %b[%i] : memref<64xf32>
  }
  return
}
func.func private @helper(%a: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c64 step %c1 {
    %v = memref.load %a[%i] : memref<64xf32>
    memref.store %v, %a[%i] : memref<64xf32>
  }
  return
}

// ERR: error: pass 'kiln-profile-regions' has no option 'bogus'
