"""The CUDA target: its passes, schedules, pipeline and post-MLIR tools (NVVM -> PTX -> cubin)."""
