"""Transform-dialect schedules of the CPU target, one per op kind."""
