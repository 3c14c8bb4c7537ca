"""kiln's command-line tools (kiln-opt, ...)."""
