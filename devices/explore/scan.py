"""`dobby explore`: every host that answers discovery, with what it is and who drives it.

Discovery lists every mDNS service type (`_services._dns-sd._udp`) and every instance of
each, and searches SSDP for `ssdp:all`; each UPnP device's description is fetched (a
read-only probe of that host, within a small budget). Only hosts in the local ranges are
looked at, and only those in `only_hosts` when given (the demo's own emulators, when other
emulators share loopback). Each host is then recognised from the signature table.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from devices.discovery import Discovery
from devices.explore.fingerprints import Evidence, Family, recognise, table
from devices.explore.portscan import TcpScanConfig, tcp_scan
from devices.explore.probe import Answer, Prober, ProbeRecord, parse_xml
from devices.explore.ranges import is_local
from devices.plugin import Discovered, Manifest
from devices.recipe import Recipe, identity_of

DESCRIPTION_BUDGET = 2
HTTP_SERVICE = "_http._tcp.local."
WEB_PORTS = (80, 8080)
"""Ports where an unrecognised host's page is looked for, if it announced none."""
_TITLE = re.compile(rb"<title[^>]*>([^<]{1,200})</title>", re.IGNORECASE)
TABLE = "(signature table)"
"""Discovery's name for the table's own service types (no adapter takes them)."""
UPNP_DEVICE = "urn:schemas-upnp-org:device-1-0"

Status = Literal["driven", "not driven yet", "not smart-home gear", "unknown"]
_SAYS: dict[str, dict[str, str]] = {
    "en": {
        "upnp": "UPnP device",
        "not_recognised": "not recognised",
        "by_adapter": "driven by the {adapter} adapter",
        "by_recipe": "driven by its recipe ({recipe})",
        "unknown": "unknown: `dobby explore HOST` may learn it",
        "left_alone": "left alone",
        "adapter_once": "the {adapter} adapter, once installed",
        "recipe_way": "a recipe: `dobby explore {address}`",
        "no_way": "no way to drive it yet",
        "could": "could be driven by {ways}",
        "or": "or",
    },
    "de": {
        "upnp": "UPnP-Gerät",
        "not_recognised": "nicht erkannt",
        "by_adapter": "gesteuert vom Adapter {adapter}",
        "by_recipe": "gesteuert nach seinem Rezept ({recipe})",
        "unknown": "unbekannt: „lerne das Gerät unter HOST“ kann es lernen",
        "left_alone": "bleibt unberührt",
        "adapter_once": "den Adapter {adapter}, sobald er installiert ist",
        "recipe_way": "ein Rezept: „lerne das Gerät unter {address}“",
        "no_way": "noch keine Möglichkeit, es zu steuern",
        "could": "steuerbar über {ways}",
        "or": "oder",
    },
}
"""How a host is described, by language (chat answers in the asker's)."""


@dataclass
class Service:
    """A UPnP service of a device description."""

    service_type: str
    scpd: str
    control: str


@dataclass
class Description:
    """What a UPnP device description says."""

    device_type: str = ""
    friendly_name: str = ""
    manufacturer: str = ""
    model: str = ""
    udn: str = ""
    services: list[Service] = field(default_factory=list)


def read_description(body: bytes) -> Description | None:
    """The root device of a UPnP description, or None if it is not one."""
    root = parse_xml(body)
    if root is None:
        return None
    device = root.find(f"{{{UPNP_DEVICE}}}device")
    if device is None:
        return None

    def text(element: Any, name: str) -> str:
        found = element.find(f"{{{UPNP_DEVICE}}}{name}")
        return (found.text or "").strip() if found is not None else ""

    services = [
        Service(text(s, "serviceType"), text(s, "SCPDURL"), text(s, "controlURL"))
        for s in device.iter(f"{{{UPNP_DEVICE}}}service")
    ]
    return Description(
        text(device, "deviceType"),
        text(device, "friendlyName"),
        text(device, "manufacturer"),
        text(device, "modelName"),
        text(device, "UDN"),
        services,
    )


@dataclass
class Host:
    """One host that answered, and what Dobby makes of it."""

    address: str
    evidence: Evidence = field(default_factory=Evidence)
    names: list[str] = field(default_factory=list)
    ports: set[int] = field(default_factory=set)
    identity: str = ""
    """A stable identity: the MAC (mDNS TXT), a Shelly id, or the UPnP UDN."""
    description: Description | None = None
    location: str | None = None
    http_ports: set[int] = field(default_factory=set)
    """Where it announced a web page (`_http._tcp`)."""
    family: Family | None = None
    recipe: str | None = None
    """The name of the recipe Dobby drives it by, if it learned it."""
    adapter: str | None = None
    """The installed adapter that takes its announcements, if any."""
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> Status:
        """Whether Dobby drives it, could drive it, leaves it alone, or does not know it."""
        if self.adapter is not None or self.recipe is not None:
            return "driven"
        if self.family is None:
            return "unknown"
        if not self.family.smart_home:
            return "not smart-home gear"
        return "not driven yet"

    @property
    def what(self) -> str:
        """What it is, in a few words."""
        return self.what_in("en")

    @property
    def how(self) -> str:
        """What Dobby can do about it."""
        return self.how_in("en")

    def what_in(self, language: str) -> str:
        """What it is, in a few words of `language` (English or German)."""
        says = _SAYS.get(language, _SAYS["en"])
        if self.family is not None:
            title = self.family.title_in(language)
        elif self.description is not None and self.description.manufacturer:
            title = says["upnp"]
        else:
            return says["not_recognised"]
        if self.description is not None and self.description.manufacturer:
            return f"{title}: {self.description.manufacturer} {self.description.model}".strip()
        return title

    def how_in(self, language: str) -> str:
        """What Dobby can do about it, in `language` (English or German)."""
        says = _SAYS.get(language, _SAYS["en"])
        if self.adapter is not None:
            return says["by_adapter"].format(adapter=self.adapter)
        if self.recipe is not None:
            return says["by_recipe"].format(recipe=self.recipe)
        if self.family is None:
            return says["unknown"]
        if not self.family.smart_home:
            return says["left_alone"]
        ways = []
        if self.family.adapter is not None:
            ways.append(says["adapter_once"].format(adapter=self.family.adapter))
        if self.family.learnable:
            ways.append(says["recipe_way"].format(address=self.address))
        if not ways:
            return says["no_way"]
        return says["could"].format(ways=f" {says['or']} ".join(ways))

    def as_json(self) -> dict[str, Any]:
        """The host for `--json`."""
        return {
            "host": self.address,
            "name": self.names[0] if self.names else "",
            "identity": self.identity,
            "family": self.family.id if self.family is not None else None,
            "kind": self.family.kind if self.family is not None else None,
            "what": self.what,
            "status": self.status,
            "adapter": self.adapter,
            "how": self.how,
            "mdns_types": sorted(self.evidence.mdns_types),
            "ssdp_types": sorted(self.evidence.ssdp_targets),
            "ports": sorted(self.ports),
            "notes": self.notes,
        }


def _instance(name: str, service_type: str) -> str:
    suffix = f".{service_type}"
    return name.removesuffix(suffix)


def gather(
    findings: Sequence[tuple[Discovered, str | None]], only_hosts: Collection[str] | None
) -> dict[str, Host]:
    """Group what answered by host (local hosts only, and only `only_hosts` if given)."""
    hosts: dict[str, Host] = {}
    for found, adapter in findings:
        if not is_local(found.host) or (only_hosts is not None and found.host not in only_hosts):
            continue
        host = hosts.setdefault(found.host, Host(found.host))
        if adapter is not None:
            host.adapter = host.adapter or adapter
        evidence = host.evidence
        if found.source == "mdns":
            evidence.mdns_types.add(found.type)
            evidence.mdns_names.add(found.name)
            evidence.txt.update(found.properties)
            instance = _instance(found.name, found.type)
            if instance and instance not in host.names:
                host.names.append(instance)
            if found.port:
                host.ports.add(found.port)
                if found.type.lower() == HTTP_SERVICE:
                    host.http_ports.add(found.port)
            host.identity = (
                host.identity or found.properties.get("mac", "") or (found.properties.get("id", ""))
            )
        else:
            evidence.ssdp_targets.add(found.type)
            server = found.properties.get("SERVER", "")
            if server:
                evidence.servers.add(server)
            if found.location and host.location is None:
                host.location = found.location
    return hosts


async def describe(host: Host, record: Callable[[ProbeRecord], None] | None = None) -> None:
    """Fetch the UPnP description the host announced (only from itself), and read it."""
    if host.location is None:
        return
    parts = urlsplit(host.location)
    if parts.scheme != "http" or parts.hostname != host.address:
        host.notes.append(f"its description is elsewhere ({host.location}): not fetched")
        return
    async with Prober(
        host.address, parts.port or 80, budget=DESCRIPTION_BUDGET, record=record
    ) as probe:
        answer = await probe.document(parts.path or "/")
    if answer.note is not None:
        host.notes.append(f"description: {answer.note}")
        return
    _heard_server(host, answer)
    description = read_description(answer.body or b"")
    if description is None:
        host.notes.append("its description is not a UPnP device description")
        return
    host.description = description
    host.ports.add(parts.port or 80)
    host.evidence.manufacturer = description.manufacturer
    host.evidence.model = description.model
    host.evidence.device_type = description.device_type
    host.identity = host.identity or description.udn
    if description.friendly_name and description.friendly_name not in host.names:
        host.names.append(description.friendly_name)


async def read_page(host: Host, record: Callable[[ProbeRecord], None] | None = None) -> None:
    """GET / of a host nothing else recognised (one read-only request): the HTTP `Server`
    header and the page's title, for the signature table."""
    ports = sorted(host.http_ports) or [p for p in WEB_PORTS if p in host.ports]
    if not ports:
        return
    async with Prober(host.address, ports[0], budget=1, record=record) as probe:
        answer = await probe.get("/")
    if answer.status is None:
        host.notes.append(f"page: {answer.note or 'no answer'}")
        return
    _heard_server(host, answer)
    title = page_title(answer.body or b"")
    if title:
        host.evidence.titles.add(title)


def _heard_server(host: Host, answer: Answer) -> None:
    """Keep the HTTP `Server` header of an answer as evidence of what the host is."""
    server = answer.headers.get("Server", "")
    if server:
        host.evidence.servers.add(server)


def page_title(body: bytes) -> str:
    """The HTML title of a page ("" without one)."""
    found = _TITLE.search(body)
    return found.group(1).decode("utf-8", errors="replace").strip() if found else ""


def mark_learned(hosts: Sequence[Host], recipes: Sequence[Recipe]) -> None:
    """Mark the hosts Dobby drives by a recipe: the same identity (MAC, UDN, id), or, where
    the host said none, the recipe's address."""
    by_identity = {r.identity.key.lower(): r for r in recipes}
    by_address = {r.host: r for r in recipes}
    for host in hosts:
        said = identity_of(host.identity) if host.identity else None
        if said is not None:
            recipe = by_identity.get(said.key.lower())
        else:
            recipe = by_address.get(host.address)
        if recipe is not None:
            host.recipe = recipe.name


def _heard(discovery: Discovery) -> set[str]:
    return {f.found.host for f in discovery.findings.values()}


async def explore(
    manifests: Mapping[str, Manifest],
    *,
    seconds: float,
    interfaces: Sequence[str] | None,
    only_hosts: Collection[str] | None = None,
    record: Callable[[ProbeRecord], None] | None = None,
    expect: Collection[str] = (),
    tcp: TcpScanConfig | None = None,
    enough: Callable[[Sequence[Discovered]], bool] | None = None,
) -> list[Host]:
    """Listen for `seconds` (and, while a host of `expect` has not answered yet, up to
    three times as long again; or only until `enough` of what answered says it has all it
    looks for), then recognise every local host that answered."""

    async def ignore(_: Discovered) -> None:
        return None

    # The table's own service types are browsed at once too, not only once the service
    # type enumeration has named them (a round trip that a busy network makes slow).
    known = tuple(sorted({t for f in table().families for t in f.match.mdns}))
    table_types = Manifest(name=TABLE, title="Signature table", domains=(), mdns_types=known)
    discovery = Discovery(
        {**manifests, TABLE: table_types}, ignore, interfaces=interfaces, list_unknown=True
    )
    await discovery.start(search_interval=max(1.0, seconds / 2))
    try:
        listened = 0.0
        while listened < seconds or (
            listened < 4 * seconds and not set(expect) <= _heard(discovery)
        ):
            if enough is not None and enough([f.found for f in discovery.findings.values()]):
                break
            await asyncio.sleep(0.25)
            listened += 0.25
    finally:
        await discovery.stop()
    findings = [
        (f.found, None if f.adapter == TABLE else f.adapter) for f in discovery.findings.values()
    ]
    hosts = gather(findings, only_hosts)
    if tcp is not None and tcp.enabled:
        opened = await tcp_scan(
            tcp.subnets, ports=tcp.ports, rate=tcp.rate, connect_within=tcp.timeout, record=record
        )
        for address, ports in opened.items():
            if only_hosts is not None and address not in only_hosts:
                continue
            host = hosts.setdefault(address, Host(address))
            host.ports |= ports
            host.notes.append(f"open TCP ports: {', '.join(str(p) for p in sorted(ports))}")
    await asyncio.gather(*(describe(host, record) for host in hosts.values()))
    for host in hosts.values():
        host.family = recognise(host.evidence)
    unknown = [host for host in hosts.values() if host.family is None]
    await asyncio.gather(*(read_page(host, record) for host in unknown))
    for host in unknown:
        host.family = recognise(host.evidence)
    return sorted(hosts.values(), key=lambda h: ipaddress.ip_address(h.address))
