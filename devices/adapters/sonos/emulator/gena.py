"""UPnP eventing (GENA) for the emulated players: subscriptions and NOTIFY delivery.

A subscription's callback must be on loopback; anything else is refused, so the emulator
never sends outside 127.0.0.0/8. Each NOTIFY leaves from the speaker's own address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp

from devices.adapters.sonos.emulator.events import event_body
from devices.adapters.sonos.emulator.household import Household
from devices.adapters.sonos.emulator.services import Service
from devices.adapters.sonos.emulator.state import SpeakerState
from devices.background import Background

MAX_TIMEOUT = 86400
"""What a player grants when no (or an infinite) timeout is asked for."""
_CALLBACK = re.compile(r"<([^>]*)>")


class SubscriptionError(Exception):
    """A SUBSCRIBE or UNSUBSCRIBE the player refuses, with the HTTP status it answers."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class Subscription:
    """One GENA subscription to one service of one speaker."""

    sid: str
    speaker: SpeakerState
    service: Service
    callback: str
    timeout: int
    expires: float
    seq: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def expired(self) -> bool:
        """Whether its time ran out without a renewal."""
        return time.monotonic() > self.expires

    def next_seq(self) -> int:
        """The SEQ of the next event (0 for the initial one; wraps to 1)."""
        seq = self.seq
        self.seq = 1 if seq >= 0xFFFFFFFF else seq + 1
        return seq


def loopback_callback(header: str) -> str:
    """The first loopback http URL of a CALLBACK header; SubscriptionError(412) if none."""
    for found in _CALLBACK.findall(header):
        url = str(found).strip()
        parts = urlsplit(url)
        try:
            host = ipaddress.IPv4Address(parts.hostname or "")
        except ValueError:
            continue
        if parts.scheme == "http" and host.is_loopback:
            return url
    raise SubscriptionError(412, "callback is not an http URL on loopback")


def granted_timeout(header: str | None) -> int:
    """The timeout granted for a TIMEOUT header ("Second-1800", "infinite" or none)."""
    if not header or header.strip().lower() == "infinite":
        return MAX_TIMEOUT
    try:
        requested = int(header.strip().lower().removeprefix("second-"))
    except ValueError:
        return MAX_TIMEOUT
    return max(1, min(requested, MAX_TIMEOUT))


class EventPublisher:
    """Keeps the subscriptions of every speaker and notifies them of changes."""

    def __init__(self, household: Household, *, initial_delay: float = 0.05) -> None:
        self.household = household
        self.initial_delay = initial_delay
        """Pause between a SUBSCRIBE's answer and its initial event, as a real player makes."""
        self.subscriptions: dict[str, Subscription] = {}
        self._last: dict[tuple[str, str], str] = {}
        self._made_of: dict[tuple[str, str], tuple[object, ...]] = {}
        self._fingerprint: tuple[object, ...] | None = None
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self._tasks = Background()
        self._ids = itertools.count(1)

    async def start(self) -> None:
        """Open one HTTP client per speaker, bound to its address."""
        for speaker in self.household.speakers.values():
            connector = aiohttp.TCPConnector(local_addr=(speaker.host, 0), limit=0)
            self._sessions[speaker.host] = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=5)
            )

    async def close(self) -> None:
        """Stop delivering and close the clients."""
        await self._tasks.cancel()
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()
        self.subscriptions.clear()

    def subscribe(
        self, speaker: SpeakerState, service: Service, callback: str, timeout: str | None
    ) -> Subscription:
        """A new subscription; its initial event follows shortly after the answer."""
        url = loopback_callback(callback)
        self.publish()
        granted = granted_timeout(timeout)
        subscription = Subscription(
            sid=f"uuid:{speaker.uid}_sub{next(self._ids):010d}",
            speaker=speaker,
            service=service,
            callback=url,
            timeout=granted,
            expires=time.monotonic() + granted,
        )
        self.subscriptions[subscription.sid] = subscription
        body = event_body(service, self.household, speaker)
        self._last[(speaker.uid, service.event_url)] = body
        self._schedule(subscription, body, self.initial_delay)
        return subscription

    def _find(self, speaker: SpeakerState, service: Service, sid: str) -> Subscription:
        subscription = self.subscriptions.get(sid.strip())
        if (
            subscription is None
            or subscription.speaker is not speaker
            or subscription.service.event_url != service.event_url
            or subscription.expired
        ):
            raise SubscriptionError(412, "no such subscription")
        return subscription

    def renew(
        self, speaker: SpeakerState, service: Service, sid: str, timeout: str | None
    ) -> Subscription:
        """Extend a subscription; SubscriptionError(412) if it is unknown or expired."""
        subscription = self._find(speaker, service, sid)
        subscription.timeout = granted_timeout(timeout)
        subscription.expires = time.monotonic() + subscription.timeout
        return subscription

    def unsubscribe(self, speaker: SpeakerState, service: Service, sid: str) -> None:
        """End a subscription; SubscriptionError(412) if it is unknown."""
        subscription = self._find(speaker, service, sid)
        del self.subscriptions[subscription.sid]

    def publish(self) -> None:
        """Notify every subscriber whose service's variables changed since the last event."""
        house = self.household
        speakers = {uid: speaker.fingerprint() for uid, speaker in house.speakers.items()}
        fingerprint = (house.topology_version, *speakers.values())
        if fingerprint == self._fingerprint:
            return
        self._fingerprint = fingerprint
        live: dict[tuple[str, str], list[Subscription]] = {}
        for sid, subscription in list(self.subscriptions.items()):
            if subscription.expired:
                del self.subscriptions[sid]
                continue
            key = (subscription.speaker.uid, subscription.service.event_url)
            live.setdefault(key, []).append(subscription)
        inputs = self._inputs(speakers)
        memo: dict[str, str] = {}
        for key, subscriptions in live.items():
            first = subscriptions[0]
            # A body is rendered again only when what it is made of changed: renders cost
            # far more than comparing fingerprints, and one change touches few speakers.
            made_of = inputs(first.speaker, first.service)
            if self._made_of.get(key) == made_of:
                continue
            self._made_of[key] = made_of
            body = event_body(first.service, self.household, first.speaker, memo)
            if self._last.get(key) == body:
                continue
            self._last[key] = body
            for subscription in subscriptions:
                self._schedule(subscription, body, 0.0)

    def _inputs(
        self, fingerprints: dict[str, tuple[object, ...]]
    ) -> Callable[[SpeakerState, Service], tuple[object, ...]]:
        """What a speaker's body for a service is made of: its group's state, or, for the
        topology, the household's groups (transport, volume and the like do not count)."""
        house = self.household
        groups: dict[str, tuple[object, ...]] = {}
        for uid, speaker in house.speakers.items():
            leader = house.coordinator_of(speaker).uid
            groups[leader] = (*groups.get(leader, ()), uid, fingerprints[uid])
        topology: list[tuple[object, ...]] = []

        def inputs(speaker: SpeakerState, service: Service) -> tuple[object, ...]:
            if service.name == "ZoneGroupTopology":
                if not topology:
                    topology.append(house.topology_fingerprint())
                return topology[0]
            return groups[house.coordinator_of(speaker).uid]

        return inputs

    async def delivered(self) -> None:
        """Wait until every event sent so far has been delivered (or given up on)."""
        await self._tasks.finish()

    def _schedule(self, subscription: Subscription, body: str, delay: float) -> None:
        seq = subscription.next_seq()
        self._tasks.spawn(self._deliver(subscription, body, seq, delay))

    async def _deliver(self, subscription: Subscription, body: str, seq: int, delay: float) -> None:
        speaker = subscription.speaker
        logger = logging.getLogger(f"{__name__}[{speaker.host}]")
        session = self._sessions.get(speaker.host)
        if session is None:
            return
        async with subscription.lock:
            if delay:
                await asyncio.sleep(delay)
            headers = {
                "CONTENT-TYPE": 'text/xml; charset="utf-8"',
                "NT": "upnp:event",
                "NTS": "upnp:propchange",
                "SID": subscription.sid,
                "SEQ": str(seq),
            }
            try:
                async with session.request(
                    "NOTIFY", subscription.callback, data=body.encode(), headers=headers
                ) as response:
                    await response.read()
                    if response.status >= 300:
                        logger.debug("NOTIFY %s answered %s", subscription.sid, response.status)
            except (aiohttp.ClientError, TimeoutError, OSError) as error:
                logger.debug("NOTIFY %s to %s failed: %s", seq, subscription.callback, error)

    def active(self, speaker: SpeakerState | None = None) -> Iterable[Subscription]:
        """The live subscriptions (of one speaker, if given)."""
        return [
            s
            for s in self.subscriptions.values()
            if not s.expired and (speaker is None or s.speaker is speaker)
        ]
