"""The Sonos adapter: finds speakers (SSDP ZonePlayer, mDNS _sonos._tcp), drives them.

Each speaker is one `SpeakerLink` run by a coordinator, keyed by the speaker's UPnP uid
(RINCON_...), never its address. SoCo (and `requests`, which it speaks HTTP with) is
imported with this module, which Dobby imports (off the event loop) when the first speaker
answers: a house without Sonos never loads it (the manifest is all Dobby reads before).

An announcement (`media_player.announce`) is a clip Dobby serves (`devices.announcements`),
played by URL on the group's coordinator between a SoCo snapshot and its restore.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import soco

from devices.adapters.sonos.events import SpeakerEvents
from devices.adapters.sonos.manifest import MANIFEST, SonosConfig
from devices.adapters.sonos.speaker import Speaker, SpeakerInfo
from devices.announcements import Announcements
from devices.background import Background
from devices.capabilities import (
    CommandSpec,
    Domain,
    MediaPlayerFeature,
    MediaPlayerState,
    Params,
    State,
    media_player,
)
from devices.capabilities.media_player import Announce
from devices.entities import DeviceInfo, EntitySpec
from devices.errors import (
    DeviceError,
    DeviceRefusedError,
    DeviceUnavailableError,
    UnsupportedCommandError,
)
from devices.plugin import (
    AdapterConfig,
    AdapterContext,
    CoordinatedAdapter,
    DeviceLink,
    Discovered,
    Sink,
)

_LOGGER = logging.getLogger(__name__)

FEATURES = frozenset(feature.value for feature in MediaPlayerFeature)
"""What a speaker can do where Dobby serves announcements; without, all but `announce`."""

POLL_WITHOUT_EVENTS = 10.0
"""Seconds between polls while some speaker cannot push its changes."""
POLL_WITH_EVENTS = 60.0
"""Seconds between polls while every speaker pushes: a safety net, as for Hue."""
ANNOUNCEMENT_POLL = 0.25
"""Seconds between looks at whether an announcement still plays."""
ANNOUNCEMENT_SLACK = 15.0
"""Seconds an announcement may play beyond its clip's length (fetching, buffering) before
what played before is put back all the same."""


@dataclass
class _Heard:
    """An announcement playing now, and whether someone stopped it meanwhile."""

    uids: frozenset[str]
    """The speakers that hear it: its group's, as far as known."""
    stopped: bool = False
    """Someone asked one of them to stop or pause."""


class SpeakerLink(DeviceLink):
    """One speaker: the SoCo calls its coordinator makes (in the blocking pool)."""

    def __init__(self, address: str, adapter: SonosAdapter) -> None:
        super().__init__(address)
        self.adapter = adapter
        self.speaker: Speaker | None = None
        self.info: SpeakerInfo | None = None
        self.state: MediaPlayerState | None = None
        self.sink: Sink | None = None

    async def connect(self) -> None:
        """Ask the speaker who it is (one request)."""
        speaker = self.speaker = self.adapter.make_speaker(self.address)
        self.info = await self.adapter.context.run_blocking(speaker.describe)
        self.unique_id = self.info.uid

    async def ready(self) -> None:
        """Read the household's favourites and playlists, then the speaker's state, for a
        speaker new to Dobby (or back). A speaker that cannot list them still plays."""
        assert self.speaker is not None
        try:
            await self.adapter.context.run_blocking(self.speaker.sources)
        except DeviceError as error:
            _LOGGER.info("%s: no favourites or playlists (%s)", self.address, error)
        await self.read()

    def describe(self) -> Sequence[tuple[DeviceInfo, Sequence[EntitySpec]]]:
        """One speaker, one media_player entity, its zone name proposing the area."""
        assert self.info is not None
        assert self.state is not None
        info = self.info
        device = DeviceInfo(
            unique_id=info.uid,
            name=info.name,
            host=self.address,
            manufacturer="Sonos",
            model=info.model,
            sw_version=info.software,
            suggested_area=info.name,
        )
        entity = EntitySpec(
            unique_id=info.uid,
            domain=Domain.MEDIA_PLAYER,
            name=info.name,
            features=self.adapter.features,
            state=self.state,
        )
        return [(device, [entity])]

    async def read(self) -> Mapping[str, State]:
        """Transport, volume, mute, track (optional) and group."""
        assert self.speaker is not None
        run = self.adapter.context.run_blocking
        state = await run(self.speaker.read_state, self.adapter.entity_of)
        sources = self.speaker.known_sources
        if sources is not None:
            state = state.model_copy(
                update={"source_list": sources.names, "radio_sources": sources.radio}
            )
        self.state = state
        return {self.unique_id: self.state}

    async def subscribe(self, sink: Sink) -> bool:
        """UPnP events, where configured and the speaker takes the subscription."""
        self.sink = sink
        return await self.adapter.subscribe(self)

    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        """Send the command, then take in what it changed (or read the whole state)."""
        assert self.speaker is not None
        run = self.adapter.context.run_blocking
        if command == media_player.ANNOUNCE and isinstance(params, Announce):
            await self.adapter.announce(self.speaker, params)
            changed = None
        else:
            self.adapter.interrupting(self.unique_id, command)
            changed = await run(self.speaker.run, command, params, self.adapter.soco_of)
        if changed is None:
            await self.read()
            if self.state is not None and self.sink is not None:
                self.sink.pushed(self.unique_id, self.state)
        else:
            self.merge(changed)

    def merge(self, fields: dict[str, Any], *, heard: bool = True) -> None:
        """Apply changed state fields (from an event or a command's answer; `heard=False`
        for fields another speaker told, which say nothing of whether this one answers)."""
        if self.state is None:
            return
        self.state = self.state.model_copy(update=fields)
        if self.sink is not None:
            self.sink.pushed(self.unique_id, self.state, heard=heard)


class SonosAdapter(CoordinatedAdapter[SpeakerLink]):
    """Sonos speakers, one media_player entity each."""

    manifest = MANIFEST
    poll_interval = POLL_WITHOUT_EVENTS

    config: SonosConfig

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        self._events: SpeakerEvents | None = None
        self._tasks = Background()
        self._regrouping: asyncio.Task[None] | None = None
        self._regroup_wanted = False
        self._announcing: dict[str, asyncio.Lock] = {}
        """One announcement at a time per group, by its coordinator's uid."""
        self._heard: list[_Heard] = []
        """The announcements playing now."""

    @property
    def features(self) -> frozenset[str]:
        """What every speaker can do here: announce only where Dobby serves the clips."""
        if self.context.announcements is None:
            return FEATURES - {MediaPlayerFeature.ANNOUNCE.value}
        return FEATURES

    async def announce(self, speaker: Speaker, params: Announce) -> None:
        """Speak `params.text` on the speaker's group, then put back what it played.

        Two speakers of one group asked for the same announcement at once ("on all
        speakers") hear it once, through their coordinator; different announcements to one
        group take turns. Stopped or paused meanwhile (through Dobby, or paused in the Sonos
        app), the announcement ends and what the group played comes back stopped, at its
        volumes; something new played meanwhile plays on, at the volumes from before."""
        announcements = self.context.announcements
        if announcements is None:
            raise UnsupportedCommandError("cannot announce: Dobby serves no HTTP here.")
        group = await self.context.run_blocking(speaker.coordinator_uid)
        task = self._tasks.once(
            (group, params), lambda: self._announce(group, speaker, params, announcements)
        )
        await asyncio.shield(task)

    async def _announce(
        self, group: str, speaker: Speaker, params: Announce, announcements: Announcements
    ) -> None:
        run = self.context.run_blocking
        async with self._announcing.setdefault(group, asyncio.Lock()):
            clip = await announcements.publish(params.text, params.language)
            heard = _Heard(frozenset({group}))
            self._heard.append(heard)
            try:
                announcing = await run(
                    speaker.start_announcement, clip.url, params.text, params.volume
                )
                heard.uids |= announcing.uids
                loop = asyncio.get_running_loop()
                deadline = loop.time() + clip.duration + ANNOUNCEMENT_SLACK
                state = "playing"
                while state == "playing" and not heard.stopped and loop.time() < deadline:
                    await asyncio.sleep(ANNOUNCEMENT_POLL)
                    state = await run(speaker.announcement_state, announcing)
                if state == "replaced":
                    _LOGGER.info("%s: the announcement was cut short by something new", group)
                    await run(speaker.restore_volumes, announcing)
                    return
                stopped = heard.stopped or state == "paused"
                if stopped:
                    _LOGGER.info("%s: the announcement was stopped; it stays stopped", group)
                await run(speaker.end_announcement, announcing, resume=not stopped)
                if not announcements.fetches(clip):
                    raise DeviceRefusedError(
                        f"did not fetch the announcement from {announcements.base_url}: Dobby "
                        "must listen where the speakers reach it (DOBBY_HTTP_HOST, "
                        "DOBBY_ANNOUNCE_URL)."
                    )
                if state == "failed":
                    raise DeviceRefusedError(
                        "could not play the announcement it fetched; what it played before is back."
                    )
            finally:
                self._heard.remove(heard)
                announcements.withdraw(clip)

    def interrupting(self, uid: str, command: CommandSpec) -> None:
        """A command is about to go to the speaker `uid`: a stop or a pause of a group that
        is announcing ends the announcement, and the group stays stopped after it."""
        if command not in (media_player.STOP, media_player.PAUSE):
            return
        for heard in self._heard:
            if uid in heard.uids:
                heard.stopped = True

    @property
    def events(self) -> SpeakerEvents:
        """The speakers' event subscriptions (SoCo's event listener, made on first use)."""
        if self._events is None:
            config = self.config
            self._events = SpeakerEvents(
                config.event_listener_port,
                config.event_listener_ip,
                self._events_lost,
                unsubscribe_seconds=config.request_timeout,
            )
        return self._events

    def make_speaker(self, host: str) -> Speaker:
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
        """Set up the speaker at `host`, or follow it there if it is known elsewhere."""
        await self.devices.set_up(host, lambda address: SpeakerLink(address, self))

    async def subscribe(self, link: SpeakerLink) -> bool:
        """Take a speaker's changes as events, if configured; then poll as rarely as the
        speakers allow."""
        uid, speaker = link.unique_id, link.speaker
        if self.config.events and speaker is not None and not self.events.subscribed(uid):
            # SoCo reads the household id while subscribing; fetch it off the loop first.
            await self.context.run_blocking(lambda: speaker.device.household_id)
            await self.events.subscribe(
                uid, speaker, lambda fields: self._merge(uid, fields), self._regroup
            )
        self._pace()
        return self.config.events and self.events.subscribed(uid)

    def _pace(self) -> None:
        uids = self.devices.coordinators
        pushed = self.config.events and all(self.events.subscribed(uid) for uid in uids)
        self.poll_interval = POLL_WITH_EVENTS if pushed else POLL_WITHOUT_EVENTS

    def _events_lost(self, uid: str) -> None:
        """A speaker's subscriptions could not be renewed: its connection is lost (the
        coordinator reconnects with backoff, and subscribes again); poll often meanwhile."""
        self._pace()
        coordinator = self.devices.coordinators.get(uid)
        if coordinator is not None:
            coordinator.connection_lost("its events stopped.")

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
            links = [link for link in self.devices.links() if link.speaker is not None]
            speakers = [link.speaker for link in links if link.speaker is not None]

            def members(speakers: list[Speaker]) -> list[list[str] | None]:
                return [speaker.group_members(self.entity_of) for speaker in speakers]

            try:
                grouped = await self.context.run_blocking(members, speakers)
            except DeviceError as error:
                _LOGGER.debug("Could not read the groups after a topology event: %s", error)
                return
            for link, group in zip(links, grouped, strict=True):
                link.merge({"group_members": group}, heard=False)

    def _merge(self, uid: str, fields: dict[str, Any]) -> None:
        coordinator = self.devices.coordinators.get(uid)
        if coordinator is not None:
            coordinator.link.merge(fields)

    def entity_of(self, uid: str) -> str | None:
        """The entity id of the speaker with UPnP uid `uid`."""
        entity = self.context.registry.by_unique_id(f"{self.manifest.name}:{uid}")
        return entity.entity_id if entity else None

    def soco_of(self, entity_id: str) -> soco.SoCo:
        """The SoCo of the speaker behind `entity_id` (a group member to join)."""
        entity = self.context.registry.entities.get(entity_id)
        coordinator = self.devices.coordinators.get(entity.adapter_unique_id) if entity else None
        speaker = coordinator.link.speaker if coordinator else None
        if speaker is None:
            raise DeviceUnavailableError(f"{entity_id} is not a Sonos speaker I know.")
        return speaker.device

    async def stop(self) -> None:
        """Unsubscribe from every speaker's events (none if no speaker was ever set up)."""
        await self._tasks.cancel()
        await super().stop()
        if self._events is not None:
            await self._events.stop()
