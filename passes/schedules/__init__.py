"""Tile-and-fuse schedules, one function per op kind, built as transform-dialect scripts."""
