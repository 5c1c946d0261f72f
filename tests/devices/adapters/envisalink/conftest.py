"""The Envisalink tests' secrets, in the environment where the adapter reads them."""

from __future__ import annotations

import pytest

from devices.adapters.envisalink import CODE_ENV, PASSWORD_ENV

PASSWORD = "s3cr3tpw"
CODE = "4725"


@pytest.fixture(autouse=True)
def secrets_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The module password and user code the emulators are started with."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv(CODE_ENV, CODE)
