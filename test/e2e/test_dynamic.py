"""Dynamic shapes: compile once with symbolic dimensions, run at several sizes, same numerics.

Dynamic entry points pass MLIR memref descriptors and return buffers they
allocate (kiln.runtime.descriptors); their code runs as scalar loops for now.
"""

import pytest
import torch
from torch.export import Dim

import kiln
from kiln.zoo import MLP, SmallCNN, encoder_layer


def _check_sizes(model, compiled, shapes, rtol=1e-4, atol=1e-5):
    for shape in shapes:
        x = torch.randn(*shape)
        with torch.no_grad():
            reference = model(x)
        out = compiled(x)
        assert out.shape == reference.shape
        torch.testing.assert_close(out, reference, rtol=rtol, atol=atol)


def test_symbolic_batch_mlp():
    torch.manual_seed(0)
    model = MLP().eval()
    compiled = kiln.compile(
        model, torch.randn(32, 784), threads=2, dynamic_shapes={"x": {0: Dim("batch", max=1024)}}
    )
    assert compiled.signature.inputs[0].shape == (None, 784)
    _check_sizes(model, compiled, [(1, 784), (7, 784), (32, 784), (100, 784)])


def test_symbolic_batch_cnn():
    torch.manual_seed(0)
    model = SmallCNN().eval()
    compiled = kiln.compile(
        model, torch.randn(8, 3, 32, 32), threads=2, dynamic_shapes={"x": {0: Dim("batch", max=64)}}
    )
    _check_sizes(model, compiled, [(1, 3, 32, 32), (5, 3, 32, 32)], atol=1e-4)


@pytest.mark.parametrize("dim", [0, 1], ids=["batch", "sequence"])
def test_symbolic_batch_or_sequence_encoder(dim):
    torch.manual_seed(0)
    model = encoder_layer().eval()
    name = "batch" if dim == 0 else "sequence"
    compiled = kiln.compile(
        model,
        torch.randn(2, 128, 512),
        threads=2,
        dynamic_shapes={"src": {dim: Dim(name, min=2, max=512)}},
    )
    shapes = [(3, 128, 512), (2, 128, 512)] if dim == 0 else [(2, 64, 512), (2, 100, 512)]
    _check_sizes(model, compiled, shapes, atol=1e-4)


def test_merging_two_dynamic_dims_is_refused_clearly():
    """torch-mlir specializes view(b*s, d) with two dynamic dims; kiln refuses instead of computing wrong."""

    class Linear3D(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(16, 8)

        def forward(self, x):
            return self.linear(x)

    dyn = {"x": {0: Dim("b", max=16), 1: Dim("s", min=2, max=64)}}
    with pytest.raises(
        kiln.KilnError, match="dimension 1 of a tensor<\\?x\\?x16xf32> value is assumed to be 1"
    ):
        kiln.compile(Linear3D().eval(), torch.randn(2, 8, 16), threads=1, dynamic_shapes=dyn)


def test_dynamic_inputs_are_checked():
    torch.manual_seed(0)
    compiled = kiln.compile(
        MLP().eval(), torch.randn(4, 784), threads=1, dynamic_shapes={"x": {0: Dim("batch")}}
    )
    with pytest.raises(
        kiln.InputMismatchError, match=r"expected float32\[\?, 784\], got float32\[4, 783\]"
    ):
        compiled(torch.randn(4, 783))
    with pytest.raises(
        kiln.InputMismatchError, match=r"expected float32\[\?, 784\], got float32\[784\]"
    ):
        compiled(torch.randn(784))


def test_failed_runtime_check_raises_instead_of_aborting():
    """torch-mlir's runtime checks (cf.assert) become a KilnError; the process survives."""

    class Add(torch.nn.Module):
        def forward(self, x, y):
            return x + y

    batch = Dim("batch", max=64)
    compiled = kiln.compile(
        Add(),
        torch.randn(4, 3),
        torch.randn(4, 3),
        threads=1,
        dynamic_shapes={"x": {0: batch}, "y": {0: batch}},
    )
    with pytest.raises(
        kiln.KilnError, match="a runtime check failed: mismatched size for broadcast"
    ):
        compiled(torch.randn(5, 3), torch.randn(6, 3))
    # The next good call works.
    x, y = torch.randn(2, 3), torch.randn(2, 3)
    torch.testing.assert_close(compiled(x, y), x + y)


def test_output_too_large_to_allocate_is_refused_before_the_call():
    """A 4 TiB output (from an 8 MiB input) is a BufferTooLargeError naming it, not a segfault.

    The code allocates dynamic outputs itself; kiln-result-shapes gives the
    runtime their sizes first.
    """

    class Outer(torch.nn.Module):
        def forward(self, x):
            return x.unsqueeze(2) * x.unsqueeze(1)

    compiled = kiln.compile(
        Outer(), torch.randn(4, 8), threads=1, dynamic_shapes={"x": {1: Dim("n", max=2**20)}}
    )
    with pytest.raises(
        kiln.BufferTooLargeError,
        match=r"forward: output 0 of shape \[4, 524288, 524288\] and dtype float32 needs 4\.0 TiB",
    ):
        compiled(torch.randn(4, 2**19))
    x = torch.randn(4, 5)
    torch.testing.assert_close(compiled(x), x.unsqueeze(2) * x.unsqueeze(1), rtol=0, atol=0)


def test_intermediate_too_large_to_allocate_is_refused_before_the_call():
    """A 335 GiB intermediate (x @ x.T of 300,000 rows, reduced to a small output) is a
    BufferTooLargeError, not a segfault: the shape function sizes intermediates too."""

    class RowSums(torch.nn.Module):
        def forward(self, x):
            return (torch.relu(x) @ x.T).sum(1)

    compiled = kiln.compile(
        RowSums(), torch.randn(4, 8), threads=1, dynamic_shapes={"x": {0: Dim("rows")}}
    )
    with pytest.raises(
        kiln.BufferTooLargeError,
        match=r"forward: for these input shapes, intermediate tensor \d+ of the computation "
        r"needs 335\.3 GiB",
    ):
        compiled(torch.randn(300_000, 8))
    x = torch.randn(37, 8)
    expected = (torch.relu(x) @ x.T).sum(1)
    torch.testing.assert_close(compiled(x), expected, rtol=1e-4, atol=1e-4)
