"""Progressive lowering: tensors -> buffers -> loops -> LLVM dialect (and GPU)."""
