"""Which model the LLM agent uses, read from the environment (or a `.env` file).

    DOBBY_MODEL=anthropic:claude-sonnet-4-5        # any pydantic-ai model string
    DOBBY_MODEL=openai:llama3
    DOBBY_MODEL_BASE_URL=http://127.0.0.1:11434/v1  # an OpenAI-compatible local server

API keys stay in the environment (`ANTHROPIC_API_KEY`, `OPENAI_API_KEY`, or
`DOBBY_MODEL_API_KEY` for the configured model); they are never logged or printed.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

HISTORY_TOKENS = 2_000
"""Tokens of earlier turns a chat's next turn carries, by default."""
HISTORY_TURNS = 8
"""Earlier turns a chat's next turn carries at most, by default."""


class LLMSettings(BaseSettings):
    """The model, where it lives, and the limits of one turn."""

    model_config = SettingsConfigDict(
        env_prefix="DOBBY_", env_file=".env", extra="ignore", protected_namespaces=()
    )

    model: str | None = None
    """A pydantic-ai model string: `anthropic:...`, `openai:...`, `ollama:...`."""
    model_base_url: str | None = None
    """An OpenAI-compatible server (Ollama, llama.cpp, vLLM): `http://host:port/v1`."""
    model_api_key: SecretStr | None = Field(default=None, repr=False)
    """A key for the configured model; otherwise the provider's own variable is used."""
    llm_first: bool = False
    """Send every sentence to the model, not only what local understanding misses."""
    llm_max_requests: int = Field(default=6, ge=1)
    """Model requests one turn may make."""
    llm_max_tokens: int = Field(default=30_000, ge=1)
    """Tokens (in and out) one turn may use."""
    llm_timeout: float = Field(default=60.0, gt=0)
    """Seconds one turn may take."""
    llm_history_tokens: int = Field(default=HISTORY_TOKENS, ge=0)
    """Tokens of a chat's earlier turns the next turn carries (counted by `agent.llm.tokens`)."""
    llm_history_turns: int = Field(default=HISTORY_TURNS, ge=0)
    """Earlier turns of a chat the next turn carries at most."""
    speech_model: str | None = None
    """A speech-to-text model (`whisper-1`): voice notes are transcribed by the
    OpenAI-compatible `/audio/transcriptions` of `model_base_url` (OpenAI's own without it),
    with `model_api_key` or `OPENAI_API_KEY`. Unset: voice notes are not listened to."""
