"""The Sonos emulator: a household of speakers, each served on its own loopback address.

Every speaker answers HTTP on host:1400 (description, SCPDs, SOAP control, GENA
events); one SSDP responder answers searches for all of them; mDNS is optional.
Direct changes to a speaker's state are published as events within `watch_interval`.
A clip a player is told to play by its `http:` URL (an announcement) is fetched over HTTP,
as a real player does, and played for as long as it lasts (`emulator.clips`, `fetched`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Sequence
from types import TracebackType
from typing import Self

from devices.adapters.sonos.emulator.clips import FetchedClip, play_clip
from devices.adapters.sonos.emulator.gena import EventPublisher
from devices.adapters.sonos.emulator.household import Household
from devices.adapters.sonos.emulator.http import InFlight, RequestRecord, SpeakerServer
from devices.adapters.sonos.emulator.mdns import household_services
from devices.adapters.sonos.emulator.ssdp import SsdpResponder
from devices.adapters.sonos.emulator.state import Favourite, Playlist, SpeakerSpec, SpeakerState
from devices.testing.addresses import is_loopback
from devices.testing.faults import Faults
from devices.testing.mdns import Announcer


class SonosEmulator:
    """Emulated Sonos players on loopback that the released SoCo library drives unchanged."""

    def __init__(
        self,
        speakers: Sequence[SpeakerSpec],
        *,
        ssdp_interface: str = "127.0.0.1",
        announce_mdns: bool = False,
        household_id: str | None = None,
        watch_interval: float = 0.1,
        favourites: Sequence[Favourite] = (),
        playlists: Sequence[Playlist] = (),
    ) -> None:
        if not speakers:
            raise ValueError("an emulated household needs at least one speaker")
        if not is_loopback(ssdp_interface):
            raise ValueError(f"SSDP stays on loopback, not {ssdp_interface}")
        for attribute in ("name", "host"):
            values = [getattr(spec, attribute) for spec in speakers]
            if len(set(values)) != len(values):
                raise ValueError(f"every speaker needs its own {attribute}")
        self.household = Household(
            [SpeakerState.from_spec(s) for s in speakers],
            household_id,
            favourites=favourites,
            playlists=playlists,
        )
        self.watch_interval = watch_interval
        self.requests: deque[RequestRecord] = deque(maxlen=5000)
        """The latest requests the speakers received, oldest first."""
        self.in_flight = InFlight()
        """The requests being answered now, and the most at once, by method."""
        self.publisher = EventPublisher(self.household)
        self.fetched: list[FetchedClip] = []
        """Every clip a player fetched to play it (an announcement), oldest first."""
        self._clips: set[asyncio.Task[None]] = set()
        self._servers = [
            SpeakerServer(
                self.household,
                speaker,
                self.publisher,
                on_change=self.changed,
                requests=self.requests,
                in_flight=self.in_flight,
            )
            for speaker in self.household.speakers.values()
        ]
        self._ssdp = SsdpResponder(self.household, ssdp_interface)
        self._announce_mdns = announce_mdns
        self._mdns: Announcer | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def household_id(self) -> str:
        """The household id every speaker reports (unique per emulator unless given)."""
        return self.household.household_id

    @property
    def speakers(self) -> list[SpeakerState]:
        """Every speaker's state, in the order of the specs."""
        return list(self.household.speakers.values())

    def speaker(self, key: str) -> SpeakerState:
        """A speaker's state by zone name or uid; KeyError if there is none."""
        return self.household.find(key)

    def all_faults(self) -> list[Faults]:
        """The faults switch of every speaker (what the adapter contract kit flips)."""
        return [speaker.faults for speaker in self.household.speakers.values()]

    async def settled(self) -> None:
        """Wait until every event sent so far has reached its subscriber: a speaker's first
        events, late on a busy machine, would otherwise arrive after a test faulted it (and,
        the speaker speaking, bring it back)."""
        await self.publisher.delivered()

    @property
    def running(self) -> bool:
        """Whether it serves."""
        return self._watcher is not None

    async def start(self) -> None:
        """Serve every speaker, answer SSDP, and publish on mDNS if asked to."""
        if self.running:
            return
        self._loop = asyncio.get_running_loop()
        try:
            await self.publisher.start()
            for server in self._servers:
                await server.start()
            await self._ssdp.start()
            if self._announce_mdns:
                self._mdns = Announcer(household_services(self.household), self._ssdp.interface)
                await self._mdns.start()
        except BaseException:
            await self._close()
            raise
        self._watcher = self._loop.create_task(self._watch())

    async def stop(self) -> None:
        """Stop serving; speakers say goodbye on SSDP and mDNS. Idempotent."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await self._close()

    async def _close(self) -> None:
        for task in list(self._clips):
            task.cancel()
        await asyncio.gather(*self._clips, return_exceptions=True)
        if self._mdns is not None:
            await self._mdns.stop()
            self._mdns = None
        await self._ssdp.stop()
        for server in self._servers:
            await server.stop()
        await self.publisher.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.watch_interval)
            self.changed()

    def changed(self) -> None:
        """Publish changes now: members follow their coordinator, subscribers are notified.

        Call it after changing a speaker directly to skip the wait for the next watch
        tick; from another thread it hands the work to the emulator's loop.
        """
        loop = self._loop
        if loop is not None and not loop.is_closed() and _running_loop() is not loop:
            loop.call_soon_threadsafe(self.changed)
            return
        self.household.sync_groups()
        if self.running:
            self._fetch_clips()
            self.publisher.publish()

    def _fetch_clips(self) -> None:
        """Start playing the clips players were told to play: each is fetched first."""
        assert self._loop is not None
        wanted, self.household.clips_to_fetch = self.household.clips_to_fetch, []
        for speaker, uri in wanted:
            task = self._loop.create_task(play_clip(self.household, speaker, uri, self.fetched))
            self._clips.add(task)
            task.add_done_callback(self._clips.discard)

    def join(self, member: str, coordinator: str) -> None:
        """Group `member` with `coordinator`'s group, as the Sonos app would."""
        self.household.join(self.speaker(member), self.speaker(coordinator).uid)
        self.changed()

    def unjoin(self, member: str) -> None:
        """Make `member` standalone again."""
        self.household.leave(self.speaker(member))
        self.changed()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
