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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeGuard

from devices.adapters.powerview.emulator.kinds import KINDS, Kind, KindSpec

Axis = Literal["primary", "secondary", "tilt"]
MotionEvent = Literal["motion-started", "motion-stopped"]
"""What a generation 3 hub's shade event stream says of a shade's motion (`evt`)."""
MotionListener = Callable[["EmulatedShade", MotionEvent], None]


def encode_name(name: str) -> str:
    """A name as the hub stores it: base64 of its UTF-8 bytes."""
    return base64.b64encode(name.encode("utf-8")).decode("ascii")


def stable_number(text: str, modulo: int = 60000) -> int:
    """A small number derived from `text`, the same in every run (ids, serials)."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % modulo + 1


@dataclass
class ShadeSpec:
    """A shade to emulate: its name, room, kind and where it starts.

    `position` is what a person sees, 100 open (a dual-overlapped shade: 0 both fabrics
    down, 50 the front sheer down and the rear blackout up, 100 both up); None is a shade
    whose position the hub does not know (it reports nulls). `top` is how far the top rail
    of a top-down/bottom-up shade has come down, in percent.
    """

    name: str
    room: str
    position: int | None = 100
    kind: Kind = "roller"
    tilt: int = 0
    """Start tilt in percent; only a shade whose vanes tilt has one."""
    top: int = 0
    battery: int | None = 100
    """Battery level in percent; None for a hardwired shade."""
    type_id: int | None = None
    """The type number the hub reports, if not the kind's usual one (a newer product)."""


@dataclass
class SceneSpec:
    """A hub scene: a name, the room it belongs to, and where each shade goes.

    A shade's target is a person's position (100 open, as `ShadeSpec.position`), or the
    rails and vanes themselves as fractions (`{"primary": 0.0, "secondary": 0.71}`).
    """

    name: str
    room: str
    positions: dict[str, int | dict[str, float]]


@dataclass
class Room:
    """A room of the hub."""

    id: int
    name: str


@dataclass
class Scene:
    """A scene of the hub: shade id → targets (fractions by axis)."""

    id: int
    name: str
    room_id: int
    targets: dict[int, dict[Axis, float]]


@dataclass
class EmulatedShade:
    """One shade: where its rails and vanes are (fractions as the hub reports them, None
    unknown), where they are going, and how fast they travel."""

    id: int
    name: str
    room_id: int
    kind: Kind
    primary: float | None
    secondary: float | None = None
    tilt: float | None = None
    battery: int | None = 100
    type_override: int | None = None
    travel_time: float = 2.0
    """Seconds from fully closed to fully open."""
    step: float = 0.1
    """Seconds between two steps of a movement."""
    targets: dict[Axis, float] = field(default_factory=dict)
    on_motion: MotionListener | None = field(default=None, repr=False)
    """Told when the shade starts moving and when it stops (a generation 3 hub's events)."""
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def spec(self) -> KindSpec:
        """What this kind of shade reports and can do."""
        return KINDS[self.kind]

    @property
    def type_id(self) -> int:
        """The shade type number the hub reports."""
        return self.type_override if self.type_override is not None else self.spec.type_id

    @property
    def capabilities(self) -> int:
        """The capability number the hub reports."""
        return self.spec.capability

    @property
    def has_tilt(self) -> bool:
        """Whether the vanes tilt."""
        return self.spec.tilt is not None

    @property
    def moving(self) -> bool:
        """Whether the shade is on its way somewhere."""
        return bool(self.targets)

    @property
    def percent(self) -> int | None:
        """The position in percent (100 open) as a person would read it; None unknown.

        A top-down shade is open with its rail at the top (0); a dual-overlapped one reads
        0-50 for the rear fabric and 50-100 for the front; a tilt-only one is its vanes.
        """
        spec = self.spec
        if not spec.primary:
            return None if self.tilt is None else round(self.tilt * 100)
        if self.primary is None:
            return None
        if spec.capability == KINDS["top_down"].capability:
            return round((1 - self.primary) * 100)
        if spec.secondary == "overlapped":
            if self.primary > 0 or self.secondary is None:
                return round(50 + self.primary * 50)
            return round(self.secondary * 50)
        return round(self.primary * 100)

    @property
    def top(self) -> int | None:
        """How far the top rail has come down, in percent (top-down/bottom-up only)."""
        if self.spec.secondary != "rail" or self.secondary is None:
            return None
        return round(self.secondary * 100)

    def targets_for(self, percent: int) -> dict[Axis, float]:
        """The rails' targets that put the shade where a person reads `percent`."""
        spec, level = self.spec, percent / 100
        if not spec.primary:
            return {"tilt": level}
        if spec.capability == KINDS["top_down"].capability:
            return {"primary": 1 - level}
        if spec.secondary == "overlapped":
            if level > 0.5:
                return {"primary": (level - 0.5) * 2, "secondary": 1.0}
            return {"primary": 0.0, "secondary": level * 2}
        if spec.secondary == "rail":
            return {"primary": level, "secondary": 0.0}
        return {"primary": level}

    def at_rest(self, spec: ShadeSpec) -> tuple[float | None, float | None, float | None]:
        """Primary, secondary and tilt of a shade that starts as `spec` says."""
        kind = self.spec
        targets = self.targets_for(spec.position if spec.position is not None else 0)
        primary = targets.get("primary") if kind.primary else None
        secondary = targets.get("secondary", 0.0) if kind.secondary is not None else None
        if kind.secondary == "rail" and primary is not None:
            secondary = min(spec.top / 100, 1 - primary)
        tilt = spec.tilt / 100 if kind.tilt is not None else None
        return primary, secondary, tilt

    def move(
        self,
        *,
        primary: float | None = None,
        secondary: float | None = None,
        tilt: float | None = None,
    ) -> None:
        """Start travelling toward new targets (fractions); returns at once.

        What the shade cannot do is left out, and what its build forbids is put right as
        a real shade does: a top rail never passes the bottom rail, the rear fabric of a
        dual shade moves only with the front one down, vanes that tilt only when closed
        close the shade first.
        """
        spec = self.spec
        wanted: dict[Axis, float] = {}
        if primary is not None and spec.primary:
            wanted["primary"] = _fraction(primary)
        if secondary is not None and spec.secondary is not None:
            wanted["secondary"] = _fraction(secondary)
        if tilt is not None and spec.tilt is not None:
            wanted["tilt"] = _fraction(tilt)
        self._within_build(wanted)
        for axis in wanted:
            if getattr(self, axis) is None:  # a rail the hub lost starts from closed
                setattr(self, axis, 0.0)
        self.targets.update(wanted)
        if self.targets and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._travel())
        if wanted:
            self._tell("motion-started")

    def _tell(self, event: MotionEvent) -> None:
        if self.on_motion is not None:
            self.on_motion(self, event)

    def _within_build(self, wanted: dict[Axis, float]) -> None:
        """Put `wanted` right where the shade's build forbids it."""
        spec = self.spec
        if spec.secondary == "rail":
            bottom = wanted.get("primary", self.targets.get("primary", self.primary or 0.0))
            if "secondary" in wanted:
                wanted["secondary"] = min(wanted["secondary"], 1 - bottom)
            elif "primary" in wanted:
                top = self.targets.get("secondary", self.secondary or 0.0)
                wanted["secondary"] = min(top, 1 - bottom)
        if spec.secondary == "overlapped":
            if wanted.get("primary", 0.0) > 0:
                wanted["secondary"] = 1.0
            elif wanted.get("secondary", 1.0) < 1:
                wanted["primary"] = 0.0
        if "tilt" in wanted and spec.tilt == "closed":
            wanted["primary"] = 0.0  # the vanes turn once the shade is down
            if spec.secondary == "overlapped":
                wanted["secondary"] = 1.0
        elif spec.tilt == "closed" and (
            wanted.get("primary", 0.0) > 0 or wanted.get("secondary", 1.0) < 1
        ):
            wanted["tilt"] = 0.0  # the shade leaves closed: the vanes shut first

    def stop(self) -> None:
        """Stop where it is."""
        moving = bool(self.targets)
        self.targets.clear()
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if moving:
            self._tell("motion-stopped")

    async def _travel(self) -> None:
        stride = self.step / self.travel_time if self.travel_time > 0 else 1.0
        while self.targets:
            await asyncio.sleep(self.step)
            for axis, target in list(self.targets.items()):
                now = getattr(self, axis) or 0.0
                gap = target - now
                moved = target if abs(gap) <= stride else now + stride * _sign(gap)
                setattr(self, axis, moved)
                if moved == target:
                    del self.targets[axis]
        self._tell("motion-stopped")

    async def halt(self) -> None:
        """Stop moving and wait until the movement task has ended."""
        task, self._task = self._task, None
        self.targets.clear()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _fraction(value: float) -> float:
    return min(max(float(value), 0.0), 1.0)


def _is_axis(name: str) -> TypeGuard[Axis]:
    return name in ("primary", "secondary", "tilt")


def _sign(value: float) -> float:
    return 1.0 if value > 0 else -1.0


@dataclass
class Gateway:
    """One gateway of a home (a generation 3 home may have several; one is primary)."""

    serial: str
    mac: str
    name: str
    host: str = ""
    primary: bool = True


def gateway_named(name: str, *, primary: bool = True) -> Gateway:
    """A gateway whose serial and MAC address follow from its name."""
    serial = f"PV{stable_number(name, 10**10):010d}"
    mac = hashlib.sha256(name.encode("utf-8")).hexdigest()[:6].upper()
    return Gateway(
        serial,
        "00:26:74:" + ":".join(mac[i : i + 2] for i in range(0, 6, 2)),
        name,
        primary=primary,
    )


HUB_ROOMS = ("Default Room", "Repeaters")
"""Rooms every real hub reports, whether or not a shade is in them."""


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
        self.gateways = [gateway_named(name)]
        self.serial = self.gateways[0].serial
        self.mac = self.gateways[0].mac
        self.rooms: dict[int, Room] = {}
        self.shades: dict[int, EmulatedShade] = {}
        self.scenes: dict[int, Scene] = {}
        self.motion_listeners: list[MotionListener] = []
        """Who hears of shades starting and stopping (the event streams being served)."""
        for room_name in HUB_ROOMS:
            self.room(room_name)
        for spec in shades:
            shade_id = stable_number(f"{name}/{spec.name}")
            shade = EmulatedShade(
                id=shade_id,
                name=spec.name,
                room_id=self.room(spec.room).id,
                kind=spec.kind,
                primary=None,
                battery=spec.battery,
                type_override=spec.type_id,
                travel_time=travel_time,
                on_motion=self._motion,
            )
            if spec.position is not None:
                shade.primary, shade.secondary, shade.tilt = shade.at_rest(spec)
            self.shades[shade_id] = shade
        for scene in scenes:
            targets: dict[int, dict[Axis, float]] = {}
            for shade_name, where in scene.positions.items():
                shade = self.shade(shade_name)
                if isinstance(where, dict):
                    targets[shade.id] = {a: float(v) for a, v in where.items() if _is_axis(a)}
                else:
                    targets[shade.id] = shade.targets_for(where)
            scene_id = stable_number(f"{name}/scene/{scene.name}")
            self.scenes[scene_id] = Scene(scene_id, scene.name, self.room(scene.room).id, targets)

    def _motion(self, shade: EmulatedShade, event: MotionEvent) -> None:
        for listener in list(self.motion_listeners):
            listener(shade, event)

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
            self.shades[shade_id].move(**target)
        return list(scene.targets)

    async def halt(self) -> None:
        """Stop every movement (the hub is going away)."""
        for shade in self.shades.values():
            await shade.halt()
