// RUN: not kiln-opt %s --pass-pipeline='builtin.module(kiln-lower-int8-dots)' 2>&1 | FileCheck %s

// The op's verifier rejects other vector types.
// CHECK: 'kiln.vpdpbusd' takes vector<16xi32>, vector<64xi8>, vector<64xi8> and returns vector<16xi32>, got vector<8xi32>
func.func @bad(%acc: vector<8xi32>, %a: vector<32xi8>, %b: vector<32xi8>) -> vector<8xi32> {
  %d = "kiln.vpdpbusd"(%acc, %a, %b) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
  return %d : vector<8xi32>
}
