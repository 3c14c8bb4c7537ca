"""Markers of the real-model tier: ``models`` (the CI subset) and ``models_full`` (the rest).

``models_full`` tests are deselected unless ``-m`` names them, so a plain
``pytest test/e2e`` runs the subset and ``pytest test/e2e/models -m "models or
models_full"`` the whole tier.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "models: the real-model tier's CI subset")
    config.addinivalue_line("markers", "models_full: the rest of the real-model tier (slow)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "models_full" in (config.option.markexpr or ""):
        return
    slow = [item for item in items if item.get_closest_marker("models_full")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("models_full")]
