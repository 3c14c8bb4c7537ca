#!/usr/bin/env bash
# kiln's developer entry point: set up the environment, run the demo, run the tests.
#   tools/dev.sh setup   create .venv and install kiln with its test dependencies
#   tools/dev.sh demo    setup, then compile a real model and compare it with PyTorch
#   tools/dev.sh test    setup, then run every test (lit + FileCheck, pytest) through CMake
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${KILN_VENV:-.venv}"

setup() {
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e '.[test]'
}

case "${1:-}" in
  setup)
    setup
    ;;
  demo)
    setup
    shift
    "$VENV/bin/python" examples/demo.py "$@"
    ;;
  test)
    setup
    cmake -S . -B build -DPython3_EXECUTABLE="$PWD/$VENV/bin/python" >/dev/null
    cmake --build build --target check
    ;;
  *)
    echo "usage: tools/dev.sh {setup|demo|test}" >&2
    exit 2
    ;;
esac
