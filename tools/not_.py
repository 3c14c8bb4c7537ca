"""``not``: runs a command and inverts its exit status (lit tests of error paths)."""

import subprocess
import sys


def main() -> int:
    """Exit 0 if the command fails, 1 if it succeeds."""
    result = subprocess.run(sys.argv[1:])
    return 0 if result.returncode != 0 else 1


if __name__ == "__main__":
    sys.exit(main())
