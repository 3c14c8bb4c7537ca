"""``python -m kiln.tools.fuzz``: a fuzz run, its findings minimized into lit tests."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

try:
    import hypothesis  # noqa: F401 - the strategies need it
except ImportError:
    sys.exit("kiln fuzz needs hypothesis: pip install 'kiln[test]'")

from kiln.tools.fuzz import outcome
from kiln.tools.fuzz.minimize import existing_test, minimize, same_failure, write_lit_test
from kiln.tools.fuzz.runner import REPO, Finding, Report, WorkerProcess, fuzz, run_alone
from kiln.tools.fuzz.worker import EXEC


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(prog="python -m kiln.tools.fuzz", description=__doc__)
    p.add_argument("--minutes", type=float, help="fuzz for this long (default: 1)")
    p.add_argument("--cases", type=int, help="run this many cases instead")
    p.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    p.add_argument("--timeout", type=float, default=90.0, help="seconds per case (default 90)")
    p.add_argument("--out", default=str(Path(REPO, "test", "fuzz")), help="where lit tests go")
    p.add_argument("--no-minimize", action="store_true", help="report findings as found")
    p.add_argument("-v", "--verbose", action="store_true", help="print every case")
    return p


def main(argv: list[str] | None = None) -> int:
    """Runs the fuzzer; exit status 1 when it found a crash, bug, wrong answer or timeout."""
    args = build_parser().parse_args(argv)
    seconds = None if args.cases else 60 * (args.minutes or 1.0)
    report = fuzz(args.seed, args.cases, seconds, args.timeout, log=_logger(args.verbose))
    print(_summary(report))
    for finding in report.bad():
        _keep(finding, report.seed, args)
        print(_finding_line(finding))
    for reason, count in report.rejections.most_common():
        print(f"  {count:4}x rejected (valid IR refused): {reason}")
    return 1 if report.findings else 0


def _logger(verbose: bool):
    def log(case, result):
        if verbose or result.bad:
            print(
                f"[{case.index}] {result.kind:8} {case.tool:12} {case.origin}: {result.signature}"
            )
            sys.stdout.flush()

    return log


def _keep(finding: Finding, seed: int, args) -> None:
    """Confirms a finding alone, minimizes it and writes its lit test (if ``--out``) unless
    ``--out`` holds one for its signature already."""
    case, result = finding.case, finding.outcome
    known = existing_test(Path(args.out), result) if args.out else None
    if known is not None:
        finding.repro = f"{known} (kept before)"
        return
    alone = run_alone(case, args.timeout)
    if not same_failure(result)(alone):
        finding.repro = f"not reproduced alone (alone: {alone.kind} {alone.signature})"
        return
    if case.tool != EXEC and not args.no_minimize:
        worker = WorkerProcess(args.timeout)
        same = same_failure(result)
        try:
            text = minimize(case.text, lambda t: same(worker.run(case.with_text(t))))
        finally:
            worker.close()
        if same(run_alone(case.with_text(text), args.timeout)):
            case = case.with_text(text)
    if args.out:
        finding.repro = str(write_lit_test(Path(args.out), case, result, seed, fixed=False))


def _summary(report: Report) -> str:
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(report.kinds.items()))
    bad = sum(report.kinds[k] for k in outcome.BAD)
    return (
        f"kiln fuzz: seed {report.seed}, {report.cases} cases in {report.seconds:.0f} s: {kinds}; "
        f"{bad} bad, {len(report.findings)} distinct"
    )


def _finding_line(finding: Finding) -> str:
    r = finding.outcome
    return f"  {finding.count:4}x {r.kind}: {r.signature}\n        {finding.repro or finding.case.origin}"


if __name__ == "__main__":
    sys.exit(main())
