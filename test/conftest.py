"""Fixtures shared by kiln's pytest suites (test/unit, test/e2e)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

KILN_OPT = Path(sys.executable).parent / "kiln-opt"


def pytest_configure(config: pytest.Config) -> None:
    # torch.export inside torch-mlir's FX importer uses a deprecated pytree API;
    # the warning is torch's, not kiln's, and drowns the summary.
    config.addinivalue_line("filterwarnings", "ignore:.*LeafSpec.*:FutureWarning")
    # The suite's machines have the library toolchain: falling back to the JIT is a failure.
    config.addinivalue_line("filterwarnings", "error::kiln.errors.KilnWarning")
    # One private compile cache for the whole session (set before any test compiles, and
    # inherited by the subprocesses tests start): tests never read or fill a user's cache.
    # Within the session a model compiled twice is a hit, as it would be for a user.
    os.environ["KILN_CACHE_DIR"] = tempfile.mkdtemp(prefix="kiln-test-cache-")
    os.environ.pop("KILN_CACHE", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ.get("KILN_CACHE_DIR", ""), ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _private_repro_dir(tmp_path_factory: pytest.TempPathFactory):
    """Reproducers of expected pipeline failures go to a temporary folder, not <tmp>/kiln-repro."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KILN_REPRO_DIR", str(tmp_path_factory.mktemp("kiln-repro")))
        yield


@pytest.fixture
def ctx():
    """A fresh MLIR context with kiln's dialect loaded."""
    from kiln.ir import new_context

    return new_context()


@pytest.fixture
def parse(ctx):
    """Parses MLIR text into a module of ``ctx``: ``parse(text)``."""
    from kiln.ir import parse_module

    return lambda text: parse_module(text, ctx)


@pytest.fixture(scope="session")
def kiln_opt() -> Path:
    """The venv's kiln-opt console script."""
    assert KILN_OPT.exists(), f"kiln-opt is not installed next to {sys.executable}"
    return KILN_OPT


@pytest.fixture(scope="session")
def replay(kiln_opt):
    """Runs a printed ``kiln-opt ...`` command with the venv's kiln-opt (a CompletedProcess)."""

    def run(command: str) -> subprocess.CompletedProcess:
        args = shlex.split(command)
        assert args[0] == "kiln-opt", command
        args[0] = str(kiln_opt)
        return subprocess.run(
            args, capture_output=True, text=True, timeout=300, env=dict(os.environ)
        )

    return run
