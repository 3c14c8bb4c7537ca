"""kiln-approximate-math meets its documented error bounds (vs float64 references)."""

import math

import numpy as np
import pytest

import kiln

N = 1 << 18

SOURCE = """
#id = affine_map<(d0) -> (d0)>
func.func @f(%x: tensor<NNxf32>) -> (tensor<NNxf32>, tensor<NNxf32>, tensor<NNxf32>) {
  %e = tensor.empty() : tensor<NNxf32>
  %r:3 = linalg.generic {indexing_maps = [#id, #id, #id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<NNxf32>) outs(%e, %e, %e : tensor<NNxf32>, tensor<NNxf32>, tensor<NNxf32>) {
  ^bb0(%in: f32, %o1: f32, %o2: f32, %o3: f32):
    %a = math.exp %in : f32
    %b = math.tanh %in : f32
    %c = math.erf %in : f32
    linalg.yield %a, %b, %c : f32, f32, f32
  } -> (tensor<NNxf32>, tensor<NNxf32>, tensor<NNxf32>)
  return %r#0, %r#1, %r#2 : tensor<NNxf32>, tensor<NNxf32>, tensor<NNxf32>
}
""".replace("NN", str(N))


@pytest.fixture(scope="module")
def results():
    rng = np.random.default_rng(0)
    q = N // 4
    x = np.concatenate(
        [
            rng.uniform(-100, 100, q),
            rng.uniform(-10, 10, q),
            rng.uniform(-1, 1, q),
            rng.normal(0, 1e-3, q),
        ]
    ).astype(np.float32)
    x[:4] = [np.inf, -np.inf, np.nan, 0.0]
    compiled = kiln.compile(SOURCE, threads=1)
    return x, compiled(x)


def test_exp_relative_error(results):
    x, (e, _, _) = results
    ref = np.exp(x.astype(np.float64))
    normal = np.isfinite(ref) & (ref > np.finfo(np.float32).tiny) & (ref < np.finfo(np.float32).max)
    assert np.max(np.abs(e[normal] - ref[normal]) / ref[normal]) <= 1e-7
    assert e[0] == np.inf and e[1] == 0.0 and np.isnan(e[2]) and e[3] == 1.0


def test_tanh_absolute_error(results):
    x, (_, t, _) = results
    ref = np.tanh(x.astype(np.float64))
    assert np.nanmax(np.abs(t - ref)) <= 4e-7
    assert t[0] == 1.0 and t[1] == -1.0 and np.isnan(t[2]) and t[3] == 0.0


def test_erf_absolute_error(results):
    x, (_, _, f) = results
    ref = np.array([math.erf(v) if np.isfinite(v) else np.nan for v in x.astype(np.float64)])
    finite = np.isfinite(x)
    assert np.max(np.abs(f[finite] - ref[finite])) <= 5e-7
    assert np.max(np.abs(f[finite])) <= 1.0
    assert f[0] == 1.0 and f[1] == -1.0 and np.isnan(f[2]) and f[3] == 0.0
