"""Reading tools: find entities the way people name them, and read their state."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import WithJsonSchema
from pydantic_ai import FunctionToolset, RunContext

from devices.capabilities import Domain
from devices.names import resolve
from skills.toolsets.deps import MAX_LISTED, HouseDeps


async def find_entities(
    ctx: RunContext[HouseDeps],
    name: str = "",
    area: str = "",
    floor: str = "",
    domain: Annotated[Domain | None, WithJsonSchema({"enum": [d.value for d in Domain]})] = None,
    device_class: str = "",
    state: str = "",
) -> dict[str, Any]:
    """Find devices and their state, for ids the context does not give. Filters combine:
    "the bedroom blinds" is area "bedroom", domain "cover", device_class "blind".

    Args:
        name: A name, alias or room, as said.
        area: Only in this room.
        floor: Only on this floor.
        domain: Only this kind.
        device_class: e.g. "window", "garage".
        state: e.g. "on", "open", "unlocked".
    """
    found = resolve(
        ctx.deps.house.registry,
        name or None,
        area=area or None,
        floor=floor or None,
        domains=[domain] if domain else None,
        device_classes=[device_class] if device_class else None,
    )
    if found.ambiguous:
        return {
            "question": found.question(),
            "candidates": [ctx.deps.describe(e) for e in found.candidates[:MAX_LISTED]],
        }
    entities = found.entities
    if state:
        wanted = state.strip().casefold()
        entities = [e for e in entities if e.state is not None and e.state.state == wanted]
    answer: dict[str, Any] = {"entities": [ctx.deps.describe(e) for e in entities[:MAX_LISTED]]}
    if len(entities) > MAX_LISTED:
        answer["more"] = f"{len(entities) - MAX_LISTED} more match; narrow the search."
    if not entities:
        answer["note"] = "Nothing matches. Try fewer filters, or another name."
    return answer


async def get_state(ctx: RunContext[HouseDeps], entity_ids: list[str]) -> list[dict[str, Any]]:
    """Read devices' current state.

    Args:
        entity_ids: e.g. ["lock.front_door"].
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
