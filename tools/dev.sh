#!/usr/bin/env bash
# kiln's developer entry point: set up the environment, run the demo, run the tests.
#   tools/dev.sh setup   create .venv and install kiln with its test dependencies
#   tools/dev.sh demo    setup, then compile a real model and compare it with PyTorch
#   tools/dev.sh test    setup, then run every test (lit + FileCheck, pytest) through CMake
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${KILN_VENV:-.venv}"

# The compile report's test renders it in a real headless browser (Debian's
# chromium-headless-shell); installed here, once, when no Chromium is on PATH.
browser() {
  for b in chromium-headless-shell chromium chromium-browser google-chrome; do
    command -v "$b" >/dev/null && return 0
  done
  if ! command -v apt-get >/dev/null; then
    echo "dev.sh: no headless Chromium and no apt-get: install Chromium for test/e2e/test_report.py" >&2
    return 0
  fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "dev.sh: installing chromium-headless-shell (the compile report's browser test)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    chromium-headless-shell >/dev/null
}

setup() {
  browser
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
