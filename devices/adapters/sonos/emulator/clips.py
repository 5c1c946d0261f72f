"""Clips a player plays by URL (an announcement): fetched over HTTP, as a real player does.

A player told to play an `http:` URI is TRANSITIONING while it fetches the file, PLAYING
for as long as the file lasts, then STOPPED, the URI still set (a real player does the
same). A file it cannot fetch or play (not found, a content type not in its `clip_types`,
no sound in it) stops it at once with a TransportStatus of ERROR_OCCURRED. The emulator
only fetches from loopback addresses. What it fetched, and what the file was, is kept in
`FetchedClip`s for tests to check.
"""

from __future__ import annotations

import asyncio
import io
import logging
import wave
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from devices.adapters.sonos.emulator.household import Household
from devices.adapters.sonos.emulator.state import SpeakerState
from devices.testing.addresses import is_loopback

_LOGGER = logging.getLogger(__name__)

FETCH_TIMEOUT = 10.0


@dataclass(frozen=True)
class FetchedClip:
    """One clip a player fetched (or tried to)."""

    speaker: str
    """The zone name of the player that fetched it (its group's coordinator)."""
    uri: str
    status: int
    """The HTTP status (0: no answer, or not fetched at all)."""
    content_type: str = ""
    channels: int = 0
    sample_rate: int = 0
    sample_width: int = 0
    """Bytes per sample."""
    duration: float = 0.0
    """Seconds of sound; 0 when it was no WAV."""


async def play_clip(
    household: Household, speaker: SpeakerState, uri: str, fetched: list[FetchedClip]
) -> None:
    """Fetch the clip, then play it for as long as it lasts (unless told otherwise)."""
    clip = await _fetch(speaker, uri)
    fetched.append(clip)
    if not _is_at(speaker, uri, "TRANSITIONING"):
        return  # told to do something else while fetching
    if clip.duration <= 0 or clip.content_type not in speaker.clip_types:
        household.cannot_play(speaker)
        return
    household.transport(speaker, "PLAYING")
    await asyncio.sleep(clip.duration)
    if _is_at(speaker, uri, "PLAYING"):
        household.transport(speaker, "STOPPED")
        speaker.position = 0.0


def _is_at(speaker: SpeakerState, uri: str, state: str) -> bool:
    """Whether the player is still on the clip, in `state` (nobody told it otherwise)."""
    return speaker.stream_uri == uri and speaker.transport_state == state


async def _fetch(speaker: SpeakerState, uri: str) -> FetchedClip:
    host = urlsplit(uri).hostname or ""
    if not is_loopback(host):
        _LOGGER.warning("%s: not fetching %s, which is not on loopback", speaker.name, uri)
        return FetchedClip(speaker.name, uri, 0)
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(uri, headers={"User-Agent": "Linux UPnP/1.0 Sonos/80.1"}) as response,
        ):
            body = await response.read()
            status, content_type = response.status, response.content_type
    except (aiohttp.ClientError, TimeoutError) as error:
        _LOGGER.info("%s: could not fetch %s: %r", speaker.name, uri, error)
        return FetchedClip(speaker.name, uri, 0)
    if status != 200:
        return FetchedClip(speaker.name, uri, status, content_type)
    try:
        with wave.open(io.BytesIO(body)) as sound:
            channels, rate, width = sound.getnchannels(), sound.getframerate(), sound.getsampwidth()
            duration = sound.getnframes() / rate
    except (wave.Error, EOFError, ZeroDivisionError) as error:
        _LOGGER.info("%s: %s is no WAV it can play: %s", speaker.name, uri, error)
        return FetchedClip(speaker.name, uri, status, content_type)
    return FetchedClip(speaker.name, uri, status, content_type, channels, rate, width, duration)
