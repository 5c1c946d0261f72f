"""Reading tools: find entities the way people name them, and read their state."""

from __future__ import annotations

from typing import Any

from pydantic_ai import FunctionToolset, RunContext

from devices.capabilities import Domain
from devices.names import resolve
from skills.toolsets.deps import MAX_LISTED, HouseDeps


async def find_entities(
    ctx: RunContext[HouseDeps],
    name: str | None = None,
    area: str | None = None,
    floor: str | None = None,
    domain: Domain | None = None,
    device_class: str | None = None,
    state: str | None = None,
) -> dict[str, Any]:
    """Find devices in the house, with their current state.

    Use this before controlling anything you do not have an entity id for. Every filter is
    optional; combine them to narrow the search ("the bedroom blinds" is area "bedroom",
    domain "cover", device_class "blind").

    Args:
        name: What the person called it: a name or alias, or a room ("kitchen").
        area: Only entities in this room or area.
        floor: Only entities on this floor.
        domain: Only this kind of entity.
        device_class: Only this kind within the domain, e.g. "window", "door", "garage".
        state: Only entities in this state, e.g. "on", "open", "unlocked", "playing".
    """
    found = resolve(
        ctx.deps.house.registry,
        name,
        area=area,
        floor=floor,
        domains=[domain] if domain else None,
        device_classes=[device_class] if device_class else None,
    )
    if found.ambiguous:
        return {
            "question": found.question(),
            "candidates": [ctx.deps.describe(e) for e in found.candidates[:MAX_LISTED]],
        }
    entities = found.entities
    if state is not None:
        wanted = state.strip().casefold()
        entities = [e for e in entities if e.state is not None and e.state.state == wanted]
    answer: dict[str, Any] = {"entities": [ctx.deps.describe(e) for e in entities[:MAX_LISTED]]}
    if len(entities) > MAX_LISTED:
        answer["more"] = f"{len(entities) - MAX_LISTED} more match; narrow the search."
    if not entities:
        answer["note"] = "Nothing matches. Try fewer filters, or another name."
    return answer


async def get_state(ctx: RunContext[HouseDeps], entity_ids: list[str]) -> list[dict[str, Any]]:
    """Read the current state of devices by entity id (from find_entities or the context).

    Args:
        entity_ids: The entity ids to read, e.g. ["lock.front_door"].
    """
    registry = ctx.deps.house.registry
    shown: list[dict[str, Any]] = []
    for entity_id in entity_ids[:MAX_LISTED]:
        entity = registry.entities.get(entity_id)
        if entity is None:
            shown.append({"entity_id": entity_id, "error": "no such entity; use find_entities"})
        else:
            shown.append(ctx.deps.describe(entity))
    return shown


def read_toolset() -> FunctionToolset[HouseDeps]:
    """The reading tools: find_entities and get_state."""
    return FunctionToolset([find_entities, get_state], id="house_read")
