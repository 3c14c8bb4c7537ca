"""Node stack traces recorded during torch.export without reading every frame's line.

torch.fx records on each node it traces the Python stack that created it
(``node.meta["stack_trace"]``: kiln's error messages and profiles read the
user's source line from it). It captures the stack with ``CapturedTraceback``,
whose ``summary()`` symbolizes every frame (some 90 under torch.export) into a
``FrameSummary`` that reads its source line at once, then keeps only the frames
from the first ``forward`` on: 10-17% of torch.export's time on kiln's model
zoo goes there.

``lazy_line_stack_traces`` puts a stand-in in its place for the duration of a
trace: the same frames (file, line number, function name), taken from the live
frame objects, whose source lines are read when the kept frames are formatted.
The recorded text is the same, character for character.
"""

from __future__ import annotations

import contextlib
import sys
import traceback

import torch.fx.proxy as fx_proxy


class _LiveStack:
    """What ``torch.fx.proxy`` uses of ``CapturedTraceback``: ``extract()`` and
    ``summary()``, the latter called while the captured frames are alive (at once)."""

    __slots__ = ("frame",)

    def __init__(self, frame) -> None:
        self.frame = frame

    @staticmethod
    def extract(*, script: bool = False, cpp: bool = False, skip: int = 0) -> _LiveStack:
        # The caller's frame is the innermost one, as CapturedTraceback leaves out its own.
        return _LiveStack(sys._getframe(skip + 1))

    def summary(self) -> traceback.StackSummary:
        """The stack, outermost frame first, each line read only when printed."""
        frames = []
        frame = self.frame
        while frame is not None:
            code = frame.f_code
            frames.append(
                traceback.FrameSummary(
                    code.co_filename, frame.f_lineno, code.co_name, lookup_line=False
                )
            )
            frame = frame.f_back
        frames.reverse()
        return traceback.StackSummary.from_list(frames)


@contextlib.contextmanager
def lazy_line_stack_traces():
    """torch.fx records node stack traces through ``_LiveStack`` while active.

    Pre: the caller holds the export lock (no other trace swaps it meanwhile).
    A torch without ``torch.fx.proxy.CapturedTraceback`` keeps its own capture.
    """
    original = getattr(fx_proxy, "CapturedTraceback", None)
    if original is None:
        yield
        return
    fx_proxy.CapturedTraceback = _LiveStack
    try:
        yield
    finally:
        fx_proxy.CapturedTraceback = original
