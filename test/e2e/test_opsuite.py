"""The op suite (test/e2e/opsuite): every case compiled by kiln and compared with eager PyTorch.

Each case runs on 1 or 2 threads (half the cases each, fixed per case) to keep the
suite fast. An expected failure is a strict xfail whose reason is the exact failure:
an unexpected pass fails the run, and so does a case that fails differently from its
reason (see docs/opsuite.md).
"""

from __future__ import annotations

import zlib

import pytest
from opsuite.harness import check, failure_summary, matches_reason
from opsuite.registry import CASE_MODULES, all_cases

CASES = all_cases()

# conv1d_padding_same: PyTorch's own note on even kernels with padding="same".
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


def _threads(case) -> int:
    """1 or 2, half the cases each, fixed per case name (adding cases moves no other case)."""
    return 1 + zlib.crc32(case.name.encode()) % 2


def _param(case):
    threads = _threads(case)
    marks = ()
    if case.xfail:
        # raises=Exception: pytest.fail (a differing failure, below) is no expected failure.
        marks = pytest.mark.xfail(strict=True, reason=case.xfail, raises=Exception)
    return pytest.param(case, threads, id=f"{case.category}-{case.name}", marks=marks)


@pytest.mark.parametrize(("case", "threads"), [_param(c) for c in CASES])
def test_op_matches_eager(case, threads):
    try:
        check(case, threads)
    except Exception as err:
        if case.xfail and not matches_reason(err, case.xfail):
            pytest.fail(
                f"{case.name} failed differently from its xfail reason\n"
                f"  expected: {case.xfail}\n  got:      {failure_summary(err)}\n{err}"
            )
        raise


def test_registry_is_well_formed():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 300
    assert {c.category for c in CASES} == set(CASE_MODULES)
    for case in CASES:
        assert case.rtol >= 0 and case.atol >= 0, case.name
        assert case.xfail is None or case.xfail.strip(), case.name
