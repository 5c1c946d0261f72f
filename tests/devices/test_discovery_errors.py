"""A device that fails to set up is one line in the log when the failure is the device's,
and a full trace only when it is a bug (announced for real by mDNS on loopback)."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from devices.capabilities import Domain
from devices.discovery import Discovery
from devices.errors import DeviceConnectionError
from devices.plugin import Discovered, Manifest
from devices.testing.addresses import HostAllocator
from devices.testing.mdns import Announcer, service_info


async def failing_set_up(error: Exception, caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    """Announce one device of a made-up type; its set-up raises `error`; the log record."""
    service = f"_dobby{uuid.uuid4().hex[:8]}._tcp.local."  # no other house announces it
    manifest = Manifest(name="t", title="Test", domains=(Domain.SWITCH,), mdns_types=(service,))
    tried = asyncio.Event()

    async def handler(found: Discovered) -> None:
        tried.set()
        raise error

    host = HostAllocator().allocate()
    announcer = Announcer([service_info(service, "Desk Plug", host, 8080)])
    discovery = Discovery({"t": manifest}, handler, interfaces=["127.0.0.1"])
    await announcer.start()
    try:
        with caplog.at_level(logging.WARNING, logger="devices.discovery"):
            await discovery.start()
            await asyncio.wait_for(tried.wait(), 30)
            await asyncio.sleep(0)  # the handler's error reaches the log
            await discovery.stop()
    finally:
        await announcer.stop()
    [record] = [r for r in caplog.records if r.name == "devices.discovery"]
    assert host in record.getMessage()
    return record


async def test_a_device_that_cannot_be_reached_is_one_line(caplog) -> None:
    record = await failing_set_up(DeviceConnectionError("cannot be reached."), caplog)
    assert record.levelno == logging.WARNING
    assert record.getMessage().endswith("failed: cannot be reached.")
    assert record.exc_info is None  # no traceback for what a device does


async def test_a_bug_in_a_set_up_keeps_its_traceback(caplog) -> None:
    record = await failing_set_up(KeyError("oops"), caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
