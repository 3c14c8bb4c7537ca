"""kiln: an ML compiler in Python on MLIR."""
