"""The CPU target: its passes, schedules and pipeline (x86-64, AArch64)."""
