"""The LLM path of understanding, loaded only when a model is configured.

This module stays light: importing it costs nothing. `from_environment` returns None
when no model is configured (`DOBBY_MODEL` unset), and only otherwise imports
pydantic-ai, the provider SDK and the agent (`agent.llm.agent.HouseAgent`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from skills.house import House
from skills.routines import Routine

if TYPE_CHECKING:
    from agent.llm.agent import HouseAgent
    from agent.llm.settings import LLMSettings

_LOGGER = logging.getLogger(__name__)


def model_configured() -> bool:
    """Whether a model may be configured, without importing anything heavy."""
    return bool(os.environ.get("DOBBY_MODEL")) or Path(".env").is_file()


def load_settings(model: str | None = None) -> LLMSettings | None:
    """The LLM settings from the environment (and `.env`); `model` (from config) wins."""
    if model is None and not model_configured():
        return None
    from agent.llm.settings import LLMSettings

    settings = LLMSettings()
    if model:
        settings.model = model
    return settings if settings.model else None


def from_environment(
    house: House, routines: Sequence[Routine], *, model: str | None = None
) -> HouseAgent | None:
    """The house agent for the configured model, or None (local understanding only).

    A model that cannot be set up (unknown name, missing API key) is logged by name and
    reason, never with its key, and Dobby goes on with local understanding.
    """
    settings = load_settings(model)
    if settings is None:
        return None
    from pydantic_ai import UserError

    from agent.llm.agent import HouseAgent, build_model

    try:
        resolved = build_model(settings)
    except (UserError, ValueError) as error:
        _LOGGER.error(
            "The model %s cannot be used (%s); understanding stays local", settings.model, error
        )
        return None
    return HouseAgent(house, routines, resolved, settings=settings)
