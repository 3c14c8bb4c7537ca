// kiln-gpu-mma-sync: in each gpu.module holding a vector.contract, the warp-level 16x8xk
// contractions become nvgpu.mma.sync fed by ldmatrix (16-bit tiles in shared memory) or
// per-lane loads; f32 ones run as TF32; bf16 tiles go through the f16 conversion and are
// bitcast back, so the mma multiplies bf16.
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-gpu-mma-sync)' > %t.out 2> %t.err
// RUN: FileCheck %s < %t.out
// RUN: FileCheck %s --check-prefix=ERR < %t.err
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-gpu-mma-sync, canonicalize)' > %t.clean 2> /dev/null
// RUN: FileCheck %s --check-prefix=CLEAN < %t.clean

#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>

// CHECK-LABEL: gpu.module @f16
// CHECK: gpu.func @k(%[[C:.*]]: memref<16x8xf32>) kernel
// CHECK-DAG: %[[SA:.*]] = memref.get_global @__kiln_shared_0 : memref<16x16xf16, #gpu.address_space<workgroup>>
// CHECK-DAG: %[[SB:.*]] = memref.get_global @__kiln_shared_1 : memref<16x8xf16, #gpu.address_space<workgroup>>
// CHECK: %[[FA:.*]] = nvgpu.ldmatrix %[[SA]][{{.*}}] {numTiles = 4 : i32, transpose = false} : memref<16x16xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// CHECK: vector.load %[[C]]
// CHECK: %[[FB:.*]] = nvgpu.ldmatrix %[[SB]][{{.*}}] {numTiles = 2 : i32, transpose = true} : memref<16x8xf16, #gpu.address_space<workgroup>> -> vector<2x2xf16>
// CHECK: %[[D:.*]] = nvgpu.mma.sync(%[[FA]], %[[FB]], %{{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK: vector.extract %[[D]][0]
// CHECK: vector.store {{.*}}, %[[C]]
// CLEAN-LABEL: gpu.module @f16
// CLEAN: nvgpu.mma.sync
// CLEAN-NOT: vector.contract
// CLEAN: gpu.return
module attributes {gpu.container_module} {
  gpu.module @f16 {
    memref.global "private" @__kiln_shared_0 : memref<16x16xf16, #gpu.address_space<workgroup>> {alignment = 64 : i64}
    memref.global "private" @__kiln_shared_1 : memref<16x8xf16, #gpu.address_space<workgroup>> {alignment = 64 : i64}
    gpu.func @k(%c: memref<16x8xf32>) kernel {
      %c0 = arith.constant 0 : index
      %h0 = arith.constant 0.0 : f16
      %f0 = arith.constant 0.0 : f32
      %sa = memref.get_global @__kiln_shared_0 : memref<16x16xf16, #gpu.address_space<workgroup>>
      %sb = memref.get_global @__kiln_shared_1 : memref<16x8xf16, #gpu.address_space<workgroup>>
      %va = vector.transfer_read %sa[%c0, %c0], %h0 {in_bounds = [true, true]} : memref<16x16xf16, #gpu.address_space<workgroup>>, vector<16x16xf16>
      %vb = vector.transfer_read %sb[%c0, %c0], %h0 {in_bounds = [true, true]} : memref<16x8xf16, #gpu.address_space<workgroup>>, vector<16x8xf16>
      %vc = vector.transfer_read %c[%c0, %c0], %f0 {in_bounds = [true, true]} : memref<16x8xf32>, vector<16x8xf32>
      %r = vector.contract {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %va, %vb, %vc : vector<16x16xf16>, vector<16x8xf16> into vector<16x8xf32>
      vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x8xf32>
      gpu.return
    }
  }
}

// -----

// f32 operands: tensor cores only as TF32 (kiln-gpu-tile sends f32 there only when allowed).
// CHECK-LABEL: gpu.module @f32
// CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 8], tf32Enabled} : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
module attributes {gpu.container_module} {
  gpu.module @f32 {
    gpu.func @k(%a: memref<16x8xf32>, %b: memref<8x8xf32>, %c: memref<16x8xf32>) kernel {
      %c0 = arith.constant 0 : index
      %f0 = arith.constant 0.0 : f32
      %va = vector.transfer_read %a[%c0, %c0], %f0 {in_bounds = [true, true]} : memref<16x8xf32>, vector<16x8xf32>
      %vb = vector.transfer_read %b[%c0, %c0], %f0 {in_bounds = [true, true]} : memref<8x8xf32>, vector<8x8xf32>
      %vc = vector.transfer_read %c[%c0, %c0], %f0 {in_bounds = [true, true]} : memref<16x8xf32>, vector<16x8xf32>
      %r = vector.contract {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %va, %vb, %vc : vector<16x8xf32>, vector<8x8xf32> into vector<16x8xf32>
      vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x8xf32>
      gpu.return
    }
  }
}

// -----

// bf16: the shared tiles are typed f16 for the conversion (the copy into them bitcasts its
// vector), and the ldmatrix results are bitcast back: the mma multiplies bf16.
// CHECK-LABEL: gpu.module @bf16
// CHECK: memref.global "private" @__kiln_shared_0 : memref<16x16xf16, #gpu.address_space<workgroup>>
// CHECK: memref.global "private" @__kiln_shared_1 : memref<16x8xf16, #gpu.address_space<workgroup>>
// CHECK: %[[G:.*]] = vector.transfer_read %{{.*}} : memref<16x16xbf16>, vector<16x16xbf16>
// CHECK: %[[PUN:.*]] = arith.bitcast %[[G]] : vector<16x16xbf16> to vector<16x16xf16>
// CHECK: vector.transfer_write %[[PUN]], {{.*}} : vector<16x16xf16>, memref<16x16xf16, #gpu.address_space<workgroup>>
// CHECK: %[[FA:.*]] = nvgpu.ldmatrix {{.*}} -> vector<4x2xf16>
// CHECK: %[[FB:.*]] = nvgpu.ldmatrix {{.*}} -> vector<2x2xf16>
// CHECK: %[[A16:.*]] = arith.bitcast %[[FA]] : vector<4x2xf16> to vector<4x2xbf16>
// CHECK: %[[B16:.*]] = arith.bitcast %[[FB]] : vector<2x2xf16> to vector<2x2xbf16>
// CHECK: nvgpu.mma.sync(%[[A16]], %[[B16]], %{{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
module attributes {gpu.container_module} {
  gpu.module @bf16 {
    memref.global "private" @__kiln_shared_0 : memref<16x16xbf16, #gpu.address_space<workgroup>> {alignment = 64 : i64}
    memref.global "private" @__kiln_shared_1 : memref<16x8xbf16, #gpu.address_space<workgroup>> {alignment = 64 : i64}
    gpu.func @k(%a: memref<16x16xbf16>, %c: memref<16x8xf32>) kernel {
      %c0 = arith.constant 0 : index
      %h0 = arith.constant 0.0 : bf16
      %f0 = arith.constant 0.0 : f32
      %sa = memref.get_global @__kiln_shared_0 : memref<16x16xbf16, #gpu.address_space<workgroup>>
      %sb = memref.get_global @__kiln_shared_1 : memref<16x8xbf16, #gpu.address_space<workgroup>>
      %ga = vector.transfer_read %a[%c0, %c0], %h0 {in_bounds = [true, true]} : memref<16x16xbf16>, vector<16x16xbf16>
      vector.transfer_write %ga, %sa[%c0, %c0] {in_bounds = [true, true]} : vector<16x16xbf16>, memref<16x16xbf16, #gpu.address_space<workgroup>>
      %va = vector.transfer_read %sa[%c0, %c0], %h0 {in_bounds = [true, true]} : memref<16x16xbf16, #gpu.address_space<workgroup>>, vector<16x16xbf16>
      %vb = vector.transfer_read %sb[%c0, %c0], %h0 {in_bounds = [true, true]} : memref<16x8xbf16, #gpu.address_space<workgroup>>, vector<16x8xbf16>
      %vc = vector.transfer_read %c[%c0, %c0], %f0 {in_bounds = [true, true]} : memref<16x8xf32>, vector<16x8xf32>
      %r = vector.contract {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %va, %vb, %vc : vector<16x16xbf16>, vector<16x8xbf16> into vector<16x8xf32>
      vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x8xf32>
      gpu.return
    }
  }
}

// -----

// Must not change: a kernel without contractions (its vector code is not the conversion's).
// CHECK-LABEL: gpu.module @no_contraction
// CHECK: %[[V:.*]] = vector.transfer_read %{{.*}} : memref<16xf32>, vector<16xf32>
// CHECK: %[[S:.*]] = vector.reduction <add>, %[[V]] : vector<16xf32> into f32
// CHECK: memref.store %[[S]]
// CHECK-NOT: nvgpu.
module attributes {gpu.container_module} {
  gpu.module @no_contraction {
    gpu.func @k(%x: memref<16xf32>, %out: memref<1xf32>) kernel {
      %c0 = arith.constant 0 : index
      %f0 = arith.constant 0.0 : f32
      %v = vector.transfer_read %x[%c0], %f0 {in_bounds = [true]} : memref<16xf32>, vector<16xf32>
      %s = vector.reduction <add>, %v : vector<16xf32> into f32
      memref.store %s, %out[%c0] : memref<1xf32>
      gpu.return
    }
  }
}

// -----

// A bf16 tile read by anything but vector transfers cannot be retyped: an error at the read.
module attributes {gpu.container_module} {
  gpu.module @bf16_scalar_read {
    memref.global "private" @__kiln_shared_0 : memref<16x16xbf16, #gpu.address_space<workgroup>> {alignment = 64 : i64}
    gpu.func @k(%c: memref<16x8xf32>, %out: memref<1xbf16>) kernel {
      %c0 = arith.constant 0 : index
      %h0 = arith.constant 0.0 : bf16
      %f0 = arith.constant 0.0 : f32
      %sa = memref.get_global @__kiln_shared_0 : memref<16x16xbf16, #gpu.address_space<workgroup>>
      // ERR: gpu-mma-sync.mlir:[[# @LINE + 1]]:16: error: kiln-gpu-mma-sync: cannot retype a bf16 tile used by memref.load
      %first = memref.load %sa[%c0, %c0] : memref<16x16xbf16, #gpu.address_space<workgroup>>
      memref.store %first, %out[%c0] : memref<1xbf16>
      %va = vector.transfer_read %sa[%c0, %c0], %h0 {in_bounds = [true, true]} : memref<16x16xbf16, #gpu.address_space<workgroup>>, vector<16x16xbf16>
      %vb = vector.transfer_read %sa[%c0, %c0], %h0 {in_bounds = [true, true]} : memref<16x16xbf16, #gpu.address_space<workgroup>>, vector<16x8xbf16>
      %vc = vector.transfer_read %c[%c0, %c0], %f0 {in_bounds = [true, true]} : memref<16x8xf32>, vector<16x8xf32>
      %r = vector.contract {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %va, %vb, %vc : vector<16x16xbf16>, vector<16x8xbf16> into vector<16x8xf32>
      vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x8xf32>
      gpu.return
    }
  }
}

// -----

// A contraction that is no 16 x 8 x k warp tile (hand-written: kiln-gpu-distribute never
// leaves one) is an error at the contraction; the conversion built an invalid mma.sync
// from it (an internal error, found by the fuzzer).
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
module attributes {gpu.container_module} {
  gpu.module @three_rows {
    gpu.func @k(%a: memref<3x8xf32>, %b: memref<8x8xf32>, %c: memref<3x8xf32>) kernel {
      %c0 = arith.constant 0 : index
      %f0 = arith.constant 0.0 : f32
      %va = vector.transfer_read %a[%c0, %c0], %f0 {in_bounds = [true, true]} : memref<3x8xf32>, vector<3x8xf32>
      %vb = vector.transfer_read %b[%c0, %c0], %f0 {in_bounds = [true, true]} : memref<8x8xf32>, vector<8x8xf32>
      %vc = vector.transfer_read %c[%c0, %c0], %f0 {in_bounds = [true, true]} : memref<3x8xf32>, vector<3x8xf32>
      // ERR: gpu-mma-sync.mlir:[[# @LINE + 1]]:12: error: kiln-gpu-mma-sync: a tensor-core contraction must be one 16 x 8 x k warp tile (k a multiple of 4), got f32 operands 3x8 into 3x8
      %r = vector.contract {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %va, %vb, %vc : vector<3x8xf32>, vector<8x8xf32> into vector<3x8xf32>
      vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<3x8xf32>, memref<3x8xf32>
      gpu.return
    }
  }
}

// -----

// A contraction into a scalar (a dot product) is no matmul: the conversion leaves it, and
// so does the check (it raised a Python ValueError on the scalar accumulator at first).
// CHECK-LABEL: gpu.module @dot
// CHECK: vector.contract {{.*}} : vector<8xf32>, vector<8xf32> into f32
// CHECK-NOT: nvgpu.mma.sync
#d = affine_map<(d0) -> (d0)>
#s = affine_map<(d0) -> ()>
module attributes {gpu.container_module} {
  gpu.module @dot {
    gpu.func @k(%a: memref<8xf32>, %b: memref<8xf32>, %c: memref<f32>) kernel {
      %c0 = arith.constant 0 : index
      %f0 = arith.constant 0.0 : f32
      %va = vector.transfer_read %a[%c0], %f0 {in_bounds = [true]} : memref<8xf32>, vector<8xf32>
      %vb = vector.transfer_read %b[%c0], %f0 {in_bounds = [true]} : memref<8xf32>, vector<8xf32>
      %vc = memref.load %c[] : memref<f32>
      %r = vector.contract {indexing_maps = [#d, #d, #s], iterator_types = ["reduction"], kind = #vector.kind<add>} %va, %vb, %vc : vector<8xf32>, vector<8xf32> into f32
      memref.store %r, %c[] : memref<f32>
      gpu.return
    }
  }
}
