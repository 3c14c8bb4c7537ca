"""The registry of kiln's Python passes: CLI name -> pass class.

A kiln pass is a frozen dataclass. Its typed fields are its options (spelled
with dashes on the command line), its ``name`` class attribute is its CLI
name, and its docstring states what it expects and guarantees. A fresh
instance is built for every pipeline run, so passes hold no state between runs.
"""

from __future__ import annotations

import dataclasses
import importlib
import typing
from typing import ClassVar

from kiln.ir import ExternalPass, ir

# Modules that define kiln passes; imported on first lookup so that building
# the registry stays cheap for tools that never ask for it.
PASS_MODULES = (
    "kiln.passes.fold_constant_layout",
    "kiln.passes.fuse_elementwise",
    "kiln.passes.decompose_conv",
    "kiln.passes.pack_contractions",
    "kiln.passes.block_epilogues",
    "kiln.passes.form_fusion_groups",
    "kiln.passes.tile_and_fuse",
    "kiln.passes.vectorize",
    "kiln.passes.hoist_vector_transfers",
    "kiln.passes.copy_to_linalg",
    "kiln.passes.approximate_math",
    "kiln.passes.bufferize_tm_tensor",
    "kiln.passes.verify_llvm",
    "kiln.passes.select_to_minmax",
    "kiln.passes.static_buffers",
    "kiln.passes.conv_to_nhwc",
    "kiln.passes.vectorize_copies",
    "kiln.passes.unshare_destinations",
    "kiln.passes.profile_regions",
    "kiln.passes.expand_powi",
    "kiln.passes.distinct_results",
    "kiln.passes.assertions_to_errors",
    "kiln.passes.outline_loop_nests",
    "kiln.passes.merge_identical_functions",
    "kiln.passes.pad_to_generic",
    "kiln.passes.fold_matmul_extensions",
    "kiln.passes.specialize_contractions",
    "kiln.passes.conv_to_img2col",
    "kiln.passes.gather_to_extract",
    "kiln.passes.pack_conv_filters",
    "kiln.lowering.gpu_tile",
    "kiln.lowering.gpu_distribute",
    "kiln.lowering.gpu_map",
    "kiln.lowering.gpu_hoist_accumulators",
    "kiln.lowering.gpu_mma_sync",
    "kiln.lowering.gpu_wgmma",
    "kiln.lowering.gpu_tensormap_args",
)

_PASSES: dict[str, type[KilnPass]] = {}
_loaded = False


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
        # during this call, so nothing here may keep it.
        with op.context:
            try:
                self.run(op)
            except PassFailure as failure:
                for location, message in failure.errors:
                    location.emit_error(message)
                pass_.signal_pass_failure()

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

    def options_text(self) -> str:
        """The non-default options as CLI text (inverse of ``from_options``)."""
        items = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value == f.default:
                continue
            if isinstance(value, bool):
                value = str(value).lower()
            elif isinstance(value, tuple):
                value = ",".join(str(v) for v in value)
            items.append(f"{f.name.replace('_', '-')}={value}")
        return " ".join(items)

    def spec(self) -> str:
        """The pass as a pipeline element, e.g. ``kiln-vectorize{unroll=2}``."""
        options = self.options_text()
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
    """Class decorator: makes ``cls`` a frozen dataclass and registers it by name."""
    if not cls.name.startswith("kiln-"):
        raise ValueError(f"kiln pass names start with 'kiln-': {cls.name!r}")
    if not cls.__doc__:
        raise ValueError(f"kiln pass {cls.name} needs a docstring")
    cls = dataclasses.dataclass(frozen=True)(cls)
    _PASSES[cls.name] = cls
    return cls


def _load_all() -> None:
    global _loaded
    if not _loaded:
        for module in PASS_MODULES:
            importlib.import_module(module)
        _loaded = True


def lookup(name: str) -> type[KilnPass] | None:
    """The pass class registered as ``name``, or None."""
    _load_all()
    return _PASSES.get(name)


def all_passes() -> dict[str, type[KilnPass]]:
    """Every registered kiln pass, by CLI name."""
    _load_all()
    return dict(sorted(_PASSES.items()))


def summary(cls: type[KilnPass]) -> str:
    """The first line of the pass's docstring."""
    return (cls.__doc__ or "").strip().splitlines()[0]
