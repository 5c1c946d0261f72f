"""SSDP for the emulated players: one M-SEARCH responder on loopback for all of them.

The responder joins 239.255.255.250:1900 on the loopback interface only and answers
loopback senders only. Each speaker answers from a socket bound to its own address,
since SoCo makes a player of whichever address the answer came from.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
from collections.abc import Callable

from devices.adapters.sonos.emulator.household import Household
from devices.adapters.sonos.emulator.state import SpeakerState
from devices.adapters.sonos.emulator.templates import server_header
from devices.testing.addresses import is_loopback

SSDP_GROUP = "239.255.255.250"
SSDP_PORT = 1900
ZONE_PLAYER = "urn:schemas-upnp-org:device:ZonePlayer:1"
MEDIA_RENDERER = "urn:schemas-upnp-org:device:MediaRenderer:1"
MEDIA_SERVER = "urn:schemas-upnp-org:device:MediaServer:1"
_IP_MULTICAST_ALL = 49  # Linux: only deliver groups this socket joined
_LOGGER = logging.getLogger(__name__)


def parse_search(data: bytes) -> dict[str, str] | None:
    """The headers (upper-case keys) of an M-SEARCH request, or None if it is not one."""
    lines = data.decode("utf-8", errors="replace").splitlines()
    if not lines or not lines[0].upper().startswith("M-SEARCH * HTTP/1.1"):
        return None
    headers = {}
    for line in lines[1:]:
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip().upper()] = value.strip()
    if headers.get("MAN", "").strip('"') != "ssdp:discover":
        return None
    return headers


def targets(speaker: SpeakerState) -> dict[str, str]:
    """The search targets a player answers, each with its USN."""
    uid = speaker.uid
    return {
        "upnp:rootdevice": f"uuid:{uid}::upnp:rootdevice",
        f"uuid:{uid}": f"uuid:{uid}",
        ZONE_PLAYER: f"uuid:{uid}::{ZONE_PLAYER}",
        MEDIA_SERVER: f"uuid:{uid}_MS::{MEDIA_SERVER}",
        MEDIA_RENDERER: f"uuid:{uid}_MR::{MEDIA_RENDERER}",
    }


def matching(speaker: SpeakerState, target: str) -> list[tuple[str, str]]:
    """(ST, USN) of every answer a player gives to the search target."""
    known = targets(speaker)
    if target == "ssdp:all":
        return [(st, known[st]) for st in ("upnp:rootdevice", f"uuid:{speaker.uid}", ZONE_PLAYER)]
    return [(target, known[target])] if target in known else []


def _headers(speaker: SpeakerState, household_id: str) -> str:
    return (
        f"SERVER: {server_header(speaker)}\r\n"
        f"X-RINCON-HOUSEHOLD: {household_id}\r\n"
        f"X-RINCON-BOOTSEQ: {speaker.boot_seq}\r\n"
        f"BOOTID.UPNP.ORG: {speaker.boot_seq}\r\n"
        "X-RINCON-WIFIMODE: 0\r\n"
        "X-RINCON-VARIANT: 2\r\n"
        f"HOUSEHOLD.SMARTSPEAKER.AUDIO: {household_id}.{household_id[-8:]}\r\n"
    )


def search_answer(speaker: SpeakerState, household_id: str, st: str, usn: str) -> bytes:
    """The unicast answer of a player to an M-SEARCH, with the headers a real one sends."""
    return (
        "HTTP/1.1 200 OK\r\n"
        "CACHE-CONTROL: max-age = 1800\r\n"
        "EXT:\r\n"
        f"LOCATION: {speaker.location}\r\n"
        f"ST: {st}\r\n"
        f"USN: {usn}\r\n" + _headers(speaker, household_id) + "\r\n"
    ).encode()


def notification(speaker: SpeakerState, household_id: str, nt: str, usn: str, nts: str) -> bytes:
    """A multicast NOTIFY announcing (ssdp:alive) or retiring (ssdp:byebye) a player."""
    alive = f"CACHE-CONTROL: max-age = 1800\r\nLOCATION: {speaker.location}\r\n"
    return (
        "NOTIFY * HTTP/1.1\r\n"
        f"HOST: {SSDP_GROUP}:{SSDP_PORT}\r\n"
        + (alive if nts == "ssdp:alive" else "")
        + f"NT: {nt}\r\nNTS: {nts}\r\nUSN: {usn}\r\n"
        + _headers(speaker, household_id)
        + "\r\n"
    ).encode()


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, str, int], None] | None = None) -> None:
        self._on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if self._on_datagram is not None:
            self._on_datagram(data, str(addr[0]), int(addr[1]))


class SsdpResponder:
    """Answers SSDP searches for every speaker of a household, on loopback only."""

    def __init__(self, household: Household, interface: str = "127.0.0.1") -> None:
        if not is_loopback(interface):
            raise ValueError(f"SSDP stays on loopback, not {interface}")
        self.household = household
        self.interface = interface
        self._listener: asyncio.DatagramTransport | None = None
        self._senders: dict[str, asyncio.DatagramTransport] = {}

    def _multicast_socket(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if hasattr(socket, "SO_REUSEPORT"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            # Bound to the group, not to an interface: it sees only this group's datagrams.
            sock.bind((SSDP_GROUP, SSDP_PORT))
            membership = socket.inet_aton(SSDP_GROUP) + socket.inet_aton(self.interface)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
            with contextlib.suppress(OSError):  # not Linux: the option does not exist
                sock.setsockopt(socket.IPPROTO_IP, _IP_MULTICAST_ALL, 0)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        return sock

    def _sender_socket(self, host: str) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            sock.setsockopt(
                socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(self.interface)
            )
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
            sock.bind((host, 0))
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        return sock

    async def start(self) -> None:
        """Join the group on loopback, open one sender per speaker, announce them."""
        loop = asyncio.get_running_loop()
        try:
            for speaker in self.household.speakers.values():
                transport, _ = await loop.create_datagram_endpoint(
                    _Datagrams, sock=self._sender_socket(speaker.host)
                )
                self._senders[speaker.uid] = transport
            self._listener, _ = await loop.create_datagram_endpoint(
                lambda: _Datagrams(self._on_datagram), sock=self._multicast_socket()
            )
        except OSError:
            await self.stop(announce=False)
            raise
        self._announce("ssdp:alive")

    async def stop(self, *, announce: bool = True) -> None:
        """Say goodbye and close every socket (answers still due are dropped)."""
        if announce:
            self._announce("ssdp:byebye")
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for transport in self._senders.values():
            transport.close()
        self._senders.clear()

    def _announce(self, nts: str) -> None:
        household_id = self.household.household_id
        for speaker in self.household.speakers.values():
            sender = self._senders.get(speaker.uid)
            if sender is None:
                continue
            for nt, usn in matching(speaker, "ssdp:all"):
                packet = notification(speaker, household_id, nt, usn, nts)
                sender.sendto(packet, (SSDP_GROUP, SSDP_PORT))

    def _on_datagram(self, data: bytes, sender: str, port: int) -> None:
        if not is_loopback(sender):
            _LOGGER.debug("Ignored an SSDP datagram from %s: not loopback", sender)
            return
        headers = parse_search(data)
        if headers is None:
            return
        target = headers.get("ST", "")
        loop = asyncio.get_running_loop()
        for speaker in self.household.speakers.values():
            transport = self._senders.get(speaker.uid)
            if transport is None:
                continue
            for st, usn in matching(speaker, target):
                answer = search_answer(speaker, self.household.household_id, st, usn)
                # MX is honoured loosely: every answer leaves within a few milliseconds.
                delay = random.uniform(0.0, 0.005)
                loop.call_later(delay, self._send, transport, answer, (sender, port))

    @staticmethod
    def _send(transport: asyncio.DatagramTransport, answer: bytes, addr: tuple[str, int]) -> None:
        if not transport.is_closing():
            transport.sendto(answer, addr)
