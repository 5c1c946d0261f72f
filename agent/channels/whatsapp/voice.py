"""Voice notes to text: the WhatsApp media downloaded from the Graph API, then transcribed
by an OpenAI-compatible `/audio/transcriptions` endpoint (the official `openai` client).

The backend comes from the model settings: `DOBBY_SPEECH_MODEL` (`whisper-1`, or what a
local server such as faster-whisper-server or LocalAI serves) at `DOBBY_MODEL_BASE_URL`
(OpenAI's API without it), with `DOBBY_MODEL_API_KEY` or `OPENAI_API_KEY`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import aiohttp
import openai

from agent.channels.whatsapp.wire import SendError
from agent.llm.settings import LLMSettings

_LOGGER = logging.getLogger(__name__)

AUDIO_LIMIT = 16 * 1024 * 1024
"""Bytes of a voice note Dobby downloads at most (WhatsApp's own limit for audio)."""


class VoiceError(Exception):
    """A voice note could not be heard; the message says why, in words for the person."""


@dataclass
class Transcriber:
    """An OpenAI-compatible speech-to-text endpoint."""

    model: str
    base_url: str | None
    api_key: str

    async def transcribe(self, audio: bytes, mime_type: str) -> str:
        """The words of a recording; VoiceError when the backend fails."""
        suffix = "ogg" if "ogg" in mime_type else mime_type.rpartition("/")[2] or "audio"
        client = openai.AsyncOpenAI(
            api_key=self.api_key, base_url=self.base_url, timeout=60.0, max_retries=1
        )
        try:
            result = await client.audio.transcriptions.create(
                model=self.model, file=(f"voice.{suffix}", audio, mime_type)
            )
        except openai.OpenAIError as error:
            _LOGGER.warning("Transcribing a voice note failed: %s", type(error).__name__)
            raise VoiceError("I could not make out that voice note; please write it.") from None
        finally:
            await client.close()
        text = result if isinstance(result, str) else str(getattr(result, "text", ""))
        return text.strip()


def transcriber_from_environment(settings: LLMSettings | None = None) -> Transcriber | None:
    """The configured speech-to-text backend, or None."""
    settings = settings if settings is not None else LLMSettings()
    if not settings.speech_model:
        return None
    key = settings.model_api_key.get_secret_value() if settings.model_api_key else None
    key = key or os.environ.get("OPENAI_API_KEY") or ("none" if settings.model_base_url else "")
    if not key:
        _LOGGER.error("DOBBY_SPEECH_MODEL is set but there is no API key: voice notes stay unheard")
        return None
    return Transcriber(settings.speech_model, settings.model_base_url, key)


async def download(
    session: aiohttp.ClientSession, graph_url: str, token: str, media_id: str
) -> tuple[bytes, str]:
    """A message's media from the Graph API: its bytes and MIME type (SendError if not)."""
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with session.get(f"{graph_url}/{media_id}", headers=headers) as response:
            about = await response.json(content_type=None)
            if response.status >= 400 or not isinstance(about, dict) or "url" not in about:
                raise SendError(f"the Graph API has no media {media_id!r}: HTTP {response.status}")
        async with session.get(str(about["url"]), headers=headers) as response:
            if response.status >= 400:
                raise SendError(f"downloading media failed: HTTP {response.status}")
            data = await response.content.read(AUDIO_LIMIT + 1)
    except (aiohttp.ClientError, TimeoutError) as error:
        raise SendError(f"the Graph API cannot be reached ({type(error).__name__})") from None
    if len(data) > AUDIO_LIMIT:
        raise SendError("the voice note is too long")
    return data, str(about.get("mime_type") or "audio/ogg")
