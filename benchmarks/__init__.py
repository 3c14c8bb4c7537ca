"""kiln's benchmarks: kiln side by side with its peers, in one run."""
