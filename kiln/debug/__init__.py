"""Debugging kiln's compiles: numerical bisection (``bisect``), compile reports, progress.

result = kiln.debug.bisect(model, x, pipeline=my_pipeline, out_dir="bisect/")
result.stage, result.op, result.test_path
"""

from kiln.debug.bisect import BisectResult, bisect

__all__ = ["BisectResult", "bisect"]
