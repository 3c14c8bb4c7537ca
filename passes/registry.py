"""The registry of kiln's Python passes: CLI name -> pass class.

A kiln pass is a frozen dataclass. Its typed fields are its options (spelled
with dashes on the command line), its ``name`` class attribute is its CLI
name, and its docstring states what it expects and guarantees. A fresh
instance is built for every pipeline run, so passes hold no state between runs.
"""

from __future__ import annotations

import dataclasses
import importlib
import threading
import traceback
import typing
from typing import ClassVar

from kiln.errors import INTERNAL_ERROR, REPORT_REQUEST, KilnError, blamed_op
from kiln.ir import ExternalPass, ir

# The traceback of the last internal error of a kiln pass in this thread: the
# driver writes it at the top of the reproducer (the diagnostic has no room).
INTERNAL_TRACEBACKS = threading.local()

# CLI name -> the module that defines the pass. Looking a pass up imports only
# its module, so a tool that runs three passes does not import forty.
PASS_MODULES: dict[str, str] = {
    # passes (every target)
    "kiln-bufferize-tm-tensor": "kiln.passes.bufferize_tm_tensor",
    "kiln-compact-broadcast-constants": "kiln.passes.compact_broadcast_constants",
    "kiln-conv-1d-to-2d": "kiln.passes.conv_1d_to_2d",
    "kiln-distinct-results": "kiln.passes.distinct_results",
    "kiln-expand-powi": "kiln.passes.expand_powi",
    "kiln-float-to-int-via-i32": "kiln.passes.float_to_int_via_i32",
    "kiln-fold-constant-layout": "kiln.passes.fold_constant_layout",
    "kiln-fold-zero-size": "kiln.passes.fold_zero_size",
    "kiln-forward-slice-copies": "kiln.passes.forward_slice_copies",
    "kiln-fuse-elementwise": "kiln.passes.fuse_elementwise",
    "kiln-guard-integer-division": "kiln.passes.guard_integer_division",
    "kiln-match-scatter-sizes": "kiln.passes.match_scatter_sizes",
    "kiln-readonly-arguments": "kiln.passes.readonly_arguments",
    "kiln-select-to-minmax": "kiln.passes.select_to_minmax",
    "kiln-sink-transposes": "kiln.passes.sink_transposes",
    "kiln-split-long-reductions": "kiln.passes.split_long_reductions",
    "kiln-tighten-window-operands": "kiln.passes.tighten_window_operands",
    "kiln-unshare-destinations": "kiln.passes.unshare_destinations",
    "kiln-while-carried-buffers": "kiln.passes.while_carried_buffers",
    "kiln-widen-accumulators": "kiln.passes.widen_accumulators",
    # frontend
    "kiln-fold-zero-size-torch": "kiln.frontend.fold_zero_size_torch",
    "kiln-bitcast-views": "kiln.frontend.bitcast_views",
    "kiln-while-like-loops": "kiln.frontend.while_like_loops",
    # lowering/cpu
    "kiln-approximate-math": "kiln.lowering.cpu.approximate_math",
    "kiln-assertions-to-errors": "kiln.lowering.cpu.assertions_to_errors",
    "kiln-bf16-conv-blocks": "kiln.lowering.cpu.bf16_conv_blocks",
    "kiln-bf16-convs": "kiln.lowering.cpu.bf16_convs",
    "kiln-block-epilogues": "kiln.lowering.cpu.block_epilogues",
    "kiln-conv-to-nhwc": "kiln.lowering.cpu.conv_to_nhwc",
    "kiln-copy-to-linalg": "kiln.lowering.cpu.copy_to_linalg",
    "kiln-decompose-grouped-convs": "kiln.lowering.cpu.decompose_grouped_convs",
    "kiln-form-fusion-groups": "kiln.lowering.cpu.form_fusion_groups",
    "kiln-hoist-vector-transfers": "kiln.lowering.cpu.hoist_vector_transfers",
    "kiln-merge-identical-functions": "kiln.lowering.cpu.merge_identical_functions",
    "kiln-outline-loop-nests": "kiln.lowering.cpu.outline_loop_nests",
    "kiln-int8-contractions": "kiln.lowering.cpu.int8_contractions",
    "kiln-int8-conv-blocks": "kiln.lowering.cpu.int8_conv_blocks",
    "kiln-int8-convs": "kiln.lowering.cpu.int8_convs",
    "kiln-lower-int8-dots": "kiln.lowering.cpu.lower_int8_dots",
    "kiln-pack-contractions": "kiln.lowering.cpu.pack_contractions",
    "kiln-expand-full-inserts": "kiln.lowering.cpu.expand_full_inserts",
    "kiln-pad-conv-channels": "kiln.lowering.cpu.pad_conv_channels",
    "kiln-pad-conv-rows": "kiln.lowering.cpu.pad_conv_rows",
    "kiln-pack-conv-filters": "kiln.lowering.cpu.pack_conv_filters",
    "kiln-profile-regions": "kiln.lowering.cpu.profile_regions",
    "kiln-result-shapes": "kiln.lowering.cpu.result_shapes",
    "kiln-roll-copy-loops": "kiln.lowering.cpu.roll_copy_loops",
    "kiln-static-buffers": "kiln.lowering.cpu.static_buffers",
    "kiln-buffer-deallocation": "kiln.lowering.cpu.buffer_deallocation",
    "kiln-tile-and-fuse": "kiln.lowering.cpu.tile_and_fuse",
    "kiln-vectorize": "kiln.lowering.cpu.vectorize",
    "kiln-vectorize-copies": "kiln.lowering.cpu.vectorize_copies",
    "kiln-verify-llvm": "kiln.lowering.cpu.verify_llvm",
    "kiln-winograd-conv": "kiln.lowering.cpu.winograd_conv",
    # lowering/cuda
    "kiln-conv-to-img2col": "kiln.lowering.cuda.conv_to_img2col",
    "kiln-fold-matmul-extensions": "kiln.lowering.cuda.fold_matmul_extensions",
    "kiln-gather-to-extract": "kiln.lowering.cuda.gather_to_extract",
    "kiln-gpu-distribute": "kiln.lowering.cuda.gpu_distribute",
    "kiln-gpu-hoist-accumulators": "kiln.lowering.cuda.gpu_hoist_accumulators",
    "kiln-gpu-map": "kiln.lowering.cuda.gpu_map",
    "kiln-gpu-mma-sync": "kiln.lowering.cuda.gpu_mma_sync",
    "kiln-gpu-tensormap-args": "kiln.lowering.cuda.gpu_tensormap_args",
    "kiln-gpu-tile": "kiln.lowering.cuda.gpu_tile",
    "kiln-gpu-wgmma": "kiln.lowering.cuda.gpu_wgmma",
    "kiln-pad-to-generic": "kiln.lowering.cuda.pad_to_generic",
    "kiln-specialize-contractions": "kiln.lowering.cuda.specialize_contractions",
}

_PASSES: dict[str, type[KilnPass]] = {}


class PassFailure(Exception):
    """Raised by a pass's ``run`` to fail with MLIR diagnostics at IR locations.

    ``errors`` holds (location, message) pairs; each becomes an MLIR error
    diagnostic, so callers see ``file:line:col: error: message``.
    """

    def __init__(self, errors: list[tuple[ir.Location, str]]):
        self.errors = errors
        super().__init__("; ".join(message for _, message in errors))


class KilnPass:
    """Base of kiln's passes. Subclasses are ``@register``-ed frozen dataclasses."""

    name: ClassVar[str] = ""

    def run(self, module: ir.Operation) -> None:
        """Transforms ``module`` (a ``builtin.module``) in place."""
        raise NotImplementedError

    def validate(self) -> None:
        """Raises ValueError for option values the pass cannot work with."""

    def __post_init__(self) -> None:
        self.validate()

    def __call__(self, op: ir.Operation, pass_: ExternalPass) -> None:
        # Entry point used by PassManager.add: the op handle is only valid
        # during this call, so nothing here may keep it. Every failure leaves
        # as MLIR diagnostics naming this pass, never as a Python exception.
        with op.context:
            try:
                self.run(op)
            except PassFailure as failure:
                for location, message in failure.errors:
                    location.emit_error(self._named(message))
                pass_.signal_pass_failure()
            except KilnError as err:
                self._report(op, err, internal=False)
                pass_.signal_pass_failure()
            except Exception as err:  # a bug in this pass
                INTERNAL_TRACEBACKS.last = traceback.format_exc()
                self._report(op, err, internal=True)
                pass_.signal_pass_failure()

    def _named(self, message: str) -> str:
        """``message`` prefixed with the pass name (once)."""
        return message if message.startswith(f"{self.name}:") else f"{self.name}: {message}"

    def _report(self, module: ir.Operation, err: Exception, internal: bool) -> None:
        """Emits ``err`` as an error at the op the pass was working on when it was raised."""
        blamed = blamed_op(err.__traceback__, module)
        on = f" on '{blamed.name}'" if blamed is not None else ""
        if internal:
            message = f"{INTERNAL_ERROR}{on}: {type(err).__name__}: {err} ({REPORT_REQUEST})"
        else:
            message = f"{err}{on}"
        (blamed if blamed is not None else module).location.emit_error(self._named(message))

    @classmethod
    def from_options(cls, text: str) -> KilnPass:
        """Builds the pass from its CLI option text, e.g. ``"tile-k=256 threads=2"``."""
        fields = {f.name.replace("_", "-"): f for f in dataclasses.fields(cls)}
        hints = typing.get_type_hints(cls)
        values = {}
        for item in _split_options(text):
            key, sep, raw = item.partition("=")
            if key not in fields:
                known = ", ".join(sorted(fields)) or "none"
                raise ValueError(f"pass '{cls.name}' has no option '{key}' (options: {known})")
            if not sep:
                raw = "true"
            field = fields[key]
            values[field.name] = _parse_value(raw, hints[field.name], cls.name, key)
        return cls(**values)

    def options_text(self, all_options: bool = False) -> str:
        """The non-default options (every option with ``all_options``) as CLI text
        (inverse of ``from_options``)."""
        items = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value == f.default and not all_options:
                continue
            if isinstance(value, bool):
                value = str(value).lower()
            elif isinstance(value, tuple):
                value = ",".join(str(v) for v in value)
            items.append(f"{f.name.replace('_', '-')}={value}")
        return " ".join(items)

    def spec(self, all_options: bool = False) -> str:
        """The pass as a pipeline element, e.g. ``kiln-vectorize{unroll=2}``.

        Pipelines spell target-derived options with ``all_options``, so that a listed
        stage or a printed replay command says which target it was built for.
        """
        options = self.options_text(all_options)
        return f"{self.name}{{{options}}}" if options else self.name


def _split_options(text: str) -> list[str]:
    return [item for item in text.replace("\n", " ").split(" ") if item]


def _parse_value(raw: str, hint: object, pass_name: str, key: str) -> object:
    try:
        if hint is bool:
            if raw not in ("true", "false", "1", "0"):
                raise ValueError(raw)
            return raw in ("true", "1")
        if hint is int:
            return int(raw)
        if hint is str:
            return raw
        if typing.get_origin(hint) is tuple:
            (item_type, *_rest) = typing.get_args(hint)
            return tuple(item_type(v) for v in raw.split(",") if v)
    except ValueError:
        raise ValueError(
            f"pass '{pass_name}' option '{key}': cannot read '{raw}' as {hint}"
        ) from None
    raise TypeError(f"pass '{pass_name}' option '{key}' has unsupported type {hint}")


def register(cls: type[KilnPass]) -> type[KilnPass]:
    """Class decorator: makes ``cls`` a frozen dataclass and registers it by name.

    kiln's own passes must also be listed in ``PASS_MODULES`` (a unit test checks).
    """
    if not cls.name.startswith("kiln-"):
        raise ValueError(f"kiln pass names start with 'kiln-': {cls.name!r}")
    if not cls.__doc__:
        raise ValueError(f"kiln pass {cls.name} needs a docstring")
    cls = dataclasses.dataclass(frozen=True)(cls)
    _PASSES[cls.name] = cls
    return cls


def lookup(name: str) -> type[KilnPass] | None:
    """The pass class registered as ``name``, or None (imports its module on first use)."""
    if name not in _PASSES and name in PASS_MODULES:
        importlib.import_module(PASS_MODULES[name])
    return _PASSES.get(name)


def all_passes() -> dict[str, type[KilnPass]]:
    """Every kiln pass of the table, by CLI name (imports every pass module), and any
    registered from outside it (a user's own ``@register``-ed pass)."""
    for name in PASS_MODULES:
        lookup(name)
    return dict(sorted(_PASSES.items()))


def summary(cls: type[KilnPass]) -> str:
    """The first line of the pass's docstring."""
    return (cls.__doc__ or "").strip().splitlines()[0]
