// `not` inverts a clean failure, but a crash is a failure of the test (as LLVM's not).
// RUN: not %PYTHON -c "import sys; sys.exit(3)"
// RUN: not not %PYTHON -c "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"
// RUN: not --crash %PYTHON -c "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"
// RUN: not not --crash %PYTHON -c "import sys; sys.exit(3)"
// RUN: not not %PYTHON -c "pass"
