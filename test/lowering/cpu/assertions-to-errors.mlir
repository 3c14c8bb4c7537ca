// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-assertions-to-errors)' | FileCheck %s

// Each cf.assert sets its own flag when its condition is false; the messages
// are listed in slot order for the runtime, and a reader copies and clears
// the flags.
// CHECK: module attributes {kiln.assertions = ["mismatched size for broadcast (at {{.*}}:24:3)", "division by zero (at {{.*}}:26:3)"]}
// CHECK: memref.global "private" @__kiln_errors : memref<2xi32> = dense<0>
// CHECK-LABEL: func.func @checked
// CHECK-NOT: cf.assert
// CHECK: %[[OK0:.*]] = arith.cmpi eq
// CHECK: %[[BAD0:.*]] = arith.xori %[[OK0]], %{{.*}} : i1
// CHECK: scf.if %[[BAD0]] {
// CHECK:   %[[F0:.*]] = memref.get_global @__kiln_errors
// CHECK:   memref.store %{{.*}}, %[[F0]][%c0]
// CHECK: %[[OK1:.*]] = arith.cmpi ne
// CHECK: %[[BAD1:.*]] = arith.xori %[[OK1]], %{{.*}} : i1
// CHECK: scf.if %[[BAD1]] {
// CHECK:   memref.store %{{.*}}, %{{.*}}[%c1]
// CHECK-LABEL: func.func @__kiln_errors_read
// CHECK-SAME: (%[[OUT:.*]]: memref<2xi32>)
// CHECK: memref.copy %{{.*}}, %[[OUT]]
func.func @checked(%a: index, %b: index) {
  %eq = arith.cmpi eq, %a, %b : index
  cf.assert %eq, "mismatched size for broadcast"
  %nz = arith.cmpi ne, %b, %a : index
  cf.assert %nz, "division by zero"
  return
}

// -----

// Without assertions the module is unchanged: no global, no reader.
// CHECK-NOT: kiln.assertions
// CHECK-NOT: __kiln_errors
// CHECK-LABEL: func.func @plain
func.func @plain() {
  return
}
