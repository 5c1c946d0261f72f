"""UPnP event subscriptions for Sonos speakers, through SoCo's asyncio event listener.

Each speaker's AVTransport and RenderingControl services push their changes (transport
state, track, volume, mute) as GENA NOTIFY requests to a small HTTP server SoCo runs in
our event loop; its ZoneGroupTopology service pushes the household's groups, which SoCo
keeps (so asking a speaker for its group no longer costs a request). A speaker whose
subscription fails, or later cannot be renewed, is polled instead.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Any

import soco.config
from soco import events_asyncio
from soco.events_base import Event, get_listen_ip

from devices.adapters.sonos.speaker import TRANSPORT_STATES, Speaker
from devices.background import Background

_LOGGER = logging.getLogger(__name__)

SUBSCRIPTION_SECONDS = 600
UNSUBSCRIBE_SECONDS = 5.0
"""Seconds stopping waits for all speakers together to answer their unsubscribes."""

Changed = Callable[[dict[str, Any]], None]
Regrouped = Callable[[], None]
Lost = Callable[[str], None]


def fields_of(event: Event) -> dict[str, Any]:
    """The media_player state fields an AVTransport or RenderingControl event carries."""
    variables: dict[str, Any] = event.variables
    fields: dict[str, Any] = {}
    transport = variables.get("transport_state")
    if isinstance(transport, str) and transport in TRANSPORT_STATES:
        fields["state"] = TRANSPORT_STATES[transport]
    track = variables.get("current_track_meta_data")
    if track is not None and hasattr(track, "title"):
        fields["media_title"] = getattr(track, "title", None) or None
        fields["media_artist"] = getattr(track, "creator", None) or None
        fields["media_album"] = getattr(track, "album", None) or None
    volume = variables.get("volume")
    if isinstance(volume, dict) and str(volume.get("Master", "")).isdigit():
        fields["volume"] = int(volume["Master"])
    mute = variables.get("mute")
    if isinstance(mute, dict) and mute.get("Master") in ("0", "1"):
        fields["muted"] = mute["Master"] == "1"
    return fields


def free_port(ip: str, first: int) -> int:
    """`first` if a listening socket can bind it on `ip`, else a port the system picks
    (not `first + 1`: other listeners on the machine race for the ports next to it)."""
    for port in (first, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((ip, port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    return first


class SpeakerEvents:
    """The event subscriptions of every speaker of one adapter."""

    def __init__(
        self,
        port: int,
        listener_ip: str | None,
        on_lost: Lost,
        unsubscribe_seconds: float = UNSUBSCRIBE_SECONDS,
    ) -> None:
        self.port = port
        self.listener_ip = listener_ip
        self.on_lost = on_lost
        """Called with a speaker's uid when its subscriptions could not be renewed."""
        self.unsubscribe_seconds = unsubscribe_seconds
        """How long `stop` waits for every speaker, all at once, to take its unsubscribes."""
        self._subscriptions: dict[str, list[events_asyncio.Subscription]] = {}
        self._dropping = Background()

    async def subscribe(
        self, uid: str, speaker: Speaker, on_change: Changed, on_regroup: Regrouped
    ) -> bool:
        """Subscribe to one speaker's changes and to its view of the groups; False (and
        polling) if that fails."""
        listener = events_asyncio.event_listener
        if not listener.is_running:
            ip = self.listener_ip or get_listen_ip(speaker.host)
            # SoCo's listener leaks a socket for every port it fails to bind; hand it one
            # that binds.
            listener.requested_port_number = free_port(ip, self.port)
            if self.listener_ip is not None:
                soco.config.EVENT_LISTENER_IP = self.listener_ip

        def deliver(event: Event) -> None:
            fields = fields_of(event)
            if fields:
                on_change(fields)

        def regroup(event: Event) -> None:
            del event  # SoCo has already taken the new topology in
            on_regroup()

        def lost(error: Exception) -> None:
            dropped = self._subscriptions.pop(uid, None)
            if dropped is None:  # another of its services failed first
                return
            speaker.logger.warning("Events stopped (%s); polling this speaker", error)
            self._dropping.spawn(_unsubscribe(dropped, self.unsubscribe_seconds))
            self.on_lost(uid)

        device = speaker.device
        services = (
            (device.avTransport, deliver),
            (device.renderingControl, deliver),
            (device.zoneGroupTopology, regroup),
        )
        subscriptions = []
        try:
            for service, callback in services:
                subscription = events_asyncio.Subscription(service, callback=callback)
                subscription.auto_renew_fail = lost
                await subscription.subscribe(
                    requested_timeout=SUBSCRIPTION_SECONDS, auto_renew=True
                )
                subscriptions.append(subscription)
        except Exception as error:  # noqa: BLE001 - any failure means: poll this speaker
            speaker.logger.warning("No events from this speaker, polling it: %s", error)
            await _unsubscribe(subscriptions, self.unsubscribe_seconds)
            return False
        self._subscriptions[uid] = subscriptions
        return True

    def subscribed(self, uid: str) -> bool:
        """Whether a speaker's changes arrive as events."""
        return uid in self._subscriptions

    async def stop(self) -> None:
        """Unsubscribe from every speaker at once, waiting `unsubscribe_seconds` at most
        for all of them together, and stop the listener."""
        subscribed, self._subscriptions = self._subscriptions, {}
        for subscriptions in subscribed.values():  # all at once: one time limit for them all
            self._dropping.spawn(_unsubscribe(subscriptions, self.unsubscribe_seconds))
        await self._dropping.finish()
        listener = events_asyncio.event_listener
        await listener.async_stop()
        if listener._stop_grace_task is not None:
            listener._stop_grace_task.cancel()
            listener._stop_grace_task = None
        # SoCo's listener is one object per process whose locks bind to the event loop that
        # first used them; a later loop (a restart, the next test) needs fresh ones.
        listener.start_lock = listener.stop_lock = None


async def _unsubscribe(subscriptions: list[events_asyncio.Subscription], within: float) -> None:
    """Unsubscribe one speaker's services (all at once, within `within` seconds), as a
    courtesy to the speaker: one that is gone or slow cannot be told, and that
    is one line in the log, not SoCo's traceback (the subscriptions end here either way)."""
    if not subscriptions:
        return
    try:
        async with asyncio.timeout(within):
            outcomes = await asyncio.gather(
                *(s.unsubscribe(strict=True) for s in subscriptions), return_exceptions=True
            )
    except TimeoutError as error:
        outcomes = [error]
    failed = next((o for o in outcomes if isinstance(o, BaseException)), None)
    for subscription in subscriptions:
        if subscription.is_subscribed:
            # Cut short by the time limit: still registered with SoCo, and would renew.
            # SoCo has no public way to drop a subscription without asking the speaker.
            subscription._cancel_subscription()
    if failed is not None:
        reason = "no answer in time" if isinstance(failed, TimeoutError) else str(failed)
        _LOGGER.info(
            "Could not unsubscribe from %s (%s): it ends on the speaker when it expires",
            subscriptions[0].service.soco.ip_address,
            reason or type(failed).__name__,
        )
