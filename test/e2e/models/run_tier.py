"""Runs the real-model tier, one model per process, and writes its table to docs/models.md.

    tools/dev.sh models --all                 # every model (about an hour on 2 busy cores)
    tools/dev.sh models resnet18 gpt2         # some models; the table keeps the others' rows
    cd test/e2e && ../../.venv/bin/python -m models.run_tier --one resnet18   # in-process, prints JSON

Each model is compiled at 2 threads in a fresh process (a crash or a leak stays
there), checked by ``models.check`` and timed at 1 and 2 threads. Results go to
``test/e2e/models/results.json``; the table between the markers of
``docs/models.md`` is rebuilt from it. Exits 1 if a model fails that
``zoo.EXPECTED`` does not list, fails differently, or passes while listed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
RESULTS = HERE / "results.json"
DOC = ROOT / "docs" / "models.md"
BEGIN, END = "<!-- models:begin -->", "<!-- models:end -->"
TIMEOUT_S = 900


def run_one(name: str) -> dict:
    """Checks and times one model in this process."""
    import warnings

    warnings.filterwarnings("ignore")
    from models.check import run_case
    from models.zoo import MODELS

    return run_case(MODELS[name], timing=True).as_dict()


def run_isolated(name: str) -> dict:
    """``run_one`` in a child process; a crash or a timeout becomes an error outcome."""
    from models.zoo import MODELS

    env = dict(os.environ, KILN_REPRO_DIR=tempfile.mkdtemp(prefix="kiln-repro-models-"))
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "models.run_tier", "--one", name],
            cwd=HERE.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return _crashed(name, MODELS[name].source, f"Timeout: over {TIMEOUT_S} s")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return _crashed(name, MODELS[name].source, f"exit {proc.returncode}: {tail}")
    outcome = json.loads(lines[-1])
    outcome["wall_s"] = time.perf_counter() - start
    outcome["commit"] = _commit()
    return outcome


def _commit() -> str:
    """The last commit that changed kiln's compiler (short hash): what the model was measured on."""
    code = ["kiln", "passes", "lowering", "dialects"]
    proc = subprocess.run(
        ["git", "log", "-1", "--format=%h", "--", *code], cwd=ROOT, capture_output=True, text=True
    )
    return proc.stdout.strip()


def _crashed(name: str, source: str, why: str) -> dict:
    return {"name": name, "source": source, "status": "error", "compiled": False, "error": why}


def verdict(outcome: dict, expected: tuple[str, str] | None) -> str | None:
    """What is wrong with ``outcome`` against ``zoo.EXPECTED`` (None if it is as expected)."""
    if expected is None:
        return None if outcome["status"] == "pass" else f"fails: {outcome['error']}"
    if outcome["status"] == "pass":
        return "passes but is listed in zoo.EXPECTED: remove it there"
    if expected[0] not in outcome["error"]:
        return f"fails differently than expected ('{expected[0]}'): {outcome['error']}"
    return None


def _ms(outcome: dict, key: str, threads: int) -> float | None:
    return (outcome.get(key) or {}).get(str(threads))


def _ratio(outcome: dict, threads: int) -> str:
    kiln_ms, eager_ms = _ms(outcome, "kiln_ms", threads), _ms(outcome, "eager_ms", threads)
    if kiln_ms is None or eager_ms is None:
        return "" if eager_ms is None else f"- / {eager_ms:.1f}"
    return f"{kiln_ms:.1f} / {eager_ms:.1f} ({kiln_ms / eager_ms:.2f})"


JIT = ("jit", "llvm", "library")  # code generation: the JIT, or the AOT library (opt + llc)


def _phases(outcome: dict) -> str:
    phases = outcome.get("phases") or {}
    if not phases:
        return ""
    stages = {k: v for k, v in phases.items() if k != "import" and k not in JIT}
    jit = sum(v for k, v in phases.items() if k in JIT) or None
    parts = [
        ("import", phases.get("import")),
        ("stages", sum(stages.values()) or None),
        ("jit", jit),
    ]
    text = " + ".join(f"{k} {v:.1f}" for k, v in parts if v is not None)
    slowest = max(stages.items(), default=None, key=lambda kv: kv[1])
    if slowest and slowest[1] >= 1.0:
        text += f" (slowest stage {slowest[0]} {slowest[1]:.1f})"
    return text


def _accuracy(outcome: dict) -> str:
    if outcome.get("err_kiln") is None:
        return ""
    rel = outcome["err_kiln"] / (outcome.get("scale") or 1.0)
    if outcome.get("err_eager"):
        return f"{rel:.1e} ({outcome['err_kiln'] / outcome['err_eager']:.1f}x eager)"
    return f"{rel:.1e}"


def table(results: dict[str, dict]) -> str:
    """The markdown table of docs/models.md."""
    from models.zoo import EXPECTED, MODELS

    passed = sum(1 for o in results.values() if o["status"] == "pass")
    lines = [
        f"{passed} of {len(results)} models compile and match eager PyTorch.",
        "",
        "| model | source | compiled | result | error class (stage: exception, first line) "
        "| rel. error (vs eager's) | compile s | where compile time goes (s) "
        "| 1 thread: kiln / eager ms | 2 threads: kiln / eager ms | kiln commit |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in MODELS:
        if name not in results:
            continue
        o = results[name]
        result = "pass" if o["status"] == "pass" else o["status"]
        klass = EXPECTED[name][1] if name in EXPECTED else ""
        # Paths into site-packages say nothing in a table: keep the file inside the package.
        error = re.sub(r"\S*/site-packages/", "", o["error"]).replace("|", "\\|")
        if o.get("where"):
            error += f" (in {o['where']})"
        if klass:
            error = f"**{klass}**: {error}"
        compile_s = f"{o['compile_s']:.1f}" if o.get("compile_s") else ""
        row = [
            name,
            o["source"],
            "yes" if o.get("compiled") else "no",
            result,
            error,
            _accuracy(o),
            compile_s,
            _phases(o),
            _ratio(o, 1),
            _ratio(o, 2),
            o.get("commit", ""),
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def write_doc(results: dict[str, dict]) -> None:
    text = DOC.read_text() if DOC.exists() else f"# Real models\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{table(results)}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="models to run (default: --all)")
    parser.add_argument("--all", action="store_true", help="every model of the tier")
    parser.add_argument("--fast", action="store_true", help="the CI subset")
    parser.add_argument("--one", help="run one model in this process and print its JSON")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/models.md")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one)), flush=True)
        return 0
    from models.zoo import EXPECTED, MODELS

    unknown = [n for n in args.names if n not in MODELS]
    if unknown:
        parser.error(f"unknown models: {', '.join(unknown)} (known: {', '.join(MODELS)})")
    names = args.names or [n for n, c in MODELS.items() if c.fast or not args.fast]
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    wrong = []
    for name in names:
        outcome = run_isolated(name)
        results[name] = outcome
        problem = verdict(outcome, EXPECTED.get(name))
        mark = "ok  " if problem is None else "FAIL"
        print(f"{mark} {name:30s} {outcome['status']:8s} {outcome['error'][:110]}", flush=True)
        if problem:
            wrong.append(f"{name}: {problem}")
        RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    if not args.no_doc:
        write_doc({n: results[n] for n in MODELS if n in results})
    passed = sum(1 for n in names if results[n]["status"] == "pass")
    print(f"{passed} of {len(names)} models pass; {len(wrong)} not as expected")
    for line in wrong:
        print("  " + line)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
