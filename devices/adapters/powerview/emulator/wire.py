"""The JSON a PowerView hub speaks, per generation.

Generation 2 (`/api/...`) wraps lists as `{"shadeIds": [...], "shadeData": [...]}`,
encodes names in base64 and positions as `posKindN`/`positionN` pairs on a 0-65535 scale.
Generation 3 (`/home/...`) answers bare lists, adds `ptName` beside the base64 name and
gives positions as fractions (`{"primary": 0.4, "tilt": 0.7}`).
"""

from __future__ import annotations

from typing import Any

from devices.adapters.powerview.emulator.state import (
    Axis,
    EmulatedShade,
    HubState,
    Room,
    Scene,
    encode_name,
)

MAX_V2 = 65535
"""A generation 2 position: 0 closed, 65535 open."""
POSKIND: dict[int, Axis] = {1: "primary", 3: "tilt"}
"""Generation 2 position kinds: 1 primary rail, 3 vanes (2, the secondary rail, is unused)."""

GEN2_FIRMWARE = {"name": "PV Hub2.0", "revision": 2, "subRevision": 0, "build": 1056}
GEN3_FIRMWARE = {"name": "PV_Gen3", "revision": 3, "subRevision": 1, "build": 472}
SHADE_FIRMWARE = {"revision": 2, "subRevision": 2, "build": 1510}


# -- generation 2 ---------------------------------------------------------------------


def v2_positions(shade: EmulatedShade) -> dict[str, int]:
    """A shade's positions as posKind/position pairs."""
    positions = {"posKind1": 1, "position1": round(shade.primary * MAX_V2)}
    if shade.has_tilt:
        positions |= {"posKind2": 3, "position2": round(shade.tilt * MAX_V2)}
    return positions


def v2_targets(positions: dict[str, Any]) -> dict[Axis, float]:
    """The targets a generation 2 move asks for, as fractions."""
    targets: dict[Axis, float] = {}
    for number in (1, 2):
        kind, value = positions.get(f"posKind{number}"), positions.get(f"position{number}")
        axis = POSKIND.get(kind) if isinstance(kind, int) else None
        if axis is not None and isinstance(value, int | float):
            targets[axis] = float(value) / MAX_V2
    return targets


def v2_shade(shade: EmulatedShade) -> dict[str, Any]:
    """One shade as `/api/shades` lists it."""
    return {
        "id": shade.id,
        "type": shade.type_id,
        "capabilities": shade.capabilities,
        "batteryKind": 2,
        "batteryStatus": 3,
        "batteryStrength": 172,
        "roomId": shade.room_id,
        "groupId": shade.room_id,
        "name": encode_name(shade.name),
        "motor": {"revision": 51, "subRevision": 51, "build": 11825},
        "firmware": SHADE_FIRMWARE,
        "signalStrength": 4,
        "positions": v2_positions(shade),
    }


def v2_room(room: Room, order: int) -> dict[str, Any]:
    """One room as `/api/rooms` lists it."""
    return {
        "id": room.id,
        "name": encode_name(room.name),
        "order": order,
        "colorId": order % 16,
        "iconId": 0,
        "type": 0,
    }


def v2_scene(scene: Scene, order: int) -> dict[str, Any]:
    """One scene as `/api/scenes` lists it."""
    return {
        "id": scene.id,
        "name": encode_name(scene.name),
        "roomId": scene.room_id,
        "order": order,
        "colorId": order % 16,
        "iconId": 0,
        "networkNumber": order,
    }


def v2_scene_members(hub: HubState) -> dict[str, Any]:
    """`/api/scenemembers`: which shade goes where in which scene."""
    members: list[dict[str, Any]] = []
    for scene in hub.scenes.values():
        for shade_id, target in scene.targets.items():
            members.append(
                {
                    "id": len(members) + 1,
                    "sceneId": scene.id,
                    "shadeId": shade_id,
                    "type": 0,
                    "positions": {"posKind1": 1, "position1": round(target * MAX_V2)},
                }
            )
    return {"sceneMemberIds": [m["id"] for m in members], "sceneMemberData": members}


def v2_userdata(hub: HubState, host: str) -> dict[str, Any]:
    """`/api/userdata`: who the hub is."""
    return {
        "userData": {
            "hubName": encode_name(hub.name),
            "serialNumber": hub.serial,
            "macAddress": hub.mac,
            "ip": host,
            "ssid": "Hub-" + hub.mac[-8:],
            "firmware": {
                "mainProcessor": GEN2_FIRMWARE,
                "radio": {"revision": 2, "subRevision": 0, "build": 2610},
            },
            "brand": "HD",
            "rfStatus": 0,
        }
    }


def v2_listing(kind: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A generation 2 list: `{"<kind>Ids": [...], "<kind>Data": [...]}`."""
    return {f"{kind}Ids": [item["id"] for item in items], f"{kind}Data": items}


# -- generation 3 ---------------------------------------------------------------------


def v3_shade(shade: EmulatedShade) -> dict[str, Any]:
    """One shade as `/home/shades` lists it."""
    return {
        "id": shade.id,
        "type": shade.type_id,
        "name": encode_name(shade.name),
        "ptName": shade.name,
        "motion": None,
        "capabilities": shade.capabilities,
        "powerType": 1,
        "batteryStatus": 3,
        "roomId": shade.room_id,
        "firmware": {"revision": 3, "subRevision": 0, "build": 359},
        "positions": {
            "primary": round(shade.primary, 4),
            "secondary": 0,
            "tilt": round(shade.tilt, 4) if shade.has_tilt else 0,
            "velocity": 0,
        },
        "signalStrength": -60,
        "bleName": f"R23:{shade.id % 0xFFFF:04X}",
        "shadeGroupIds": [],
    }


def v3_room(room: Room, shades: list[EmulatedShade]) -> dict[str, Any]:
    """One room as `/home/rooms` lists it."""
    return {
        "id": room.id,
        "name": encode_name(room.name),
        "ptName": room.name,
        "color": "4",
        "icon": "12",
        "type": 0,
        "shadeGroups": [],
        "shades": [v3_shade(s) for s in shades if s.room_id == room.id],
    }


def v3_scene(scene: Scene) -> dict[str, Any]:
    """One scene as `/home/scenes` lists it."""
    return {
        "id": scene.id,
        "name": encode_name(scene.name),
        "ptName": scene.name,
        "networkNumber": scene.id % 0xFFFF,
        "color": "4",
        "icon": "183",
        "roomIds": [scene.room_id],
        "shadeIds": list(scene.targets),
    }


def v3_targets(positions: dict[str, Any]) -> dict[Axis, float]:
    """The targets a generation 3 move asks for."""
    targets: dict[Axis, float] = {}
    for axis in ("primary", "tilt"):
        value = positions.get(axis)
        if isinstance(value, int | float):
            targets[axis] = float(value)
    return targets


def v3_gateway(hub: HubState, host: str) -> dict[str, Any]:
    """`/gateway`: the gateway's configuration (its name lives in `/home`)."""
    return {
        "config": {
            "rev": 1,
            "model": "Pro",
            "brand": "HD",
            "serialNumber": hub.serial,
            "firmware": {
                "mainProcessor": GEN3_FIRMWARE,
                "radios": [{"revision": 3, "subRevision": 0, "build": 39}],
            },
            "networkStatus": {
                "ipAddress": host,
                "primaryMacAddress": hub.mac,
                "ssid": "Hub-" + hub.mac[-8:],
                "internetState": "Connected",
            },
            "mgwConfig": {"primary": True},
            "mgwStatus": {"running": False},
            "ip": host,
        }
    }


def v3_home(hub: HubState, host: str) -> dict[str, Any]:
    """`/home`: the home with its gateways (where the hub's name is kept)."""
    version = "{revision}.{subRevision}.{build}".format(**GEN3_FIRMWARE)
    return {
        "home": {"name": "Dobby Demo Home", "autosEnabled": True},
        "gateways": [
            {
                "serial": hub.serial,
                "mac": hub.mac,
                "name": hub.name,
                "model": "Pro",
                "v": version,
                "ip": host,
                "shd_Ids": list(hub.shades),
            }
        ],
    }
