"""Parsing untrusted MLIR text without letting MLIR's parser crash the process.

MLIR's parser has crashes of its own on malformed input (torch-mlir
20261001 segfaults on ``dimensions = [0.0]`` in linalg's custom syntax, before
any kiln code runs). A crash in C++ cannot be caught, so the command-line
tools first parse the text in a forked child: when the child dies of a signal
the tools report an error naming the file instead of dying with it.

The probe costs one fork and one extra parse (milliseconds for a test file,
well under the pipeline's own time). It is used by the single-threaded tools
only (``kiln-opt``, ``kiln-compile``): forking a process whose other threads
may hold LLVM's locks could leave the child waiting on them, so the child
also gives up after ``PROBE_SECONDS`` and the real parse then goes ahead.
"""

from __future__ import annotations

import faulthandler
import os
import signal

from kiln.ir import ir, new_context, parse_module

PROBE_SECONDS = 60

__all__ = ["PROBE_SECONDS", "ParserCrash", "parse_untrusted", "parser_crash"]


class ParserCrash(Exception):
    """MLIR's parser crashed on the text (a bug upstream, reported as the input's error)."""


def parser_crash(text: str, first_line: int = 1) -> str | None:
    """The signal's name when parsing ``text`` crashes MLIR's parser, else None.

    None also when the probe cannot run (no ``fork``) or gave up (timeout):
    the caller then parses as usual.
    """
    if not hasattr(os, "fork"):
        return None
    pid = os.fork()
    if pid == 0:  # the child: parse, then leave without running any cleanup
        _probe_child(text, first_line)
    _, status = os.waitpid(pid, 0)
    if not os.WIFSIGNALED(status) or os.WTERMSIG(status) == signal.SIGALRM:
        return None
    return signal.Signals(os.WTERMSIG(status)).name


def _probe_child(text: str, first_line: int) -> None:
    try:
        signal.alarm(PROBE_SECONDS)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)  # the crash's own output (faulthandler's stack) is not the user's
        os.dup2(devnull, 2)
        faulthandler.disable()
        ctx = new_context()
        ctx.enable_multithreading(False)  # the parent's thread pool does not exist here
        parse_module(text, ctx, first_line)
    except BaseException:  # a parse error is the real parse's to report
        pass
    finally:
        os._exit(0)


def parse_untrusted(text: str, ctx: ir.Context, first_line: int = 1) -> ir.Module:
    """``parse_module`` for text from a user's file: raises ``ParserCrash``
    instead of crashing when MLIR's parser would, ``MLIRError`` on a parse error."""
    crash = parser_crash(text, first_line)
    if crash is not None:
        raise ParserCrash(
            f"MLIR's parser crashed ({crash}) reading this input, before any kiln pass ran: "
            "a bug in MLIR upstream, triggered by malformed input (for instance an "
            "attribute of the wrong type in an op's custom syntax, like 'dimensions = [0.0]'); "
            "check the input's syntax"
        )
    return parse_module(text, ctx, first_line)
