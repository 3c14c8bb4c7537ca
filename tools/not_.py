"""``not``: runs a command and inverts its exit status (lit tests of error paths).

As LLVM's ``not``: a command killed by a signal (a crash) is a failure, not
an expected error; ``not --crash cmd`` expects the crash.
"""

import subprocess
import sys


def main() -> int:
    """Exit 0 if the command fails cleanly, 1 if it succeeds or crashes (see module docstring)."""
    args = sys.argv[1:]
    expect_crash = bool(args) and args[0] == "--crash"
    result = subprocess.run(args[1:] if expect_crash else args)
    crashed = result.returncode < 0
    if expect_crash:
        return 0 if crashed else 1
    if crashed:
        print(f"not: '{args[0]}' crashed (signal {-result.returncode})", file=sys.stderr)
        return 1
    return 0 if result.returncode != 0 else 1


if __name__ == "__main__":
    sys.exit(main())
