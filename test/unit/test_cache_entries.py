"""The compile cache's bookkeeping, with fake builds (no compiler runs): publishing,
checksums, damaged entries, LRU eviction, concurrent publishers, knobs."""

from __future__ import annotations

import json
import os
import time

import pytest

from kiln.aot import cache as cache_module
from kiln.aot.cache import ENTRY, LIBRARY, CompileCache, make_key, max_size


def _writer(data: bytes):
    def build(library, work_dir):
        assert work_dir.is_dir()
        library.write_bytes(data)

    return build


@pytest.fixture
def cache(tmp_path):
    return CompileCache(tmp_path / "cache", max_bytes=1 << 20)


def test_store_then_lookup_hits(cache):
    path = cache.store("k1", _writer(b"library one"))
    assert path == cache.entry_dir("k1") / LIBRARY
    assert path.read_bytes() == b"library one"
    found = cache.lookup("k1")
    assert found.path == path and not found.corrupt
    assert cache.lookup("k2").path is None
    # Nothing of the build is left behind but the entry.
    assert [p.name for p in (cache.root / "tmp").iterdir()] == []
    assert sorted(p.name for p in cache.entry_dir("k1").iterdir()) == [ENTRY, LIBRARY]


@pytest.mark.parametrize(
    "damage",
    [
        lambda entry: (entry / LIBRARY).write_bytes(b"library"),  # truncated
        lambda entry: (entry / LIBRARY).write_bytes(b"library twO"),  # same size, altered
        lambda entry: (entry / ENTRY).unlink(),  # half deleted
        lambda entry: (entry / ENTRY).write_text("{not json"),  # garbled record
        lambda entry: (entry / LIBRARY).unlink(),
    ],
    ids=["truncated", "altered", "no-record", "bad-record", "no-library"],
)
def test_damaged_entry_is_a_miss_and_removed(cache, damage):
    cache.store("k", _writer(b"library two"))
    damage(cache.entry_dir("k"))
    found = cache.lookup("k")
    assert found.path is None and found.corrupt
    assert not cache.entry_dir("k").exists()
    # Rebuilt on the next store, and good again.
    cache.store("k", _writer(b"library two"))
    assert cache.lookup("k").path.read_bytes() == b"library two"


def test_failed_build_leaves_nothing(cache):
    def fail(library, work_dir):
        library.write_bytes(b"half")
        raise RuntimeError("compiler crashed")

    with pytest.raises(RuntimeError, match="compiler crashed"):
        cache.store("k", fail)
    assert cache.lookup("k").path is None
    assert list((cache.root / "tmp").iterdir()) == []


def test_publish_keeps_another_process_entry(cache):
    """Two builders of one key: the second finds the first's entry published and keeps it."""
    first = cache.store("k", _writer(b"from process A"))

    def build_while_other_published(library, work_dir):
        library.write_bytes(b"from process B")

    assert cache.store("k", build_while_other_published) == first
    assert first.read_bytes() == b"from process A"


def test_publish_replaces_a_damaged_entry(cache):
    cache.store("k", _writer(b"good"))
    (cache.entry_dir("k") / LIBRARY).write_bytes(b"ba")
    cache.store("k", _writer(b"fresh"))
    assert cache.lookup("k").path.read_bytes() == b"fresh"


def test_lru_eviction_keeps_the_recently_used(tmp_path):
    cache = CompileCache(tmp_path / "cache", max_bytes=2500)
    for key in ("a", "b"):
        cache.store(key, _writer(bytes(1000)))
    old = time.time() - 100
    for key, age in (("a", 0), ("b", 50)):
        os.utime(cache.entry_dir(key) / ENTRY, (old + age, old + age))
    assert cache.lookup("a").path is not None  # "a" is now the most recently used
    cache.store("c", _writer(bytes(1000)))  # over the cap: "b", least recently used, goes
    assert {key for key, _, _ in cache.entries()} == {"a", "c"}
    assert sum(size for _, size, _ in cache.entries()) <= 2500


def test_eviction_never_removes_the_entry_just_stored(tmp_path):
    cache = CompileCache(tmp_path / "cache", max_bytes=10)
    cache.store("big", _writer(bytes(1000)))
    assert cache.lookup("big").path is not None


def test_stale_build_folders_are_removed(cache):
    stale = cache.root / "tmp" / "dead-build"
    stale.mkdir(parents=True)
    long_ago = time.time() - cache_module.STALE_BUILD_SECONDS - 10
    os.utime(stale, (long_ago, long_ago))
    fresh = cache.root / "tmp" / "live-build"
    fresh.mkdir()
    cache.evict()
    assert not stale.exists() and fresh.exists()


def test_record_is_json_with_size_and_checksum(cache):
    cache.store("k", _writer(b"abc"))
    record = json.loads((cache.entry_dir("k") / ENTRY).read_text())
    assert record["size"] == 3
    assert record["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_keys_depend_on_every_part():
    base = make_key(source=b"module", options={"threads": 1})
    assert base == make_key(source=b"module", options={"threads": 1})
    assert base != make_key(source=b"module ", options={"threads": 1})
    assert base != make_key(source=b"module", options={"threads": 2})
    assert base != make_key(source=b"module", options={"threads": 1}, machine="aarch64")


def test_knobs(monkeypatch, tmp_path):
    monkeypatch.setenv("KILN_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("KILN_CACHE_MAX_SIZE", "3M")
    found = CompileCache.from_env()
    assert found.root == tmp_path and found.max_bytes == 3 << 20
    monkeypatch.setenv("KILN_CACHE_MAX_SIZE", "1.5G")
    assert max_size() == int(1.5 * (1 << 30))
    monkeypatch.setenv("KILN_CACHE_MAX_SIZE", "lots")
    with pytest.raises(ValueError, match="KILN_CACHE_MAX_SIZE must be a size such as 500M"):
        max_size()
    for off in ("0", "false", "off"):
        monkeypatch.setenv("KILN_CACHE", off)
        assert CompileCache.from_env() is None
    monkeypatch.delenv("KILN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_module.cache_dir() == tmp_path / "xdg" / "kiln"
