"""Mutants of kiln's lit corpus (test/**/*.mlir): hypothesis strategies.

A seed is one ``// -----`` chunk of a lit test with its comment lines
dropped, together with the kiln-opt arguments of the file's first RUN line
(its own pass pipeline). A mutant applies 1-3 edits to the seed: drop,
duplicate or swap op lines, change a dimension, a constant or an element
type, or cut the text short.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hypothesis import strategies as st

SPLIT_MARKER = "// -----"
DIM_RE = re.compile(r"(?<=[<x])(\d+)(?=x)")
NUMBER_RE = re.compile(r"(?<![\w%#.])(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)(?![\w.])")
TYPES = ("f32", "f16", "bf16", "f64", "i32", "i8", "i1", "i64", "index")
TYPE_RE = re.compile(r"\b(" + "|".join(TYPES) + r")\b")
NEW_DIMS = ("0", "1", "2", "3", "7", "17", "100", "1024")
NEW_NUMBERS = ("0", "1", "-1", "2", "0.0", "-0.0", "3.5", "1.0e+30", "255", "65536", "-7")


@dataclass(frozen=True)
class Seed:
    """One chunk of a lit test and the kiln-opt arguments its file runs with."""

    source: str  # path relative to the repository, for reports
    text: str
    own_args: tuple[str, ...]


@lru_cache(maxsize=4)
def load_corpus(root: str) -> tuple[Seed, ...]:
    """Every chunk of every .mlir lit test under ``root``/test (comment lines dropped)."""
    base = Path(root)
    seeds = []
    for path in sorted((base / "test").rglob("*.mlir")):
        if "Output" in path.parts:
            continue
        raw = path.read_text()
        args = _run_args(raw)
        for chunk in raw.split(SPLIT_MARKER):
            code = "\n".join(line for line in chunk.splitlines() if not _is_comment(line))
            if code.strip():
                seeds.append(Seed(str(path.relative_to(base)), code.strip() + "\n", args))
    return tuple(seeds)


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("//")


def _run_args(text: str) -> tuple[str, ...]:
    """The arguments of the first ``kiln-opt %s ...`` in a RUN line (before any pipe)."""
    for line in text.splitlines():
        match = re.search(r"RUN:.*?kiln-opt\s+(.*)", line)
        if not match:
            continue
        command = match.group(1).split("|")[0].replace("2>&1", "")
        try:
            words = shlex.split(command)
        except ValueError:
            continue
        return tuple(w for w in words if w != "%s" and not w.startswith(("-o", "%t")))
    return ()


def _drop(draw, text):
    lines = text.splitlines()
    del lines[draw(st.integers(0, len(lines) - 1))]
    return "\n".join(lines)


def _duplicate(draw, text):
    lines = text.splitlines()
    i = draw(st.integers(0, len(lines) - 1))
    lines.insert(i, lines[i])
    return "\n".join(lines)


def _swap(draw, text):
    lines = text.splitlines()
    i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def _replace_match(draw, text, pattern, choices):
    matches = list(pattern.finditer(text))
    if not matches:
        return text
    m = matches[draw(st.integers(0, len(matches) - 1))]
    new = draw(st.sampled_from(choices))
    if draw(st.booleans()):  # everywhere the same value appears: keeps types consistent
        return pattern.sub(lambda x: new if x.group(0) == m.group(0) else x.group(0), text)
    return text[: m.start()] + new + text[m.end() :]


def _change_dim(draw, text):
    return _replace_match(draw, text, DIM_RE, NEW_DIMS)


def _change_number(draw, text):
    return _replace_match(draw, text, NUMBER_RE, NEW_NUMBERS)


def _change_type(draw, text):
    return _replace_match(draw, text, TYPE_RE, TYPES)


def _truncate(draw, text):
    return text[: draw(st.integers(0, len(text)))]


MUTATIONS = {
    "drop": _drop,
    "duplicate": _duplicate,
    "swap": _swap,
    "dim": _change_dim,
    "number": _change_number,
    "type": _change_type,
    "truncate": _truncate,
}


@st.composite
def mutants(draw, root: str):
    """(seed, mutated text, names of the mutations applied)."""
    corpus = load_corpus(root)
    seed = corpus[draw(st.integers(0, len(corpus) - 1))]
    text, applied = seed.text, []
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(MUTATIONS)))
        text = MUTATIONS[name](draw, text) if text.strip() else text
        applied.append(name)
    return seed, text + "\n", tuple(applied)
