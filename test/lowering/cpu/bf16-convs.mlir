// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-bf16-convs)' | FileCheck %s

// A zero-padded NHWC input is converted to bf16 before its padding, into a bf16
// padded buffer (the producer of %x can then write bf16 straight into it); the
// convolution reads it in bf16; its filter and its output stay f32. The f32
// padding is gone.
// CHECK-LABEL: func.func @padded
// CHECK-SAME: (%[[X:.*]]: tensor<1x8x8x2xf32>)
// CHECK-NOT: tensor<1x10x10x2xf32>
// CHECK: %[[BF:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<1x8x8x2xf32>) outs(%{{.*}} : tensor<1x8x8x2xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: %[[BUF:.*]] = bufferization.alloc_tensor() : tensor<1x10x10x2xbf16>
// CHECK: %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : bf16) outs(%[[BUF]] : tensor<1x10x10x2xbf16>)
// CHECK: %[[PAD:.*]] = tensor.insert_slice %[[BF]] into %[[ZERO]][0, 1, 1, 0] [1, 8, 8, 2] [1, 1, 1, 1]
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[PAD]], %{{.*}} : tensor<1x10x10x2xbf16>, tensor<3x3x2x16xf32>) outs(%{{.*}} : tensor<1x8x8x16xf32>)
// CHECK-NOT: tensor<1x10x10x2xf32>
func.func @padded(%x: tensor<1x8x8x2xf32>) -> tensor<1x8x8x16xf32> {
  %w = arith.constant dense<"0x000000C00000FEBF0000FCBF0000FABF0000F8BF0000F6BF0000F4BF0000F2BF0000F0BF0000EEBF0000ECBF0000EABF0000E8BF0000E6BF0000E4BF0000E2BF0000E0BF0000DEBF0000DCBF0000DABF0000D8BF0000D6BF0000D4BF0000D2BF0000D0BF0000CEBF0000CCBF0000CABF0000C8BF0000C6BF0000C4BF0000C2BF0000C0BF0000BEBF0000BCBF0000BABF0000B8BF0000B6BF0000B4BF0000B2BF0000B0BF0000AEBF0000ACBF0000AABF0000A8BF0000A6BF0000A4BF0000A2BF0000A0BF00009EBF00009CBF00009ABF000098BF000096BF000094BF000092BF000090BF00008EBF00008CBF00008ABF000088BF000086BF000084BF000082BF000080BF00007CBF000078BF000074BF000070BF00006CBF000068BF000064BF000060BF00005CBF000058BF000054BF000050BF00004CBF000048BF000044BF000040BF00003CBF000038BF000034BF000030BF00002CBF000028BF000024BF000020BF00001CBF000018BF000014BF000010BF00000CBF000008BF000004BF000000BF0000F8BE0000F0BE0000E8BE0000E0BE0000D8BE0000D0BE0000C8BE0000C0BE0000B8BE0000B0BE0000A8BE0000A0BE000098BE000090BE000088BE000080BE000070BE000060BE000050BE000040BE000030BE000020BE000010BE000000BE0000E0BD0000C0BD0000A0BD000080BD000040BD000000BD000080BC000000000000803C0000003D0000403D0000803D0000A03D0000C03D0000E03D0000003E0000103E0000203E0000303E0000403E0000503E0000603E0000703E0000803E0000883E0000903E0000983E0000A03E0000A83E0000B03E0000B83E0000C03E0000C83E0000D03E0000D83E0000E03E0000E83E0000F03E0000F83E0000003F0000043F0000083F00000C3F0000103F0000143F0000183F00001C3F0000203F0000243F0000283F00002C3F0000303F0000343F0000383F00003C3F0000403F0000443F0000483F00004C3F0000503F0000543F0000583F00005C3F0000603F0000643F0000683F00006C3F0000703F0000743F0000783F00007C3F0000803F0000823F0000843F0000863F0000883F00008A3F00008C3F00008E3F0000903F0000923F0000943F0000963F0000983F00009A3F00009C3F00009E3F0000A03F0000A23F0000A43F0000A63F0000A83F0000AA3F0000AC3F0000AE3F0000B03F0000B23F0000B43F0000B63F0000B83F0000BA3F0000BC3F0000BE3F0000C03F0000C23F0000C43F0000C63F0000C83F0000CA3F0000CC3F0000CE3F0000D03F0000D23F0000D43F0000D63F0000D83F0000DA3F0000DC3F0000DE3F0000E03F0000E23F0000E43F0000E63F0000E83F0000EA3F0000EC3F0000EE3F0000F03F0000F23F0000F43F0000F63F0000F83F0000FA3F0000FC3F0000FE3F0000004000000140000002400000034000000440000005400000064000000740000008400000094000000A4000000B4000000C4000000D4000000E4000000F400000104000001140000012400000134000001440000015400000164000001740000018400000194000001A4000001B4000001C4000001D4000001E4000001F40"> : tensor<3x3x2x16xf32>
  %z = arith.constant 0.0 : f32
  %b = bufferization.alloc_tensor() : tensor<1x10x10x2xf32>
  %f = linalg.fill ins(%z : f32) outs(%b : tensor<1x10x10x2xf32>) -> tensor<1x10x10x2xf32>
  %p = tensor.insert_slice %x into %f[0, 1, 1, 0] [1, 8, 8, 2] [1, 1, 1, 1] : tensor<1x8x8x2xf32> into tensor<1x10x10x2xf32>
  %e = tensor.empty() : tensor<1x8x8x16xf32>
  %o = linalg.fill ins(%z : f32) outs(%e : tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
  %r = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%p, %w : tensor<1x10x10x2xf32>, tensor<3x3x2x16xf32>) outs(%o : tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
  return %r : tensor<1x8x8x16xf32>
}

// -----

// Three input channels (an RGB image): padded to four with a zero channel, in the
// input (in f32, before the conversion: LLVM cannot truncate 33 lanes to bf16, say)
// and in the filter (a zero row, still f32).
// CHECK-LABEL: func.func @odd_channels
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x4x3xf32>)
// CHECK: %[[PAD:.*]] = tensor.pad %[[X]] low[0, 0, 0, 0] high[0, 0, 0, 1]
// CHECK: } : tensor<1x4x4x3xf32> to tensor<1x4x4x4xf32>
// CHECK: %[[BF:.*]] = linalg.generic {{.*}} ins(%[[PAD]] : tensor<1x4x4x4xf32>) outs(%{{.*}} : tensor<1x4x4x4xbf16>)
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}-3.000000e+00, {{.*}}], [0.000000e+00, 0.000000e+00, {{.*}}, 0.000000e+00]]]]> : tensor<1x1x4x16xf32>
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[BF]], %[[W]] : tensor<1x4x4x4xbf16>, tensor<1x1x4x16xf32>)
func.func @odd_channels(%x: tensor<1x4x4x3xf32>) -> tensor<1x4x4x16xf32> {
  %w = arith.constant dense<[[[[-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0], [-1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0], [1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0]]]]> : tensor<1x1x3x16xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x16xf32>
  %o = linalg.fill ins(%z : f32) outs(%e : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  %r = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x4x4x3xf32>, tensor<1x1x3x16xf32>) outs(%o : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  return %r : tensor<1x4x4x16xf32>
}

// -----

// What stays f32: 24 output channels (no multiple of the dot kernel's 16 lanes), a
// runtime filter, a splat filter.
// CHECK-LABEL: func.func @unchanged
// CHECK-NOT: bf16
// CHECK-COUNT-3: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x4x2xf32>
// CHECK-NOT: bf16
func.func @unchanged(%x: tensor<1x4x4x2xf32>, %rw: tensor<1x1x2x16xf32>) -> (tensor<1x4x4x24xf32>, tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>) {
  %w24 = arith.constant dense<[[[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0], [0.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0, -9.0, -10.0, -11.0, -12.0, -13.0, -14.0, -15.0, -16.0, -17.0, -18.0, -19.0, -20.0, -21.0, -22.0, -23.0]]]]> : tensor<1x1x2x24xf32>
  %splat = arith.constant dense<0.5> : tensor<1x1x2x16xf32>
  %z = arith.constant 0.0 : f32
  %e24 = tensor.empty() : tensor<1x4x4x24xf32>
  %o24 = linalg.fill ins(%z : f32) outs(%e24 : tensor<1x4x4x24xf32>) -> tensor<1x4x4x24xf32>
  %e = tensor.empty() : tensor<1x4x4x16xf32>
  %o = linalg.fill ins(%z : f32) outs(%e : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  %a = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w24 : tensor<1x4x4x2xf32>, tensor<1x1x2x24xf32>) outs(%o24 : tensor<1x4x4x24xf32>) -> tensor<1x4x4x24xf32>
  %b = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %rw : tensor<1x4x4x2xf32>, tensor<1x1x2x16xf32>) outs(%o : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %splat : tensor<1x4x4x2xf32>, tensor<1x1x2x16xf32>) outs(%o : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  return %a, %b, %c : tensor<1x4x4x24xf32>, tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>
}
