"""The CPU target (x86-64, AArch64): its options and its whole pipeline, one stage list.

The stages, each a level of the IR:
- ``graph``: constants folded (weights pre-transposed and pre-packed),
  convolutions and poolings in NHWC, elementwise chains fused, contractions
  in register-block form;
- ``grouped``: each contraction and its epilogue in a ``kiln.fusion_group``;
- ``tiled``: tiled for threads (``scf.forall``) and for registers;
- ``vectorized``: tiles are vector code, contractions are FMAs;
- ``bufferized``: memrefs, out-params, accumulators hoisted to registers.
  Each entry function takes its results as trailing out-params, so the runtime
  hands in the output storage; static temporaries are module globals; every
  remaining allocation is freed. Copies are ``linalg.copy`` (never
  ``memref.copy``, which calls ``memrefCopy``, a runtime function the
  torch-mlir wheel does not ship);
- ``loops``: scf loops and OpenMP parallel regions; no linalg or affine;
- ``llvm``: only ``llvm.*`` ops (and ``omp.*`` around LLVM code), memref
  arguments as bare pointers for static shapes, ready for the JIT.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from kiln.lowering.cpu.approximate_math import ApproximateMath
from kiln.lowering.cpu.assertions_to_errors import AssertionsToErrors
from kiln.lowering.cpu.bf16_conv_blocks import Bf16ConvBlocks
from kiln.lowering.cpu.bf16_convs import Bf16Convs
from kiln.lowering.cpu.block_epilogues import BlockEpilogues
from kiln.lowering.cpu.buffer_deallocation import BufferDeallocation
from kiln.lowering.cpu.conv_to_nhwc import ConvToNHWC
from kiln.lowering.cpu.copy_to_linalg import CopyToLinalg
from kiln.lowering.cpu.decompose_grouped_convs import DecomposeGroupedConvs
from kiln.lowering.cpu.expand_full_inserts import ExpandFullInserts
from kiln.lowering.cpu.form_fusion_groups import FormFusionGroups
from kiln.lowering.cpu.hoist_vector_transfers import HoistVectorTransfers
from kiln.lowering.cpu.int8_contractions import Int8Contractions
from kiln.lowering.cpu.int8_conv_blocks import Int8ConvBlocks
from kiln.lowering.cpu.int8_convs import Int8Convs
from kiln.lowering.cpu.lower_int8_dots import LowerInt8Dots
from kiln.lowering.cpu.merge_identical_functions import MergeIdenticalFunctions
from kiln.lowering.cpu.outline_loop_nests import OutlineLoopNests
from kiln.lowering.cpu.pack_contractions import PackContractions
from kiln.lowering.cpu.pack_conv_filters import PackConvFilters
from kiln.lowering.cpu.pad_conv_channels import PadConvChannels
from kiln.lowering.cpu.pad_conv_rows import PadConvRows
from kiln.lowering.cpu.result_shapes import ResultShapes
from kiln.lowering.cpu.roll_copy_loops import RollCopyLoops
from kiln.lowering.cpu.static_buffers import StaticBuffers
from kiln.lowering.cpu.tile_and_fuse import TileAndFuse
from kiln.lowering.cpu.vectorize import Vectorize
from kiln.lowering.cpu.vectorize_copies import VectorizeCopies
from kiln.lowering.cpu.verify_llvm import VerifyLLVM
from kiln.lowering.cpu.winograd_conv import WinogradConv
from kiln.passes.bufferize_tm_tensor import BufferizeTmTensor
from kiln.passes.compact_broadcast_constants import CompactBroadcastConstants
from kiln.passes.conv_1d_to_2d import Conv1dTo2d
from kiln.passes.distinct_results import DistinctResults
from kiln.passes.expand_powi import ExpandPowi
from kiln.passes.float_to_int_via_i32 import FloatToIntViaI32
from kiln.passes.fold_constant_layout import FoldConstantLayout
from kiln.passes.fold_zero_size import FoldZeroSize
from kiln.passes.forward_slice_copies import ForwardSliceCopies
from kiln.passes.fuse_elementwise import FuseElementwise
from kiln.passes.guard_integer_division import GuardIntegerDivision
from kiln.passes.readonly_arguments import ReadonlyArguments
from kiln.passes.select_to_minmax import SelectToMinMax
from kiln.passes.sink_transposes import SinkTransposes
from kiln.passes.split_long_reductions import SplitLongReductions
from kiln.passes.tighten_window_operands import TightenWindowOperands
from kiln.passes.unshare_destinations import UnshareDestinations
from kiln.passes.while_carried_buffers import WhileCarriedBuffers
from kiln.passes.widen_accumulators import WidenAccumulators

from kiln.pipeline import Pipeline, Stage

VECTOR_WIDTHS = (4, 8, 16)  # f32 lanes: NEON/SSE, AVX2, AVX-512
PRECISIONS = ("f32", "bf16")  # of contractions' operands (accumulation is always f32)


@dataclass(frozen=True)
class CpuTarget:
    """A CPU: vector width in f32 lanes, the threads to use, whether it has AVX512-BF16
    dot products (``vdpbf16ps``), the precision contractions run at, and whether 3x3
    stride-1 convolutions run as Winograd F(m,3) (``kiln-winograd-conv``).

    ``precision="bf16"`` stores weights in bf16 and computes contractions as bf16
    dot products accumulating in f32; it needs ``avx512_bf16`` (and 16 lanes).

    ``avx512_vnni`` (AVX512-VNNI's ``vpdpbusd``) turns on int8 contractions for
    quantized models (``kiln-int8-contractions``): a contraction of dequantized
    u8/s8 activations and a dequantized s8 constant weight runs as u8 x s8 -> i32
    dot products (at 16 lanes: the kernel is AVX-512's), and a quantized convolution
    likewise (``kiln-int8-convs``, ``kiln-int8-conv-blocks``; depthwise and grouped ones
    stay f32). Without it the same models run today's f32 path (the weight
    dequantization folded at compile time), which computes the same answer.

    ``winograd`` is on by default: the layers its rule picks (at least 32 channels,
    outputs at least 14 x 14) run faster at 1 and 2 threads, and LLVM compiles them
    in about the time of the direct convolutions (README, Winograd section). It is
    skipped at ``precision="bf16"``: the transformed operands rounded to bf16 would
    multiply the error by E_m.
    """

    name: str = "host"
    vector_width: int = 8
    threads: int = 1
    avx512_bf16: bool = False
    avx512_vnni: bool = False
    precision: str = "f32"
    winograd: bool = True

    def __post_init__(self) -> None:
        if self.vector_width not in VECTOR_WIDTHS:
            raise ValueError(
                f"CpuTarget: vector_width must be one of {VECTOR_WIDTHS} f32 lanes, "
                f"got {self.vector_width}"
            )
        if isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1:
            raise ValueError(f"CpuTarget: threads must be an integer >= 1, got {self.threads!r}")
        if not isinstance(self.avx512_vnni, bool):
            raise ValueError(f"CpuTarget: avx512_vnni must be a bool, got {self.avx512_vnni!r}")
        if not isinstance(self.winograd, bool):
            raise ValueError(f"CpuTarget: winograd must be a bool, got {self.winograd!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"CpuTarget: precision must be one of {', '.join(PRECISIONS)}, "
                f"got {self.precision!r}"
            )
        if self.precision == "bf16" and not (self.avx512_bf16 and self.vector_width == 16):
            raise ValueError(
                "CpuTarget: precision 'bf16' needs AVX512-BF16 dot products (vdpbf16ps: "
                "the CPU flag avx512_bf16, 16 f32 lanes); this target has "
                f"{'avx512_bf16' if self.avx512_bf16 else 'no avx512_bf16'} and "
                f"{self.vector_width} lanes: compile with precision 'f32'"
            )

    def with_threads(self, threads: int) -> CpuTarget:
        """The same target with another thread count."""
        return dataclasses.replace(self, threads=threads)


def cpu_pipeline(target: CpuTarget, dynamic: bool = False) -> Pipeline:
    """The CPU pipeline for ``target`` (its vector width and thread count).

    ``dynamic=True`` is for entry points with dynamic shapes: their memrefs
    cross the function boundary as descriptors and results are returned
    (callee-allocated) instead of written into caller-provided buffers
    (the caller cannot size them).
    """
    if not isinstance(target, CpuTarget):
        raise TypeError(f"cpu_pipeline takes a CpuTarget, got {type(target).__name__}")
    threads, lanes = target.threads, target.vector_width
    fold = FoldConstantLayout().spec()
    out_params = (
        ()
        if dynamic
        else ("buffer-results-to-out-params{hoist-static-allocs modify-public-functions}",)
    )
    to_threads = (
        ("scf-forall-to-parallel", "convert-scf-to-openmp")
        if threads > 1
        else ("scf-forall-to-for",)
    )
    bare_pointers = "" if dynamic else "{use-bare-ptr-memref-call-conv=true}"
    # A vector.reduction of floats sums as a tree (reassociated), not as a chain of as
    # many dependent adds as lanes: log2(lanes) roundings, and no latency chain.
    x86 = " enable-x86=true" if target.precision == "bf16" else ""
    vector_options = "{reassociate-fp-reductions=true" + x86 + "}"
    # Dynamic results are allocated by the callee: the runtime checks their sizes first.
    result_shapes = (ResultShapes().spec(),) if dynamic else ()
    bf16 = target.precision == "bf16"
    # Not at bf16: the transformed operands rounded to bf16 would multiply the error by E_m.
    winograd = (WinogradConv().spec(all_options=True),) if target.winograd and not bf16 else ()
    bf16_convs = (Bf16Convs().spec(),) if bf16 else ()
    # vpdpbusd is an AVX-512 instruction: the kernel's i32 accumulators are zmm registers.
    vnni = target.avx512_vnni and lanes == 16
    int8 = (Int8Contractions().spec(), Int8Convs().spec()) if vnni else ()
    int8_conv_blocks = (Int8ConvBlocks().spec(),) if vnni else ()
    bf16_conv_blocks = (Bf16ConvBlocks().spec(),) if bf16 else ()
    # bf16 operands' conversions (a runtime A, a runtime B's packing) merge into the
    # elementwise ops producing them: the producer writes bf16, no pass of its own.
    fuse_conversions = (FuseElementwise().spec(),) if bf16 else ()
    return Pipeline(
        "cpu",
        (
            Stage(
                "graph",
                (
                    # Nothing of size zero reaches the schedules (they tile and divide ranges).
                    FoldZeroSize(flatten_boundaries=True).spec(all_options=True),
                    # Dynamic sizes may be 0: size arithmetic must not trap dividing by them.
                    GuardIntegerDivision().spec(),
                    # Inputs larger than their windows read would break unit-dim folding.
                    TightenWindowOperands().spec(),
                    *result_shapes,
                    "canonicalize",
                    "cse",
                    SelectToMinMax().spec(),
                    ExpandPowi().spec(),
                    # bf16/f16 sums accumulate in f32, as PyTorch's do (before fusion: the
                    # conversions merge into the producers and consumers).
                    WidenAccumulators().spec(),
                    # Float -> uint8/int8 through i32, as PyTorch converts (no poison).
                    FloatToIntViaI32().spec(),
                    # 1-D convolutions (ONNX models') take the 2-D schedules, int8 included.
                    Conv1dTo2d().spec(),
                    # Before the first fold, which would evaluate the weights'
                    # dequantization into f32 weights (the s8 constants must be visible),
                    # and before conv-to-nhwc (int8 convs are built NHWC, so Winograd,
                    # which needs f32 operands, never takes them).
                    *int8,
                    # Constants are folded again after each rewrite that exposes more
                    # (NHWC transposes of filters, fused chains over constants).
                    fold,
                    ConvToNHWC().spec(),
                    # The NHWC <-> NCHW transposes around each convolution move down through
                    # the ops between convolutions (squeeze-excitation means and scales,
                    # channel slices, concats, activations) until they cancel: those ops run
                    # NHWC too. Before elementwise fusion, which turns transposes into generics.
                    # canonicalize first: it cancels the expand/collapse pair torch-mlir leaves
                    # after a grouped convolution (RegNet's), and folds the transposes of the
                    # convolutions' bias broadcasts, which would otherwise stop the sinking.
                    "canonicalize",
                    SinkTransposes().spec(),
                    fold,
                    # On NHWC convolutions with folded HWCF filters; before elementwise
                    # fusion, which fuses the epilogue into the output transform, and
                    # before packing, which packs the transformed filters.
                    *winograd,
                    # bf16 inputs before elementwise fusion, which merges each conversion
                    # into its producer (the previous layer's epilogue then writes bf16).
                    *bf16_convs,
                    # Per-channel constants read as 1 x C x 1 x 1 would stop the reshapes
                    # around grouped convolutions from moving through their epilogues.
                    CompactBroadcastConstants().spec(),
                    FuseElementwise().spec(),
                    fold,
                    # Output rows no pixel block divides are padded (after fusion: one
                    # epilogue op to run over the padded rows, not a chain).
                    PadConvRows().spec(),
                    # Channel counts that are no multiple of the vector width likewise.
                    PadConvChannels(vector_width=lanes).spec(all_options=True),
                    PackContractions(vector_width=lanes, precision=target.precision).spec(
                        all_options=True
                    ),
                    *fuse_conversions,
                    BlockEpilogues().spec(),
                    # Long float sums add up in blocks (error ~ log n, as PyTorch's): after
                    # fusion, so the fused producers' work moves into the partial sums, and
                    # after packing, so blocked contractions keep their kernels.
                    SplitLongReductions().spec(),
                    "canonicalize",
                    "cse",
                ),
                "weights folded and packed, elementwise fused, contractions blocked",
            ),
            Stage("grouped", (FormFusionGroups().spec(),), "contractions grouped with epilogues"),
            Stage(
                "tiled",
                (
                    TileAndFuse(threads=threads, vector_width=lanes).spec(all_options=True),
                    # Grouped convolutions have no named op for upstream's decompose.
                    DecomposeGroupedConvs().spec(),
                    "canonicalize",
                    "cse",
                    # Before the f32 packing: bf16 conv tiles take their own (pairs).
                    *bf16_conv_blocks,
                    # int8 conv tiles become vpdpbusd blocks (their filters packed in quads).
                    *int8_conv_blocks,
                    # After tiling: filters re-packed for the register tiles the schedule chose.
                    PackConvFilters().spec(),
                ),
                "tiled for threads and registers",
            ),
            Stage(
                "vectorized",
                (
                    Vectorize().spec(),
                    ApproximateMath().spec(),
                    # The unit dims the vectorizer dropped come back as reshapes, not copies.
                    ExpandFullInserts().spec(),
                    "canonicalize",
                    "cse",
                ),
                "vector code, FMAs, polynomial exp/tanh/erf",
            ),
            Stage(
                "bufferized",
                (
                    # A tensor returned twice is copied first: out-params are distinct buffers.
                    DistinctResults().spec(),
                    BufferizeTmTensor().spec(),
                    # CSE merged identical destinations (zero fills): each op gets its own
                    # again, or bufferization would copy one into the other.
                    UnshareDestinations().spec(),
                    "eliminate-empty-tensors",
                    "empty-tensor-to-alloc-tensor",
                    # The caller owns the inputs: an in-place update copies them first.
                    ReadonlyArguments().spec(),
                    # A while loop (torch.while_loop) carries each tensor in one buffer.
                    WhileCarriedBuffers().spec(),
                    "one-shot-bufferize{bufferize-function-boundaries "
                    "function-boundary-type-conversion=identity-layout-map}",
                    "canonicalize",
                    # A multi-result op's results copied into slices of one buffer
                    # (Winograd's transforms) are written there instead.
                    ForwardSliceCopies().spec(),
                    *out_params,
                    "func.func(buffer-hoisting)",
                    # Static temporaries as module globals: no malloc per call.
                    StaticBuffers().spec(),
                    # Local temporaries freed at the end of their block; else upstream's
                    # buffer-deallocation-pipeline.
                    BufferDeallocation().spec(),
                    # A returned view of an input or a global is cloned (the caller frees
                    # results): clones become allocs and copies (linalg.copy just below).
                    "convert-bufferization-to-memref",
                    "canonicalize",
                    HoistVectorTransfers().spec(),
                    CopyToLinalg().spec(),
                    VectorizeCopies(threads=threads).spec(all_options=True),
                    # The copies just made linalg ops are vectorized like the rest.
                    Vectorize().spec(),
                    "canonicalize",
                ),
                "buffers, out-params, hoisted accumulators",
            ),
            Stage(
                "loops",
                (
                    "func.func(tm-tensor-to-loops)",
                    "func.func(convert-linalg-to-loops)",
                    *to_threads,
                    "lower-affine",
                    "canonicalize",
                    # Runtime checks become error flags the runtime raises as KilnError.
                    AssertionsToErrors().spec(),
                    # LLVM would unroll long copy nests into one huge block (llc time).
                    RollCopyLoops(register_bits=32 * lanes).spec(all_options=True),
                ),
                "loops and OpenMP regions",
            ),
            Stage(
                "llvm",
                (
                    # int8 dot products (pure until bufferization and hoisting are done)
                    # become AVX512-VNNI intrinsic calls.
                    LowerInt8Dots().spec(),
                    # One function per loop nest: LLVM's loop passes cost loops x function size.
                    OutlineLoopNests(bare_pointers=not dynamic).spec(all_options=True),
                    # The nests of repeated layers are compiled once.
                    MergeIdenticalFunctions().spec(),
                    # What only rewrites the inside of a function is nested under func.func, so
                    # MLIR runs it on the (many, after outlining) functions in parallel.
                    # Vector transfers fully unrolled: a rolled n-D transfer lowering allocas a
                    # stack buffer per loop iteration, which overflows the stack in long loops.
                    # Math first: what LLVM has no intrinsic for (erf) becomes libm calls,
                    # scalarized while vectors are still vector-dialect values.
                    "func.func(lower-vector-multi-reduction, convert-vector-to-scf{full-unroll=true},"
                    " convert-scf-to-cf, convert-math-to-llvm)",
                    "convert-math-to-libm",
                    # bf16 dot products (x86.avx512.dot) lower with the x86 patterns.
                    f"func.func(convert-vector-to-llvm{vector_options}, expand-strided-metadata,"
                    " lower-affine)",
                    "finalize-memref-to-llvm",
                    "func.func(convert-arith-to-llvm, convert-index-to-llvm, convert-ub-to-llvm)",
                    # Before convert-openmp-to-llvm: that pass also converts func.func with
                    # the default (descriptor) calling convention.
                    f"convert-func-to-llvm{bare_pointers}",
                    "convert-openmp-to-llvm",
                    "convert-cf-to-llvm",
                    "reconcile-unrealized-casts",
                    VerifyLLVM().spec(),
                ),
                "LLVM dialect",
            ),
        ),
        options={"target": target},
    )
