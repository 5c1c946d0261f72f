"""The Sonos adapter: finds speakers (SSDP ZonePlayer, mDNS _sonos._tcp), drives them.

SoCo (and `requests`, which it speaks HTTP with) is imported with this module, which Dobby
imports (off the event loop) when the first speaker answers: a house without Sonos never
loads it (the manifest, manifest.py, is all Dobby reads before).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import soco

from devices.adapters.sonos.events import SpeakerEvents
from devices.adapters.sonos.manifest import MANIFEST, SonosConfig
from devices.adapters.sonos.speaker import Speaker, SpeakerInfo
from devices.background import Background
from devices.capabilities import (
    CommandSpec,
    Domain,
    MediaPlayerFeature,
    MediaPlayerState,
    Params,
)
from devices.entities import DeviceInfo, Entity, EntitySpec
from devices.errors import DeviceError, DeviceUnavailableError
from devices.plugin import Adapter, AdapterConfig, AdapterContext, Discovered

_LOGGER = logging.getLogger(__name__)

FEATURES = frozenset(feature.value for feature in MediaPlayerFeature)

POLL_WITHOUT_EVENTS = 10.0
"""Seconds between polls while some speaker cannot push its changes."""
POLL_WITH_EVENTS = 60.0
"""Seconds between polls while every speaker pushes: a safety net, as for Hue."""


class SonosAdapter(Adapter):
    """Sonos speakers, one media_player entity each."""

    manifest = MANIFEST
    poll_interval = POLL_WITHOUT_EVENTS

    config: SonosConfig

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        self.speakers: dict[str, Speaker] = {}
        """By UPnP uid (RINCON_...)."""
        self._events: SpeakerEvents | None = None
        self._setting_up = Background()
        self._tasks = Background()
        self._regrouping: asyncio.Task[None] | None = None
        self._regroup_wanted = False

    @property
    def events(self) -> SpeakerEvents:
        """The speakers' event subscriptions (SoCo's event listener, made on first use)."""
        if self._events is None:
            config = self.config
            self._events = SpeakerEvents(
                config.event_listener_port, config.event_listener_ip, self._events_lost
            )
        return self._events

    def _speaker(self, host: str) -> Speaker:
        """A speaker at `host`, with SoCo's request timeout set."""
        soco.config.REQUEST_TIMEOUT = self.config.request_timeout
        return Speaker(host)

    async def start(self) -> None:
        """Connect to the hosts named in config."""
        for host in self.config.hosts:
            await self.add_host(host)

    async def discovered(self, found: Discovered) -> None:
        """A speaker answered SSDP or mDNS: set it up, once per address at a time."""
        await self.add_host(found.host)

    async def add_host(self, host: str) -> None:
        """Set up the speaker at `host`, or update it if it is known under another address."""
        await asyncio.shield(self._setting_up.once(host, lambda: self._add_host(host)))

    async def _add_host(self, host: str) -> None:
        speaker = self._speaker(host)
        info: SpeakerInfo = await self.context.run_blocking(speaker.describe)
        known = self.speakers.get(info.uid)
        if known is not None and known.host == host:
            if self.config.events and not self.events.subscribed(info.uid):
                # Its events were lost (it went away); it answers again: so do they.
                await self._subscribe(info.uid, known)
                await self._refresh_one(info.uid, known)
            return
        state = await self.context.run_blocking(speaker.read_state, self._entity_of)
        self.speakers[info.uid] = speaker
        device = DeviceInfo(
            unique_id=info.uid,
            name=info.name,
            host=host,
            manufacturer="Sonos",
            model=info.model,
            sw_version=info.software,
            suggested_area=info.name,
        )
        entity = EntitySpec(
            unique_id=info.uid,
            domain=Domain.MEDIA_PLAYER,
            name=info.name,
            features=FEATURES,
            state=state,
        )
        self.context.add_device(device, [entity])
        await self._subscribe(info.uid, speaker)

    async def _subscribe(self, uid: str, speaker: Speaker) -> None:
        """Take the speaker's changes as events, if configured and not already; then poll
        as rarely as the speakers allow."""
        if self.config.events and not self.events.subscribed(uid):
            # SoCo reads the household id while subscribing; fetch it off the loop first.
            await self.context.run_blocking(lambda: speaker.device.household_id)
            await self.events.subscribe(
                uid, speaker, lambda fields: self._merge(uid, fields), self._regroup
            )
        self._pace()

    def _pace(self) -> None:
        pushed = self.config.events and all(self.events.subscribed(uid) for uid in self.speakers)
        self.poll_interval = POLL_WITH_EVENTS if pushed else POLL_WITHOUT_EVENTS

    def _events_lost(self, uid: str) -> None:
        """A speaker's subscriptions could not be renewed: poll it now, and often."""
        self._pace()
        speaker = self.speakers.get(uid)
        if speaker is not None:
            self._tasks.spawn(self._refresh_one(uid, speaker))

    def _regroup(self) -> None:
        """The household's groups changed: update every speaker's members.

        Every speaker sends the same topology event, so a burst of them is read once (and
        once more if one came in while reading)."""
        self._regroup_wanted = True
        if self._regrouping is None or self._regrouping.done():
            self._regrouping = self._tasks.spawn(self._read_groups())

    async def _read_groups(self) -> None:
        while self._regroup_wanted:
            self._regroup_wanted = False
            speakers = list(self.speakers.items())

            def members(speakers: list[tuple[str, Speaker]]) -> list[list[str] | None]:
                return [speaker.group_members(self._entity_of) for _, speaker in speakers]

            try:
                grouped = await self.context.run_blocking(members, speakers)
            except DeviceError as error:
                _LOGGER.debug("Could not read the groups after a topology event: %s", error)
                return
            for (uid, _), group in zip(speakers, grouped, strict=True):
                self._merge(uid, {"group_members": group})

    def _merge(self, uid: str, fields: dict[str, Any]) -> None:
        """Apply changed state fields (from an event or a command's read-back)."""
        entity = self.context.registry.by_unique_id(f"{self.manifest.name}:{uid}")
        if entity is None or not isinstance(entity.state, MediaPlayerState):
            return
        self.context.push_state(uid, entity.state.model_copy(update=fields))

    def _entity_of(self, uid: str) -> str | None:
        entity = self.context.registry.by_unique_id(f"{self.manifest.name}:{uid}")
        return entity.entity_id if entity else None

    def _speaker_of(self, entity_id: str) -> soco.SoCo:
        entity = self.context.registry.entities.get(entity_id)
        speaker = self.speakers.get(entity.adapter_unique_id) if entity else None
        if speaker is None:
            raise DeviceUnavailableError(f"{entity_id} is not a Sonos speaker I know.")
        return speaker.device

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        """Send the command, then read back what it changed."""
        uid = entity.adapter_unique_id
        speaker = self.speakers.get(uid)
        if speaker is None:
            raise DeviceUnavailableError(f"{entity.name} has not been found on the network.")
        changed = await self.context.run_blocking(
            speaker.run, command.verb, params, self._speaker_of
        )
        if changed is None:
            await self._refresh_one(uid, speaker)
        else:
            self._merge(uid, changed)

    async def refresh(self) -> None:
        """Poll every speaker; one that does not answer is marked unavailable."""
        await asyncio.gather(
            *(self._refresh_one(uid, speaker) for uid, speaker in self.speakers.items())
        )

    async def stop(self) -> None:
        """End set-ups in hand; unsubscribe from every speaker's events (none if no speaker
        was ever set up)."""
        await asyncio.gather(self._setting_up.cancel(), self._tasks.cancel())
        if self._events is not None:
            await self._events.stop()

    async def _refresh_one(self, uid: str, speaker: Speaker) -> None:
        try:
            state = await self.context.run_blocking(speaker.read_state, self._entity_of)
        except DeviceError as error:
            self.context.set_available(uid, available=False, reason=str(error))
            return
        self.context.set_available(uid, available=True)
        self.context.push_state(uid, state)
