"""The JSON a PowerView hub speaks, per generation.

Generation 2 (`/api/...`) wraps lists as `{"shadeIds": [...], "shadeData": [...]}`,
encodes names in base64 and positions as `posKindN`/`positionN` pairs on a 0-65535 scale.
Generation 3 (`/home/...`) answers bare lists, adds `ptName` beside the base64 name and
gives positions as fractions (`{"primary": 0.4, "tilt": 0.7}`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from devices.adapters.powerview.emulator.state import (
    Axis,
    EmulatedShade,
    Gateway,
    HubState,
    MotionEvent,
    Room,
    Scene,
    encode_name,
)

MAX_V2 = 65535
"""A generation 2 position: 0 closed, 65535 open."""
POSKIND: dict[int, Axis] = {1: "primary", 2: "secondary", 3: "tilt"}
"""Generation 2 position kinds: 1 the bottom rail (or front fabric), 2 the top rail (or
rear fabric), 3 the vanes."""

GEN2_FIRMWARE = {"name": "PV Hub2.0", "revision": 2, "subRevision": 0, "build": 1056}
GEN3_FIRMWARE = {"name": "PV_Gen3", "revision": 3, "subRevision": 1, "build": 472}
SHADE_FIRMWARE = {"revision": 2, "subRevision": 2, "build": 1510}


# -- generation 2 ---------------------------------------------------------------------


def _v2_scale(shade: EmulatedShade, axis: Axis) -> float:
    """The wire value of a fully open axis: a 90° tilt reports half the scale."""
    return MAX_V2 / 2 if axis == "tilt" and shade.spec.tilt_half_scale else MAX_V2


def v2_positions(shade: EmulatedShade) -> dict[str, int] | None:
    """A shade's positions as posKind/position pairs (None: the hub does not know them).

    A generation 2 hub reports at most two: a top-down/bottom-up shade its two rails, a
    shade that tilts its rail and vanes, a dual-overlapped shade only the fabric that is
    moving (the front one while it is up, else the rear one, or the vanes). A tilt-only
    shade reports its vanes as position kind 1, as real hubs do.
    """
    spec = shade.spec
    axes: list[Axis]
    if not spec.primary:
        return None if shade.tilt is None else _pairs(shade, [("primary", shade.tilt, "tilt")])
    if shade.primary is None:
        return None
    if spec.secondary == "overlapped":
        if shade.primary > 0:
            axes = ["primary"]
        elif spec.tilt is not None and shade.tilt:
            axes = ["tilt"]
        else:
            axes = ["secondary"]
    elif spec.secondary == "rail":
        axes = ["primary", "secondary"]
    elif spec.tilt is not None:
        axes = ["primary", "tilt"]
    else:
        axes = ["primary"]
    return _pairs(shade, [(axis, getattr(shade, axis) or 0.0, axis) for axis in axes])


def _pairs(shade: EmulatedShade, values: list[tuple[Axis, float, Axis]]) -> dict[str, int]:
    """posKindN/positionN pairs: (the kind reported, the fraction, the axis it is of)."""
    kinds = {axis: number for number, axis in POSKIND.items()}
    pairs: dict[str, int] = {}
    for number, (reported, value, axis) in enumerate(values, start=1):
        pairs[f"posKind{number}"] = kinds[reported]
        pairs[f"position{number}"] = round(value * _v2_scale(shade, axis))
    return pairs


def v2_targets(shade: EmulatedShade, positions: dict[str, Any]) -> dict[Axis, float]:
    """The targets a generation 2 move asks for, as fractions."""
    targets: dict[Axis, float] = {}
    for number in (1, 2):
        kind, value = positions.get(f"posKind{number}"), positions.get(f"position{number}")
        axis = POSKIND.get(kind) if isinstance(kind, int) else None
        if axis is not None and isinstance(value, int | float):
            targets[axis] = float(value) / _v2_scale(shade, axis)
    return targets


def v2_battery(shade: EmulatedShade) -> dict[str, int]:
    """`batteryKind`, `batteryStatus` and `batteryStrength` (tenths of a volt, 18 V full)."""
    if shade.battery is None:
        return {"batteryKind": 1, "batteryStatus": 4, "batteryStrength": 0}
    return {
        "batteryKind": 2,
        "batteryStatus": battery_status(shade.battery),
        "batteryStrength": round(shade.battery * 180 / 100),
    }


def battery_status(percent: int) -> int:
    """The hub's coarse battery status: 3 above half, 2 above a fifth, 1 low, 0 empty."""
    if percent > 50:
        return 3
    if percent > 20:
        return 2
    return 1 if percent > 0 else 0


def v2_shade(shade: EmulatedShade) -> dict[str, Any]:
    """One shade as `/api/shades` lists it."""
    data: dict[str, Any] = {
        "id": shade.id,
        "type": shade.type_id,
        "capabilities": shade.capabilities,
        **v2_battery(shade),
        "roomId": shade.room_id,
        "groupId": shade.room_id,
        "name": encode_name(shade.name),
        "motor": {"revision": 51, "subRevision": 51, "build": 11825},
        "firmware": SHADE_FIRMWARE,
        "signalStrength": 4,
    }
    positions = v2_positions(shade)
    if positions is not None:
        data["positions"] = positions
    return data


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
                    "positions": _pairs(
                        hub.shades[shade_id], [(a, v, a) for a, v in target.items()][:2]
                    ),
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


def v3_positions(shade: EmulatedShade) -> dict[str, float | None]:
    """Every axis as a fraction; null where the hub does not know where the shade is, 0
    for an axis the shade does not have."""
    spec = shade.spec
    unknown = (shade.tilt if not spec.primary else shade.primary) is None

    def axis(value: float | None, present: bool) -> float | None:
        if unknown:
            return None
        return round(value or 0.0, 4) if present else 0

    return {
        "primary": axis(shade.primary, spec.primary),
        "secondary": axis(shade.secondary, spec.secondary is not None),
        "tilt": axis(shade.tilt, spec.tilt is not None),
        "velocity": None if unknown else 0,
    }


def v3_shade(shade: EmulatedShade) -> dict[str, Any]:
    """One shade as `/home/shades` lists it (`powerType` 0 batteries, 1 hardwired)."""
    return {
        "id": shade.id,
        "type": shade.type_id,
        "name": encode_name(shade.name),
        "ptName": shade.name,
        "motion": None,
        "capabilities": shade.capabilities,
        "powerType": 1 if shade.battery is None else 0,
        "batteryStatus": 4 if shade.battery is None else battery_status(shade.battery),
        "roomId": shade.room_id,
        "firmware": {"revision": 3, "subRevision": 0, "build": 359},
        "positions": v3_positions(shade),
        "signalStrength": -60,
        "bleName": f"R23:{shade.id % 0xFFFF:04X}",
        "shadeGroupIds": [],
    }


def v3_shade_event(shade: EmulatedShade, event: MotionEvent) -> bytes:
    """A shade event as `/home/shades/events` sends it: one server-sent event whose data is
    the event's JSON (`evt`, `isoDate`, `id`, `bleName`, `currentPositions`, and where a
    movement goes, `targetPositions`)."""
    body: dict[str, Any] = {
        "evt": event,
        "isoDate": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "id": shade.id,
        "bleName": f"R23:{shade.id % 0xFFFF:04X}",
        "currentPositions": v3_positions(shade),
    }
    if event == "motion-started":
        target = {**body["currentPositions"], **shade.targets}
        body["targetPositions"] = {k: (round(v, 4) if v else v) for k, v in target.items()}
    return f"data: {json.dumps(body)}\n\n".encode()


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
    for axis in ("primary", "secondary", "tilt"):
        value = positions.get(axis)
        if isinstance(value, int | float):
            targets[axis] = float(value)
    return targets


def v3_gateway(hub: HubState, gateway: Gateway) -> dict[str, Any]:
    """`/gateway`: one gateway's configuration (its name lives in `/home`). With two
    gateways in a home both run the multi-gateway service and one of them is primary."""
    several = len(hub.gateways) > 1
    return {
        "config": {
            "rev": 1,
            "model": "Pro",
            "brand": "HD",
            "serialNumber": gateway.serial,
            "firmware": {
                "mainProcessor": GEN3_FIRMWARE,
                "radios": [{"revision": 3, "subRevision": 0, "build": 39}],
            },
            "networkStatus": {
                "ipAddress": gateway.host,
                "primaryMacAddress": gateway.mac,
                "ssid": "Hub-" + gateway.mac[-8:],
                "internetState": "Connected",
            },
            "mgwConfig": {"primary": gateway.primary},
            "mgwStatus": {"running": several},
            "ip": gateway.host,
        }
    }


def v3_home(hub: HubState) -> dict[str, Any]:
    """`/home`: the home with its gateways (where each gateway's name is kept), each with
    the shades it reaches."""
    version = "{revision}.{subRevision}.{build}".format(**GEN3_FIRMWARE)
    shade_ids = list(hub.shades)
    count = len(hub.gateways)
    return {
        "home": {"name": "Dobby Demo Home", "autosEnabled": True},
        "gateways": [
            {
                "serial": gateway.serial,
                "mac": gateway.mac,
                "name": gateway.name,
                "model": "Pro",
                "v": version,
                "ip": gateway.host,
                "primary": gateway.primary,
                "shd_Ids": shade_ids[n::count],
            }
            for n, gateway in enumerate(hub.gateways)
        ],
    }
