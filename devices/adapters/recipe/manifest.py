"""The recipe manifest: devices no adapter knows, learned as recipes (`config/recipes/`)."""

from __future__ import annotations

from pydantic import Field

from devices.capabilities import Domain
from devices.plugin import AdapterConfig, Manifest


class RecipeConfig(AdapterConfig):
    """Settings under `adapters.recipe` in home.yaml (the recipes are files of their own)."""

    request_timeout: float = Field(3.0, gt=0)
    """Seconds one request to a learned device may take."""


MANIFEST = Manifest(
    name="recipe",
    title="Learned devices (recipes)",
    adapter="devices.adapters.recipe.adapter:RecipeAdapter",
    domains=tuple(d for d in Domain if d not in (Domain.SCENE, Domain.MEDIA_PLAYER, Domain.NUMBER)),
    config_model=RecipeConfig,
)
