"""`explore()` on loopback: the unknown devices found, recognised, and nobody else asked."""

from __future__ import annotations

import secrets

import pytest

from devices.capabilities import Domain
from devices.explore.fingerprints import Evidence, family, recognise, table
from devices.explore.probe import ProbeRecord
from devices.explore.scan import Host, explore, gather, page_title
from devices.plugin import Discovered, Manifest
from devices.testing.addresses import HostAllocator
from devices.testing.mdns import Announcer, service_info
from devices.testing.unknown.house import UnknownDevice, mac_of, start_unknown
from devices.testing.unknown.upnp_fan import UpnpFan
from devices.testing.unknown.wled import HTTP_SERVICE, WledStrip

LOOPBACK = "127.0.0.1"
HOUSE = [
    UnknownDevice(name="Desk Strip", area="Office", kind="wled", on=True),
    UnknownDevice(name="Porch Relay", area="Porch", kind="shelly_plus_1"),
    UnknownDevice(name="Bedroom Fan", area="Bedroom", kind="upnp_fan"),
]


def _family(host: Host) -> str | None:
    return host.family.id if host.family is not None else None


@pytest.mark.timeout(180)
async def test_the_unknown_devices_are_found_and_recognised() -> None:
    hosts = HostAllocator()
    unknown = await start_unknown(HOUSE, hosts, interface=LOOPBACK, seed=secrets.token_hex(6))
    # An installed adapter that takes WLED's announcements: that strip is then "driven".
    wled = Manifest(
        name="wled", title="WLED", domains=(Domain.LIGHT,), mdns_types=("_wled._tcp.local.",)
    )
    audit: list[ProbeRecord] = []
    strip_host = unknown.named("Desk Strip").host
    try:
        seen: dict[str, Host] = {}
        for _ in range(6):  # discovery on a busy loopback: listen again if one is missing
            for host in await explore(
                {},
                seconds=4.0,
                interfaces=[LOOPBACK],
                only_hosts=hosts.allocated,
                record=audit.append,
            ):
                if host.family is not None and host.identity:  # heard in full
                    seen[host.address] = host
            if len(seen) == 3:
                break
        found = list(seen.values())
        with_adapter: list[Host] = []
        for _ in range(6):
            with_adapter = await explore(
                {"wled": wled}, seconds=4.0, interfaces=[LOOPBACK], only_hosts={strip_host}
            )
            if any(h.identity for h in with_adapter):  # heard in full (`_wled._tcp` too)
                break
    finally:
        await unknown.stop()
    by_host = {h.address: h for h in found}
    strip, relay, fan = (unknown.named(d.name) for d in HOUSE)
    assert set(by_host) == {strip.host, relay.host, fan.host}
    assert _family(by_host[strip.host]) == "wled"
    assert isinstance(strip, WledStrip)
    assert by_host[strip.host].identity == strip.mac
    assert _family(by_host[relay.host]) == "shelly_gen2"
    assert by_host[relay.host].identity == relay.device_id
    assert _family(by_host[fan.host]) == "upnp"
    assert isinstance(fan, UpnpFan)
    assert by_host[fan.host].identity == fan.udn
    assert "Breezeline" in by_host[fan.host].what
    assert {h.status for h in found} == {"not driven yet"}
    assert by_host[fan.host].as_json()["name"] == "Bedroom Fan"
    # Exploring read only the fan's description (and the strip's page, if a listen heard
    # the strip only as a web page); the relay heard nothing.
    assert {(r.method, r.path) for r in strip.requests} <= {("GET", "/")}
    assert relay.requests == []
    assert {(r.method, r.path) for r in fan.requests} == {("GET", "/description.xml")}
    assert {r.host for r in audit} <= {fan.host, strip.host}
    assert [h.status for h in with_adapter] == ["driven"]


def test_hosts_outside_the_local_ranges_are_not_looked_at() -> None:
    findings: list[tuple[Discovered, str | None]] = [
        (Discovered("mdns", "_wled._tcp.local.", "8.8.8.8", 80, "x._wled._tcp.local."), None),
        (Discovered("mdns", "_wled._tcp.local.", "192.168.1.40", 80, "y._wled._tcp.local."), None),
        (
            Discovered("ssdp", "upnp:rootdevice", "192.168.1.41", location="http://1.1.1.1/d.xml"),
            None,
        ),
    ]
    hosts = gather(findings, None)
    assert set(hosts) == {"192.168.1.40", "192.168.1.41"}
    assert set(gather(findings, {"192.168.1.41"})) == {"192.168.1.41"}


async def test_a_description_on_another_host_is_not_fetched() -> None:
    from devices.explore.scan import describe

    host = Host("192.168.1.41", location="http://1.1.1.1/d.xml")
    await describe(host)
    assert host.notes == ["its description is elsewhere (http://1.1.1.1/d.xml): not fetched"]


def test_the_table_recognises_by_any_one_signal() -> None:
    assert {f.id for f in table().families} >= {
        "wled",
        "shelly_gen1",
        "shelly_gen2",
        "tasmota",
        "esphome",
        "hue",
        "sonos",
        "homekit",
        "chromecast",
        "printer",
    }
    printer = recognise(Evidence(mdns_types={"_ipp._tcp.local."}))
    assert printer is not None
    assert printer.smart_home is False
    tasmota = recognise(Evidence(servers={"Tasmota/13.1.0 (ESP8266EX)"}))
    assert tasmota is not None
    assert tasmota.id == "tasmota"
    assert recognise(Evidence(mdns_types={"_shelly._tcp.local."}, txt={"gen": "1"})) is None
    assert recognise(Evidence(mdns_types={"_http._tcp.local."})) is None


class WebPageStrip(WledStrip):
    """A strip whose `_wled._tcp` announcement was lost: only its web page is announced."""

    async def start(self, interface: str) -> None:
        await self.server.start()
        server = f"wled-{self.mac[-6:]}.local."
        page = service_info(HTTP_SERVICE, self.name, self.host, self.port, server=server)
        self._announcer = Announcer([page], interface)
        await self._announcer.start()


@pytest.mark.timeout(120)
async def test_a_host_known_only_by_its_web_page_is_recognised_by_its_title() -> None:
    strip = WebPageStrip(HostAllocator().allocate(), "Desk Strip", mac_of(secrets.token_hex(6)))
    await strip.start(LOOPBACK)
    audit: list[ProbeRecord] = []
    try:
        found: list[Host] = []
        for _ in range(6):  # discovery on a busy loopback: listen again if it is missing
            found = await explore(
                {}, seconds=2.0, interfaces=[LOOPBACK], only_hosts={strip.host}, record=audit.append
            )
            if found:
                break
    finally:
        await strip.stop()
    [host] = found
    assert host.evidence.titles == {"WLED"}
    assert _family(host) == "wled"
    assert host.status == "not driven yet"
    # one read-only request, its page, in the audit log too
    assert {(r.method, r.path) for r in strip.requests} == {("GET", "/")}
    assert {(r.host, r.method, r.target) for r in audit} == {(strip.host, "GET", "/")}


def test_a_page_title_is_read_from_the_html() -> None:
    assert page_title(b"<html><head><TITLE lang=en> WLED </TITLE></head>") == "WLED"
    assert page_title(b"<html><body>no title</body></html>") == ""
    assert recognise(Evidence(titles={"FRITZ!Box 7590"})) == family("router")
