"""The emulated bridge's home: lights, rooms, zones and scenes, as CLIP v2 resources.

State lives in small dataclasses; `resources()` renders them as the JSON a real bridge
serves under `/clip/v2/resource`, and `apply_put` changes them the way a bridge does for a
`PUT /clip/v2/resource/<type>/<id>`. Resource ids are stable UUIDs derived from the
bridge id and the names, as a real bridge keeps its ids across restarts.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from devices.testing.faults import Faults

LightKind = Literal["color", "ambiance", "white"]

PRODUCTS: dict[LightKind, tuple[str, str, str]] = {
    "color": ("LCA001", "Hue color lamp", "sultan_bulb"),
    "ambiance": ("LTA001", "Hue white ambiance lamp", "sultan_bulb"),
    "white": ("LWA001", "Hue white lamp", "classic_bulb"),
}
MIREK_RANGE: dict[LightKind, tuple[int, int]] = {"color": (153, 500), "ambiance": (153, 454)}
GAMUT_C = {
    "red": {"x": 0.6915, "y": 0.3083},
    "green": {"x": 0.17, "y": 0.7},
    "blue": {"x": 0.1532, "y": 0.0475},
}
BRIDGE_SOFTWARE = "1.66.1966060010"


class ClipError(Exception):
    """A request the bridge answers with a CLIP error (HTTP status and description)."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


@dataclass
class LightSpec:
    """One bulb as a test or the virtual house describes it."""

    name: str
    room: str
    kind: LightKind = "color"
    on: bool = False
    brightness: float = 100.0
    mirek: int | None = 366
    """Colour temperature, or None when the light shows an xy colour."""
    xy: tuple[float, float] = (0.4573, 0.41)


@dataclass
class Light:
    """A bulb on the emulated bridge: its device and its light service."""

    spec: LightSpec
    id: str
    device_id: str
    number: int
    on: bool
    brightness: float
    mirek: int | None
    xy: tuple[float, float]
    last_transition_ms: int | None = None
    """The `dynamics.duration` of the last command that changed it."""

    @property
    def name(self) -> str:
        """The name a person gave it in the Hue app."""
        return self.spec.name

    def render(self) -> dict[str, Any]:
        """The light service as `GET /clip/v2/resource/light` shows it."""
        kind = self.spec.kind
        data: dict[str, Any] = {
            "id": self.id,
            "id_v1": f"/lights/{self.number}",
            "owner": {"rid": self.device_id, "rtype": "device"},
            "metadata": {"name": self.name, "archetype": PRODUCTS[kind][2], "function": "mixed"},
            "on": {"on": self.on},
            "dimming": {"brightness": round(self.brightness, 2), "min_dim_level": 0.2},
            "dynamics": {
                "status": "none",
                "status_values": ["none"],
                "speed": 0.0,
                "speed_valid": False,
            },
            "alert": {"action_values": ["breathe"]},
            "mode": "normal",
            "type": "light",
        }
        if kind in MIREK_RANGE:
            low, high = MIREK_RANGE[kind]
            data["color_temperature"] = {
                "mirek": self.mirek,
                "mirek_valid": self.mirek is not None,
                "mirek_schema": {"mirek_minimum": low, "mirek_maximum": high},
            }
        if kind == "color":
            data["color"] = {
                "xy": {"x": self.xy[0], "y": self.xy[1]},
                "gamut": GAMUT_C,
                "gamut_type": "C",
            }
        return data

    def render_device(self) -> dict[str, Any]:
        """The bulb's device resource."""
        model, product, archetype = PRODUCTS[self.spec.kind]
        return {
            "id": self.device_id,
            "id_v1": f"/lights/{self.number}",
            "product_data": {
                "model_id": model,
                "manufacturer_name": "Signify Netherlands B.V.",
                "product_name": product,
                "product_archetype": archetype,
                "certified": True,
                "software_version": "1.116.3",
            },
            "metadata": {"name": self.name, "archetype": archetype},
            "services": [{"rid": self.id, "rtype": "light"}],
            "type": "device",
        }

    def apply(self, body: dict[str, Any]) -> None:
        """Apply the features of a light (or grouped_light) PUT body this bulb has."""
        on = body.get("on")
        if isinstance(on, dict) and isinstance(on.get("on"), bool):
            self.on = on["on"]
        dimming = body.get("dimming")
        if isinstance(dimming, dict) and isinstance(dimming.get("brightness"), int | float):
            self.brightness = max(0.2, min(100.0, float(dimming["brightness"])))
        temperature = body.get("color_temperature")
        if isinstance(temperature, dict) and self.spec.kind in MIREK_RANGE:
            mirek = temperature.get("mirek")
            if isinstance(mirek, int):
                low, high = MIREK_RANGE[self.spec.kind]
                self.mirek = max(low, min(high, mirek))
        color = body.get("color")
        if isinstance(color, dict) and self.spec.kind == "color":
            xy = color.get("xy")
            if isinstance(xy, dict):
                self.xy = (round(float(xy["x"]), 4), round(float(xy["y"]), 4))
                self.mirek = None
        dynamics = body.get("dynamics")
        if isinstance(dynamics, dict) and isinstance(dynamics.get("duration"), int):
            self.last_transition_ms = dynamics["duration"]


@dataclass
class Group:
    """A room (lights by device), a zone (lights by service) or the whole home, with its
    grouped_light."""

    kind: Literal["room", "zone", "bridge_home"]
    name: str
    id: str
    grouped_light_id: str
    number: int
    lights: list[Light] = field(default_factory=list)

    def render(self) -> dict[str, Any]:
        """The room or zone resource."""
        if self.kind == "room":
            children = [{"rid": light.device_id, "rtype": "device"} for light in self.lights]
        else:
            children = [{"rid": light.id, "rtype": "light"} for light in self.lights]
        archetype = self.name.lower().replace(" ", "_")
        return {
            "id": self.id,
            "id_v1": f"/groups/{self.number}",
            "children": children,
            "services": [{"rid": self.grouped_light_id, "rtype": "grouped_light"}],
            "metadata": {"name": self.name, "archetype": archetype},
            "type": self.kind,
        }

    def render_grouped_light(self) -> dict[str, Any]:
        """The grouped_light: on if any light is, brightness the average of those on."""
        lit = [light for light in self.lights if light.on]
        brightness = sum(light.brightness for light in lit) / len(lit) if lit else 0.0
        return {
            "id": self.grouped_light_id,
            "id_v1": f"/groups/{self.number}",
            "owner": {"rid": self.id, "rtype": self.kind},
            "on": {"on": bool(lit)},
            "dimming": {"brightness": round(brightness, 2)},
            "alert": {"action_values": ["breathe"]},
            "type": "grouped_light",
        }


@dataclass
class SceneSpec:
    """A scene in a room: per light name, the state it recalls."""

    name: str
    room: str
    actions: dict[str, dict[str, Any]]
    """Light name → a light PUT body ({"on": {"on": true}, "dimming": {...}, ...})."""


@dataclass
class Scene:
    """A scene on the emulated bridge."""

    spec: SceneSpec
    id: str
    group: Group
    targets: dict[str, Light]
    active: bool = False
    last_recall: str | None = None
    """When it was last recalled (ISO 8601, as the bridge's `status.last_recall`)."""

    def render(self) -> dict[str, Any]:
        """The scene resource."""
        actions = [
            {"target": {"rid": light.id, "rtype": "light"}, "action": self.spec.actions[name]}
            for name, light in self.targets.items()
        ]
        return {
            "id": self.id,
            "id_v1": f"/scenes/{self.id[:15]}",
            "actions": actions,
            "metadata": {"name": self.spec.name},
            "group": {"rid": self.group.id, "rtype": self.group.kind},
            "speed": 0.6,
            "auto_dynamic": False,
            "status": self._status(),
            "type": "scene",
        }

    def _status(self) -> dict[str, Any]:
        status: dict[str, Any] = {"active": "static" if self.active else "inactive"}
        if self.last_recall is not None:
            status["last_recall"] = self.last_recall
        return status


class BridgeModel:
    """Every resource of one bridge, and how a PUT changes them."""

    def __init__(
        self,
        bridge_id: str,
        lights: Sequence[LightSpec],
        scenes: Sequence[SceneSpec] = (),
        zones: dict[str, Sequence[str]] | None = None,
    ) -> None:
        self.bridge_id = bridge_id
        self.lights: list[Light] = []
        self.groups: list[Group] = []
        self.scenes: list[Scene] = []
        self.geofence_clients: dict[str, str] = {}
        for number, spec in enumerate(lights, start=1):
            self.lights.append(
                Light(
                    spec,
                    self.resource_id("light", spec.name),
                    self.resource_id("device", spec.name),
                    number,
                    spec.on,
                    spec.brightness,
                    spec.mirek,
                    spec.xy,
                )
            )
            room = self._group("room", spec.room)
            room.lights.append(self.lights[-1])
        self.home = Group(
            "bridge_home",
            "Home",
            self.resource_id("bridge_home"),
            self.resource_id("grouped_light", "bridge_home"),
            0,
            self.lights,
        )
        """Every light of the bridge; its grouped_light is "all lights" (v1's group 0)."""
        for name, members in (zones or {}).items():
            zone = self._group("zone", name)
            zone.lights.extend(self.light(member) for member in members)
        for scene in scenes:
            group = next(g for g in self.groups if g.name == scene.room)
            targets = {name: self.light(name) for name in scene.actions}
            scene_id = self.resource_id("scene", scene.room, scene.name)
            self.scenes.append(Scene(scene, scene_id, group, targets))

    def resource_id(self, *parts: str) -> str:
        """A stable resource id for these parts on this bridge."""
        digest = hashlib.sha256("/".join((self.bridge_id, *parts)).encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def _group(self, kind: Literal["room", "zone"], name: str) -> Group:
        for group in self.groups:
            if group.kind == kind and group.name == name:
                return group
        group = Group(
            kind,
            name,
            self.resource_id(kind, name),
            self.resource_id("grouped_light", kind, name),
            len(self.groups) + 1,
        )
        self.groups.append(group)
        return group

    def light(self, name: str) -> Light:
        """The light called `name` (KeyError if there is none)."""
        for light in self.lights:
            if light.name == name:
                return light
        raise KeyError(name)

    def scene(self, name: str) -> Scene:
        """The scene called `name` (KeyError if there is none)."""
        for scene in self.scenes:
            if scene.spec.name == name:
                return scene
        raise KeyError(name)

    # -- rendering ----------------------------------------------------------------------

    def _bridge_resources(self) -> list[dict[str, Any]]:
        device_id, bridge_uuid = self.resource_id("device", "bridge"), self.resource_id("bridge")
        return [
            {
                "id": device_id,
                "product_data": {
                    "model_id": "BSB002",
                    "manufacturer_name": "Signify Netherlands B.V.",
                    "product_name": "Hue Bridge",
                    "product_archetype": "bridge_v2",
                    "certified": True,
                    "software_version": BRIDGE_SOFTWARE,
                },
                "metadata": {"name": "Hue Bridge", "archetype": "bridge_v2"},
                "services": [{"rid": bridge_uuid, "rtype": "bridge"}],
                "type": "device",
            },
            {
                "id": bridge_uuid,
                "owner": {"rid": device_id, "rtype": "device"},
                "bridge_id": self.bridge_id,
                "time_zone": {"time_zone": "Europe/Amsterdam"},
                "type": "bridge",
            },
            {
                "id": self.home.id,
                "id_v1": "/groups/0",
                "children": [
                    {"rid": g.id, "rtype": "room"} for g in self.groups if g.kind == "room"
                ],
                "services": [{"rid": self.home.grouped_light_id, "rtype": "grouped_light"}],
                "type": "bridge_home",
            },
        ]

    def resources(self) -> list[dict[str, Any]]:
        """Every resource, as `GET /clip/v2/resource` lists them."""
        items = self._bridge_resources()
        items += [light.render_device() for light in self.lights]
        items += [light.render() for light in self.lights]
        items += [group.render() for group in self.groups]
        items += [group.render_grouped_light() for group in (*self.groups, self.home)]
        items += [scene.render() for scene in self.scenes]
        items += [
            {"id": rid, "name": name, "type": "geofence_client"}
            for rid, name in self.geofence_clients.items()
        ]
        return items

    def find(self, rtype: str, rid: str) -> dict[str, Any]:
        """One resource, or a 404 ClipError."""
        for item in self.resources():
            if item["type"] == rtype and item["id"] == rid:
                return item
        raise ClipError(404, "Not Found")

    # -- changes ------------------------------------------------------------------------

    def apply_put(self, rtype: str, rid: str, body: dict[str, Any]) -> None:
        """Change a resource as the bridge does for a PUT (ClipError when it cannot)."""
        self.find(rtype, rid)
        if rtype == "light":
            next(light for light in self.lights if light.id == rid).apply(body)
        elif rtype == "grouped_light":
            group = next(g for g in (*self.groups, self.home) if g.grouped_light_id == rid)
            for light in group.lights:
                light.apply(body)
        elif rtype == "scene":
            self.recall(next(s for s in self.scenes if s.id == rid), body)
        elif rtype == "geofence_client":
            if isinstance(body.get("name"), str):
                self.geofence_clients[rid] = body["name"]
        else:
            raise ClipError(405, f"method PUT not available for resource type {rtype}")

    def recall(self, scene: Scene, body: dict[str, Any]) -> None:
        """Recall a scene as a PUT of `body` (`{"recall": {"action": ...}}`) does."""
        recall = body.get("recall")
        if not isinstance(recall, dict) or recall.get("action") not in ("active", "static"):
            raise ClipError(400, "invalid recall: only active and static are emulated")
        duration = recall.get("duration")
        for name, light in scene.targets.items():
            action = dict(scene.spec.actions[name])
            if isinstance(duration, int):
                action["dynamics"] = {"duration": duration}
            light.apply(action)
        for other in self.scenes:
            if other.group is scene.group:
                other.active = other is scene
        scene.last_recall = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def add_geofence_client(self, name: str) -> str:
        """Create a geofence client (aiohue's keep-alive uses one); returns its id."""
        rid = self.resource_id("geofence_client", name, str(len(self.geofence_clients)))
        self.geofence_clients[rid] = name
        return rid


class Bridge(Protocol):
    """What the HTTP front ends (http.py, v1.py) use of the emulated bridge (core.py), so
    that they need not import it."""

    host: str
    api: Literal["v2", "v1"]
    model: BridgeModel
    faults: Faults
    keys: set[str]
    paired: list[str]
    requests: list[tuple[str, str, dict[str, Any]]]

    @property
    def link_button_pressed(self) -> bool:
        """Whether pairing is allowed right now."""
        ...

    def public_config(self) -> dict[str, Any]:
        """`/api/config` without a key."""
        ...

    def changing(
        self, later: list[tuple[str, bytes]] | None = None
    ) -> AbstractContextManager[None]:
        """Publish what changes inside the block as one event (or put it in `later`)."""
        ...

    def publish(self, event_id: str, message: bytes) -> None:
        """Send an event to every open event stream."""
        ...

    def events_after(self, last_event_id: str) -> list[bytes]:
        """The events a reconnecting stream missed."""
        ...
