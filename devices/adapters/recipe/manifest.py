"""The recipe manifest: devices no adapter knows, learned as recipes (`config/recipes/`)."""

from __future__ import annotations

from pydantic import Field

from devices.capabilities import Domain
from devices.plugin import AdapterConfig, Manifest


class RecipeConfig(AdapterConfig):
    """Settings under `adapters.recipe` in home.yaml (the recipes are files of their own)."""

    request_timeout: float = Field(3.0, gt=0)
    """Seconds one request to a learned device may take."""
    look_for: float = Field(10.0, gt=0)
    """Seconds to listen on the network for a learned device that moved (less once heard)."""
    look_again: float = Field(300.0, gt=0)
    """Seconds between looks on the network for a learned device that no longer answers
    where it was (found again by its MAC, UDN or id, and its recipe's address updated)."""


MANIFEST = Manifest(
    name="recipe",
    title="Learned devices (recipes)",
    adapter="devices.adapters.recipe.adapter:RecipeAdapter",
    domains=tuple(d for d in Domain if d not in (Domain.SCENE, Domain.MEDIA_PLAYER, Domain.NUMBER)),
    config_model=RecipeConfig,
)
