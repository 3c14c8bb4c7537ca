"""kiln/debug/machine.py: the roofline's figures are measured once and cached."""

from __future__ import annotations

import json

from kiln.debug import machine


def test_measured_once_then_read_from_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calls = []
    monkeypatch.setattr(machine, "core_peak_gflops", lambda: calls.append("peak") or 50.0)
    monkeypatch.setattr(machine, "memory_bandwidth_gbs", lambda **_: calls.append("bw") or 8.0)
    monkeypatch.setattr(machine, "cycle_counter_hz", lambda: 2.5e9)
    first = machine.measure_machine(2)
    assert (first.peak_gflops, first.bandwidth_gbs, first.threads) == (100.0, 8.0, 2)
    assert first.ridge == 12.5 and calls == ["peak", "bw"]
    assert machine.cache_path() == tmp_path / "kiln" / "machine.json"
    assert machine.measure_machine(2) == first and calls == ["peak", "bw"]
    machine.measure_machine(1)  # another thread count: measured
    assert calls == ["peak", "bw", "peak", "bw"]


def test_a_stale_cache_entry_is_measured_again(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(machine, "core_peak_gflops", lambda: 50.0)
    monkeypatch.setattr(machine, "memory_bandwidth_gbs", lambda **_: 8.0)
    monkeypatch.setattr(machine, "cycle_counter_hz", lambda: 2.5e9)
    path = tmp_path / "kiln" / "machine.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({f"{machine._cpu_name()}|1": {"cpu": "x", "lanes": 8}}))
    assert machine.measure_machine(1).peak_gflops == 50.0
    path.write_text("not json")
    assert machine.measure_machine(1).bandwidth_gbs == 8.0


def test_the_cycle_counter_ticks():
    assert machine.cycle_counter_hz(0.01) > 1e8  # x86's TSC runs at the nominal clock
