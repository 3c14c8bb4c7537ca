# lit configuration for kiln: runnable as plain `lit test/`, from CMake's
# `check` target, or from CTest. Needs no CMake-generated site config.
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
# LLVM's FileCheck when installed, else the `filecheck` package's clone.
filecheck = shutil.which("FileCheck") or tool("filecheck")
config.substitutions.append(("FileCheck", filecheck))
config.substitutions.append(("not ", f"{python} -m kiln.tools.not_ "))

config.environment["PYTHONUNBUFFERED"] = "1"
for var in ("HOME", "TMPDIR", "KILN_NUM_THREADS"):
    if var in os.environ:
        config.environment[var] = os.environ[var]

# Features: what the machine can do, for REQUIRES: lines.
if shutil.which("ptxas"):
    config.available_features.add("ptxas")
