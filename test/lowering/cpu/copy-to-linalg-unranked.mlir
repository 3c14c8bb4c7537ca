// Bug: kiln-copy-to-linalg fails on a memref.copy of unranked memrefs with the
// internal message "Cannot cast type to MemRefType (from Type(memref<*xf32>))"
// (_identity_layout assumes a ranked memref). linalg.copy cannot take unranked
// operands, so the copy should be left alone.
// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-copy-to-linalg)' | FileCheck %s

// CHECK-LABEL: func.func @unranked
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<*xf32> to memref<*xf32>
func.func @unranked(%src: memref<*xf32>, %dst: memref<*xf32>) {
  memref.copy %src, %dst : memref<*xf32> to memref<*xf32>
  return
}
