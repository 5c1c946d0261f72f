"""What an emulated PowerView hub knows: rooms, scenes, and shades that move over time.

Positions are kept as fractions (0.0 closed, 1.0 open), the way a generation 3 hub
speaks; the generation 2 wire format scales them to 0-65535. A move does not jump: the
shade travels toward its target in small steps, and the hub reports where it is meanwhile.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
from dataclasses import dataclass, field
from typing import Literal

Axis = Literal["primary", "tilt"]
Kind = Literal["roller", "venetian"]

SHADE_TYPES: dict[Kind, tuple[int, int]] = {
    "roller": (1, 0),  # Designer Roller: up and down only (type 1, capability 0)
    "venetian": (51, 2),  # Venetian, tilt anywhere (type 51, capability 2)
}
"""Shade kind → (shade type number, capability number) as the hub reports them."""


def encode_name(name: str) -> str:
    """A name as the hub stores it: base64 of its UTF-8 bytes."""
    return base64.b64encode(name.encode("utf-8")).decode("ascii")


def stable_number(text: str, modulo: int = 60000) -> int:
    """A small number derived from `text`, the same in every run (ids, serials)."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % modulo + 1


@dataclass
class ShadeSpec:
    """A shade to emulate: its name, room, kind and where it starts (percent, 100 open)."""

    name: str
    room: str
    position: int = 100
    kind: Kind = "roller"
    tilt: int = 0
    """Start tilt in percent; only a "venetian" shade has one."""


@dataclass
class SceneSpec:
    """A hub scene: a name, the room it belongs to, and shade name → position in percent."""

    name: str
    room: str
    positions: dict[str, int]


@dataclass
class Room:
    """A room of the hub."""

    id: int
    name: str


@dataclass
class Scene:
    """A scene of the hub: shade id → target position as a fraction."""

    id: int
    name: str
    room_id: int
    targets: dict[int, float]


@dataclass
class EmulatedShade:
    """One shade: where it is, where it is going, and how fast it travels."""

    id: int
    name: str
    room_id: int
    kind: Kind
    primary: float
    tilt: float
    travel_time: float = 2.0
    """Seconds from fully closed to fully open."""
    step: float = 0.1
    """Seconds between two steps of a movement."""
    targets: dict[Axis, float] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def type_id(self) -> int:
        """The shade type number the hub reports."""
        return SHADE_TYPES[self.kind][0]

    @property
    def capabilities(self) -> int:
        """The capability number the hub reports."""
        return SHADE_TYPES[self.kind][1]

    @property
    def has_tilt(self) -> bool:
        """Whether the vanes tilt."""
        return self.kind == "venetian"

    @property
    def moving(self) -> bool:
        """Whether the shade is on its way somewhere."""
        return bool(self.targets)

    @property
    def percent(self) -> int:
        """The position in percent (100 open), as a person would read it."""
        return round(self.primary * 100)

    def move(self, *, primary: float | None = None, tilt: float | None = None) -> None:
        """Start travelling toward new targets (fractions); returns at once."""
        if primary is not None:
            self.targets["primary"] = min(max(primary, 0.0), 1.0)
        if tilt is not None and self.has_tilt:
            self.targets["tilt"] = min(max(tilt, 0.0), 1.0)
        if self.targets and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._travel())

    def stop(self) -> None:
        """Stop where it is."""
        self.targets.clear()
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _travel(self) -> None:
        stride = self.step / self.travel_time if self.travel_time > 0 else 1.0
        while self.targets:
            await asyncio.sleep(self.step)
            for axis, target in list(self.targets.items()):
                now = self.primary if axis == "primary" else self.tilt
                gap = target - now
                moved = target if abs(gap) <= stride else now + stride * _sign(gap)
                if axis == "primary":
                    self.primary = moved
                else:
                    self.tilt = moved
                if moved == target:
                    del self.targets[axis]

    async def halt(self) -> None:
        """Stop moving and wait until the movement task has ended."""
        task, self._task = self._task, None
        self.targets.clear()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _sign(value: float) -> float:
    return 1.0 if value > 0 else -1.0


class HubState:
    """Rooms, shades and scenes of one hub, built from specs."""

    def __init__(
        self,
        name: str,
        shades: list[ShadeSpec],
        scenes: list[SceneSpec],
        *,
        travel_time: float,
    ) -> None:
        self.name = name
        self.serial = f"PV{stable_number(name, 10**10):010d}"
        mac = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10].upper()
        self.mac = "00:26:74:" + ":".join(mac[i : i + 2] for i in range(0, 6, 2))
        self.rooms: dict[int, Room] = {}
        self.shades: dict[int, EmulatedShade] = {}
        self.scenes: dict[int, Scene] = {}
        for spec in shades:
            room = self.room(spec.room)
            shade_id = stable_number(f"{name}/{spec.name}")
            self.shades[shade_id] = EmulatedShade(
                id=shade_id,
                name=spec.name,
                room_id=room.id,
                kind=spec.kind,
                primary=spec.position / 100,
                tilt=spec.tilt / 100 if spec.kind == "venetian" else 0.0,
                travel_time=travel_time,
            )
        for scene in scenes:
            targets = {self.shade(n).id: p / 100 for n, p in scene.positions.items()}
            scene_id = stable_number(f"{name}/scene/{scene.name}")
            self.scenes[scene_id] = Scene(scene_id, scene.name, self.room(scene.room).id, targets)

    def room(self, name: str) -> Room:
        """The room called `name`, made if it is new."""
        for room in self.rooms.values():
            if room.name == name:
                return room
        room = Room(stable_number(f"{self.name}/room/{name}"), name)
        self.rooms[room.id] = room
        return room

    def shade(self, key: str | int) -> EmulatedShade:
        """A shade by name or id."""
        for shade in self.shades.values():
            if key in (shade.name, shade.id):
                return shade
        raise KeyError(key)

    def activate(self, scene_id: int) -> list[int]:
        """Send every member of a scene to its position; the ids of the shades that move."""
        scene = self.scenes[scene_id]
        for shade_id, target in scene.targets.items():
            self.shades[shade_id].move(primary=target)
        return list(scene.targets)

    async def halt(self) -> None:
        """Stop every movement (the hub is going away)."""
        for shade in self.shades.values():
            await shade.halt()
