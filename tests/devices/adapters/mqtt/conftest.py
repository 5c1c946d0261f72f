"""The MQTT tests need the real Mosquitto; without it they are skipped, saying why."""

from __future__ import annotations

import pytest

from devices.testing.mosquitto import mosquitto_program


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip this folder's tests on a machine without mosquitto (the Makefile installs it)."""
    if mosquitto_program() is not None:
        return
    skip = pytest.mark.skip(reason="mosquitto is not installed (apt-get install mosquitto)")
    for item in items:
        if "adapters/mqtt" in str(item.path):
            item.add_marker(skip)
