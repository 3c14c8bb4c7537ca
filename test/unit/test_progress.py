"""kiln/debug/progress.py: one line per compile step on a terminal, quiet otherwise."""

from __future__ import annotations

import io
import re

import pytest

from kiln.debug.progress import CompileLog, fusion_groups, progress_wanted


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_one_line_per_step(monkeypatch):
    monkeypatch.delenv("KILN_QUIET", raising=False)
    tty = Terminal()
    log = CompileLog(stream=tty, name="mlp")
    log.mark("import")
    log.mark("graph")
    log.done()
    lines = tty.getvalue().splitlines()
    assert [line.split()[1] for line in lines[:2]] == ["import", "graph"]
    assert all(re.fullmatch(r"kiln: \S+ +\d+\.\d\d s", line) for line in lines[:2])
    assert re.fullmatch(r"kiln: compiled mlp in \d+\.\d\d s", lines[2])
    assert [s.name for s in log.steps] == ["import", "graph"]
    assert log.total == pytest.approx(sum(s.seconds for s in log.steps))


@pytest.mark.parametrize(
    ("stream", "quiet", "env", "wanted"),
    [
        (Terminal(), None, None, True),
        (io.StringIO(), None, None, False),  # a pipe or a file: quiet
        (Terminal(), None, "1", False),  # KILN_QUIET=1
        (Terminal(), None, "0", True),
        (Terminal(), True, None, False),  # quiet=True
        (io.StringIO(), False, "1", True),  # quiet=False: asked for, wherever it goes
    ],
)
def test_when_progress_is_printed(monkeypatch, stream, quiet, env, wanted):
    if env is None:
        monkeypatch.delenv("KILN_QUIET", raising=False)
    else:
        monkeypatch.setenv("KILN_QUIET", env)
    assert progress_wanted(quiet, stream) is wanted
    log = CompileLog(quiet=quiet, stream=stream)
    log.mark("graph")
    assert (stream.getvalue() != "") is wanted


def test_detail_counts_ops_and_reads_fusion_groups(parse):
    module = parse(
        """
        func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
          %r = "kiln.fusion_group"() ({
            %e = tensor.empty() : tensor<4xf32>
            %0 = linalg.add ins(%a, %a : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
            "kiln.yield"(%0) : (tensor<4xf32>) -> ()
          }) {anchor = "linalg.add", kind = "elementwise"} : () -> tensor<4xf32>
          return %r : tensor<4xf32>
        }
        """
    )
    groups = fusion_groups(module)
    assert [(g.kind, g.anchor, g.members) for g in groups] == [
        ("elementwise", "linalg.add", ("tensor.empty", "linalg.add"))
    ]
    assert groups[0].location.startswith("-:")
    log = CompileLog(quiet=True, detail=True)
    log.mark("grouped", module)
    # module, func, group, empty, add (its body: addf, yield), kiln.yield, return
    assert log.steps[0].ops == 9
