"""Announcements: a short text made into sound on this machine, served for a speaker to fetch.

Offline, on the LAN: espeak-ng (the Debian package `espeak-ng`) turns the text into a WAV,
and Dobby's own HTTP server (the one that serves `/healthz`) serves it at a random one-time
path, `/announcements/<token>.wav`, for the speaker to play by URL. The path is withdrawn
when the announcement is over, and expires after `CLIP_LIFETIME` seconds whatever happens:
nothing else is ever served there, and a token cannot be guessed.

The URL is made from the address speakers reach Dobby at (`DOBBY_ANNOUNCE_URL`, or the
service's own), which `agent.service` gives when it creates the `Announcements`. Adapters
find it in their context (`AdapterContext.announcements`; None where Dobby serves no HTTP,
and then no player offers `announce`).
"""

from __future__ import annotations

import asyncio
import io
import logging
import secrets
import shutil
import tempfile
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from devices.errors import UnsupportedCommandError

_LOGGER = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
"""The speech synthesiser's program (Debian package `espeak-ng`)."""
MISSING = f"cannot speak: {ESPEAK} is not installed (apt-get install {ESPEAK})."
PATH = "/announcements/{token}.wav"
"""Where Dobby's HTTP server serves a clip."""
CLIP_LIFETIME = 300.0
"""Seconds a clip stays fetchable at the most, even if its announcement never ends."""
SYNTHESIS_TIMEOUT = 20.0
"""Seconds espeak-ng may take to make a clip."""
WAV = "audio/wav"


@dataclass(frozen=True)
class Clip:
    """One announcement's sound, and where a speaker fetches it."""

    token: str
    url: str
    wav: bytes
    duration: float
    """Seconds it lasts."""
    expires: float
    """When (`clock()`) it is no longer served."""


def speech_available(program: str = ESPEAK) -> bool:
    """Whether the speech synthesiser is installed."""
    return shutil.which(program) is not None


def wav_duration(wav: bytes) -> float:
    """Seconds a WAV lasts; ValueError if it is none."""
    try:
        with wave.open(io.BytesIO(wav)) as clip:
            seconds: float = clip.getnframes() / clip.getframerate()
            return seconds
    except (wave.Error, EOFError, ZeroDivisionError) as error:
        raise ValueError(f"not a WAV: {error}") from None


async def synthesise(text: str, language: str, program: str = ESPEAK) -> bytes:
    """`text` spoken in `language` (an espeak-ng voice: `en`, `de`, `en-gb`), as a WAV.

    Raises UnsupportedCommandError when espeak-ng is missing or has no such voice."""
    found = shutil.which(program)
    if found is None:
        raise UnsupportedCommandError(MISSING)
    with tempfile.TemporaryDirectory(prefix="dobby-announce-") as folder:
        out = Path(folder) / "clip.wav"
        # The text goes in on stdin, never as an argument: it cannot be taken for an option.
        process = await asyncio.create_subprocess_exec(
            found,
            "-v",
            language,
            "-b",
            "1",  # the input is UTF-8
            "-w",
            str(out),
            "--stdin",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with asyncio.timeout(SYNTHESIS_TIMEOUT):
                _, errors = await process.communicate(text.encode("utf-8"))
        except TimeoutError:
            process.kill()
            await process.wait()
            raise UnsupportedCommandError(f"cannot speak: {ESPEAK} took too long.") from None
        if process.returncode != 0 or not out.exists():
            complaint = errors.decode("utf-8", "replace").strip()
            _LOGGER.info("%s -v %s failed: %s", ESPEAK, language, complaint)
            raise UnsupportedCommandError(f"cannot speak {language!r}: {complaint or 'failed'}")
        return out.read_bytes()


class Announcements:
    """Makes announcement clips and serves each at its own random path until withdrawn."""

    def __init__(
        self,
        base_url: str | Callable[[], str],
        *,
        language: str = "en",
        lifetime: float = CLIP_LIFETIME,
        program: str = ESPEAK,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base_url = base_url
        self.language = language
        """The household's language: what a clip is spoken in unless asked otherwise."""
        self.lifetime = lifetime
        self.program = program
        self.clock = clock
        self._clips: dict[str, Clip] = {}
        self._fetches: dict[str, int] = {}

    @property
    def base_url(self) -> str:
        """Where speakers reach this server: `http://192.168.1.20:8790`."""
        base = self._base_url() if callable(self._base_url) else self._base_url
        return base.rstrip("/")

    def add_routes(self, app: web.Application) -> None:
        """Serve the clips (GET, and HEAD) on Dobby's HTTP server."""
        app.router.add_get(PATH, self._serve)

    async def publish(self, text: str, language: str | None = None) -> Clip:
        """Make `text` into a clip and serve it until `withdraw` (or its lifetime ends)."""
        wav = await synthesise(text, language or self.language, self.program)
        try:
            duration = wav_duration(wav)
        except ValueError as error:
            raise UnsupportedCommandError(f"cannot speak: {ESPEAK} made no sound.") from error
        self._expire()
        token = secrets.token_urlsafe(24)
        clip = Clip(
            token=token,
            url=self.base_url + PATH.format(token=token),
            wav=wav,
            duration=duration,
            expires=self.clock() + self.lifetime,
        )
        self._clips[token] = clip
        return clip

    def withdraw(self, clip: Clip) -> None:
        """Stop serving a clip: its announcement is over."""
        self._clips.pop(clip.token, None)
        self._fetches.pop(clip.token, None)

    def fetches(self, clip: Clip) -> int:
        """How many times a clip was fetched so far (0: the speaker never came for it)."""
        return self._fetches.get(clip.token, 0)

    def serving(self) -> int:
        """How many clips are fetchable now."""
        self._expire()
        return len(self._clips)

    def _expire(self) -> None:
        now = self.clock()
        for token in [t for t, c in self._clips.items() if c.expires <= now]:
            del self._clips[token]
            self._fetches.pop(token, None)

    async def _serve(self, request: web.Request) -> web.Response:
        self._expire()
        clip = self._clips.get(request.match_info["token"])
        if clip is None:
            raise web.HTTPNotFound()
        self._fetches[clip.token] = self._fetches.get(clip.token, 0) + 1
        return web.Response(body=clip.wav, content_type=WAV)
