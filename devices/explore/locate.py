"""Finding learned devices again, by the identity their recipes name, wherever they moved.

A device's address changes: a new DHCP lease, a new router, and in the demo a new virtual
house at every start. Its recipe names it by its MAC, UDN or device id, so Dobby listens
on the configured networks as `dobby explore` does (mDNS, SSDP) and matches what each host
says about itself: an mDNS TXT `mac` or `id`, the UDN that begins an SSDP USN or a UPnP
description. A host of the recipe's family that says no identity in its announcements is
asked at its read-only identity endpoint, as learning did. Listening ends as soon as every
device looked for has answered.

    places = await locate(recipes, interfaces=["192.168.1.10"], only_hosts=None)
    places["02:ab:cd:ef:01:23"]          # Place(host="192.168.1.57", port=80)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from devices.explore.learn import Learner
from devices.explore.ranges import is_local
from devices.explore.scan import Host, explore
from devices.plugin import Discovered
from devices.recipe import Recipe, identity_of

LISTEN = 3.0
"""Seconds to listen for the devices looked for (less once they have all answered)."""
ASKED_AT_MOST = 8
"""Hosts asked who they are, at most, per look (those that announce no identity)."""
IDENTIFY_BUDGET = 12
"""Requests to one host, at most, to ask who it is."""


@dataclass(frozen=True)
class Place:
    """Where a device answers now."""

    host: str
    port: int


def key_of(text: str) -> str | None:
    """The identity key (as a recipe's `identity.key`, lower case) of what a host said."""
    said = identity_of(text.strip())
    return said.key.lower() if said is not None else None


async def identity_at(place: Place, within: float) -> str | None:
    """The identity key the device at `place` gives at its read-only identity endpoints
    (None: nothing answered, or it did not say)."""
    seen = await Learner(
        place.host, place.port, budget=IDENTIFY_BUDGET, timeout=within, location=None
    ).identify()
    return key_of(seen.identity) if seen.identity else None


def said_by(found: Discovered) -> Place | None:
    """Where an answer says its device is (its HTTP port)."""
    if found.source == "ssdp":
        if found.location is None:
            return None
        parts = urlsplit(found.location)
        if parts.hostname != found.host:
            return None
        return Place(found.host, parts.port or 80)
    return Place(found.host, found.port or 80)


def identities(found: Discovered) -> set[str]:
    """The identity keys an answer carries: a TXT `mac` or `id`, or an SSDP USN's UDN."""
    texts: list[str] = []
    if found.source == "mdns":
        texts += [found.properties.get("mac", ""), found.properties.get("id", "")]
    elif found.name.startswith("uuid:"):
        texts.append(found.name.split("::", 1)[0])
    return {key for text in texts if text and (key := key_of(text)) is not None}


def _matches(
    answers: Sequence[Discovered], wanted: Collection[str], only_hosts: Collection[str] | None
) -> dict[str, Place]:
    places: dict[str, Place] = {}
    for found in answers:
        if not is_local(found.host) or (only_hosts is not None and found.host not in only_hosts):
            continue
        place = said_by(found)
        if place is None:
            continue
        for key in identities(found) & set(wanted):
            places.setdefault(key, place)
    return places


async def locate(
    recipes: Sequence[Recipe],
    *,
    interfaces: Sequence[str] | None,
    only_hosts: Collection[str] | None,
    seconds: float = LISTEN,
    request_timeout: float = 3.0,
) -> dict[str, Place]:
    """Where the devices of these recipes answer now, by identity key (lower case); a
    device that was not heard is left out."""
    wanted = {r.identity.key.lower(): r for r in recipes}
    heard: list[Discovered] = []

    def enough(answers: Sequence[Discovered]) -> bool:
        heard[:] = answers
        return set(wanted) <= set(_matches(answers, wanted, only_hosts))

    hosts = await explore(
        {}, seconds=seconds, interfaces=interfaces, only_hosts=only_hosts, enough=enough
    )
    places = _matches(heard, wanted, only_hosts)
    for host in hosts:  # a UPnP description's UDN, fetched after listening
        key = key_of(host.identity) if host.identity else None
        if key is not None and key in wanted and key not in places and host.location:
            place = said_by(Discovered("ssdp", "", host.address, location=host.location))
            if place is not None:
                places[key] = place
    missing = [r for key, r in wanted.items() if key not in places]
    if missing:
        places |= await _ask(missing, hosts, set(places.values()), request_timeout)
    return places


async def _ask(
    recipes: Sequence[Recipe], hosts: Sequence[Host], taken: set[Place], within: float
) -> dict[str, Place]:
    """Ask the hosts of these recipes' families that announce no identity who they are."""
    families = {r.family for r in recipes if r.family is not None}
    ports = {r.port for r in recipes}
    candidates = [
        Place(host.address, port)
        for host in hosts
        if not host.identity and host.family is not None and host.family.id in families
        for port in sorted((host.ports & ports) or host.ports or ports)
    ]
    wanted = {r.identity.key.lower() for r in recipes}
    places: dict[str, Place] = {}
    for place in [c for c in candidates if c not in taken][:ASKED_AT_MOST]:
        key = await identity_at(place, within)
        if key is not None and key in wanted and key not in places:
            places[key] = place
        if set(places) == wanted:
            break
    return places
