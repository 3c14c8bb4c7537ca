#!/usr/bin/env bash
# kiln's developer entry point: set up the environment, run the demo, run the tests.
#   tools/dev.sh setup   create .venv and install kiln with its test dependencies (the
#                        real-model tier's libraries included)
#   tools/dev.sh demo    setup, then compile a real model and compare it with PyTorch
#   tools/dev.sh test    setup, then run every test (lit + FileCheck, pytest) through CMake
#   tools/dev.sh models  setup, then run the real-model tier (--all, --fast or model names)
#                        and rewrite its table in docs/models.md
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
  # dev = test + models + the pinned ruff the code is formatted and checked with.
  "$VENV/bin/python" -m pip install --quiet -e '.[dev]'
  cross_tools
}

# The AArch64 tests cross-compile a C driver and run it under qemu-user: Debian's qemu-user,
# gcc-aarch64-linux-gnu and its C library (libc6-dev-arm64-cross, only recommended). Installed only when missing, and only by root (CI, containers);
# otherwise the tests that need them fail and name the packages.
cross_tools() {
  local missing=()
  command -v qemu-aarch64 >/dev/null || missing+=(qemu-user)
  command -v aarch64-linux-gnu-gcc >/dev/null || missing+=(gcc-aarch64-linux-gnu)
  [ -e /usr/aarch64-linux-gnu/lib/crti.o ] || missing+=(libc6-dev-arm64-cross)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "tools/dev.sh: the AArch64 tests need the Debian packages ${missing[*]}" \
      "(run tools/dev.sh setup as root, or apt-get install them)" >&2
  fi
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
  models)
    setup
    shift
    cd test/e2e
    exec "../../$VENV/bin/python" -m models.run_tier "$@"
    ;;
  test)
    setup
    cmake -S . -B build -DPython3_EXECUTABLE="$PWD/$VENV/bin/python" >/dev/null
    cmake --build build --target check
    ;;
  *)
    echo "usage: tools/dev.sh {setup|demo|test|models}" >&2
    exit 2
    ;;
esac
