"""The LLM path of understanding, loaded only when a model is configured.

This module stays light: importing it costs nothing. `from_environment` returns None
when no model is configured (`DOBBY_MODEL` unset), and only otherwise imports
pydantic-ai, the provider SDK and the agent (`agent.llm.agent.HouseAgent`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from skills.house import House
from skills.routines import Routine

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from agent.config import McpServerConfig
    from agent.llm.agent import HouseAgent
    from agent.llm.settings import LLMSettings

_LOGGER = logging.getLogger(__name__)


def model_configured() -> bool:
    """Whether a model may be configured, without importing anything heavy."""
    return bool(os.environ.get("DOBBY_MODEL")) or Path(".env").is_file()


def load_settings(
    model: str | None = None,
    *,
    model_base_url: str | None = None,
    llm_first: bool | None = None,
) -> LLMSettings | None:
    """The LLM settings: home.yaml's (the arguments) under the environment's (and `.env`).

    `DOBBY_MODEL` overrides the configured `model`. The configured `model_base_url` goes
    with the configured model only; `DOBBY_MODEL_BASE_URL` overrides it. `DOBBY_LLM_FIRST`
    overrides `llm_first`. None when no model is configured anywhere.
    """
    if not model and not model_configured():
        return None
    from agent.llm.settings import LLMSettings

    settings = LLMSettings()
    if not settings.model and model:
        settings.model = model
        if not settings.model_base_url:
            settings.model_base_url = model_base_url
    if llm_first is not None and "llm_first" not in settings.model_fields_set:
        settings.llm_first = llm_first
    return settings if settings.model else None


def from_environment(
    house: House,
    routines: Sequence[Routine],
    *,
    model: str | None = None,
    model_base_url: str | None = None,
    llm_first: bool | None = None,
    database: Path | None = None,
    mcp_servers: Mapping[str, McpServerConfig] | None = None,
    name: str = "Dobby",
) -> HouseAgent | None:
    """The house agent for the configured model, or None (local understanding only).

    `model`, `model_base_url` and `llm_first` come from home.yaml (see `load_settings`),
    and so do `mcp_servers`, whose allowed tools the agent may use, and `name` (what the
    household calls its assistant);
    `database` is the state database, where conversations outlive a restart (in memory
    without it). A model that cannot be set up (unknown name, missing API key) is logged by
    name and reason, never with its key, and Dobby goes on with local understanding.
    """
    settings = load_settings(model, model_base_url=model_base_url, llm_first=llm_first)
    if settings is None:
        return None
    from pydantic_ai import UserError

    from agent.llm.agent import HouseAgent, build_model
    from agent.llm.conversations import Conversations

    try:
        resolved = build_model(settings)
    except (UserError, ValueError) as error:
        _LOGGER.error(
            "The model %s cannot be used (%s); understanding stays local", settings.model, error
        )
        return None
    conversations = Conversations(
        database or ":memory:",
        budget=settings.llm_history_tokens,
        max_turns=settings.llm_history_turns,
    )
    toolsets = []
    if mcp_servers:
        from agent.llm.mcp_servers import mcp_toolsets

        toolsets = mcp_toolsets(mcp_servers)
    return HouseAgent(
        house,
        routines,
        resolved,
        settings=settings,
        conversations=conversations,
        toolsets=toolsets,
        name=name,
    )


def configured_model(model: str | None, model_base_url: str | None) -> Model | None:
    """The model home.yaml or the environment names, for drafting recipes (None: no model
    is configured, or it cannot be used: heuristics only). Imports pydantic-ai only when
    a model is configured."""
    settings = load_settings(model, model_base_url=model_base_url)
    if settings is None:
        return None
    from pydantic_ai import UserError

    from agent.llm.agent import build_model

    try:
        return build_model(settings)
    except (UserError, ValueError) as error:
        _LOGGER.error("The model %s cannot draft recipes (%s)", settings.model, error)
        return None
