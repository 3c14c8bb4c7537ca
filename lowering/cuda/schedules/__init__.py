"""Transform-dialect schedules of the CUDA target, one per op kind."""
