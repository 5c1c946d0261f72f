"""The emulator kit's mDNS announcer, on loopback, read back by a zeroconf browser."""

from __future__ import annotations

import asyncio
import socket

from zeroconf import ServiceStateChange
from zeroconf.asyncio import AsyncServiceBrowser

from devices.testing.addresses import HostAllocator
from devices.testing.mdns import Announcer, service_info, zeroconf_on

TYPE = "_dobbykit._tcp.local."


async def test_two_houses_announce_the_same_name_and_both_are_found() -> None:
    hosts = [HostAllocator().allocate(), HostAllocator().allocate()]
    announcers = [
        Announcer([service_info(TYPE, "Desk Plug", host, 8080, properties={"sn": host})])
        for host in hosts
    ]
    found: dict[str, str] = {}
    browser_zc = zeroconf_on()
    done = asyncio.Event()
    resolving: set[asyncio.Task[None]] = set()

    def changed(zeroconf, service_type, name, state_change) -> None:
        if state_change is ServiceStateChange.Added:
            resolving.add(asyncio.ensure_future(resolve(name)))

    async def resolve(name: str) -> None:
        info = await browser_zc.async_get_service_info(TYPE, name, timeout=3000)
        if info is not None:
            found[name] = socket.inet_ntoa(info.addresses[0])
            assert info.port == 8080
            assert info.properties[b"sn"] == found[name].encode()
            if len(found) == 2:
                done.set()

    browser = AsyncServiceBrowser(browser_zc.zeroconf, [TYPE], handlers=[changed])
    try:
        for announcer in announcers:
            await announcer.start()
        await asyncio.wait_for(done.wait(), 20)
    finally:
        await browser.async_cancel()
        for announcer in announcers:
            await announcer.stop()
        await browser_zc.async_close()
    assert sorted(found.values()) == sorted(hosts)
    assert len(set(found)) == 2  # the second took another instance name
    assert not announcers[0].running
