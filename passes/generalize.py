"""Generalizing chosen named linalg ops to ``linalg.generic``.

Upstream's ``linalg-generalize-named-ops`` pass turns *every* named op
generic; kiln needs a choice (contractions stay named until they are packed),
so it applies the transform dialect's ``structured.generalize`` to ops matched
by name.
"""

from __future__ import annotations

from collections.abc import Sequence

from kiln.passes.common import collect_ops
from kiln.passes.transform_script import Schedule

from kiln.ir import ir, transform_structured


def generalize_all(module: ir.Operation, names: Sequence[str]) -> None:
    """Turns every op named in ``names`` under ``module`` into a ``linalg.generic``."""
    present = sorted({op.name for op in collect_ops(module, names)})
    if not present:
        return
    sched = Schedule(module.context)
    matched = sched.match(names=present)
    sched._build(lambda: transform_structured.GeneralizeOp(matched))
    sched.apply(module)
