"""The bridge's old API (v1, `/api/<key>/...`), as a bridge without API v2 serves it.

Bridges from before 2019 speak only this, over plain HTTP, and announce nothing on mDNS.
Lights are numbered; brightness is 1-254, colour temperature `ct` in mirek, colour `xy`,
`transitiontime` in tenths of a second. A wrong key is not an HTTP error but a list with
an error of type 1, as every v1 error is. Changes go to the same model the v2 API serves.
Scenes are GroupScenes of their room, recalled by `{"scene": id}` in a group's action.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from devices.adapters.hue.emulator.model import (
    GAMUT_C,
    MIREK_RANGE,
    PRODUCTS,
    Bridge,
    Light,
    Scene,
)

_TYPES = {"color": "Extended color light", "ambiance": "Color temperature light"}


def v1_error(kind: int, address: str, description: str) -> web.Response:
    """A v1 error answer (HTTP 200, like every v1 answer)."""
    return web.json_response(
        [{"error": {"type": kind, "address": address, "description": description}}]
    )


def render_light(light: Light) -> dict[str, Any]:
    """A light as `GET /api/<key>/lights` shows it."""
    kind = light.spec.kind
    model, product, archetype = PRODUCTS[kind]
    state: dict[str, Any] = {
        "on": light.on,
        "bri": max(1, min(254, round(light.brightness * 2.54))),
        "alert": "none",
        "mode": "homeautomation",
        "reachable": True,
    }
    control: dict[str, Any] = {"mindimlevel": 1000, "maxlumen": 800}
    if kind in MIREK_RANGE:
        low, high = MIREK_RANGE[kind]
        state["ct"] = light.mirek or low
        state["colormode"] = "ct"
        control["ct"] = {"min": low, "max": high}
    if kind == "color":
        state["xy"] = list(light.xy)
        state["colormode"] = "ct" if light.mirek is not None else "xy"
        control["colorgamuttype"] = "C"
        control["colorgamut"] = [[p["x"], p["y"]] for p in GAMUT_C.values()]
    serial = light.device_id.replace("-", "")[:16]
    return {
        "state": state,
        "type": _TYPES.get(kind, "Dimmable light"),
        "name": light.name,
        "modelid": model,
        "manufacturername": "Signify Netherlands B.V.",
        "productname": product,
        "capabilities": {"certified": True, "control": control},
        "config": {"archetype": archetype, "function": "mixed"},
        "uniqueid": ":".join(serial[i : i + 2] for i in range(0, 16, 2)) + "-0b",
        "swversion": "1.29.0_r21169",
    }


def as_v2_body(body: dict[str, Any]) -> dict[str, Any]:
    """A v1 state body in the v2 words the model applies."""
    changes: dict[str, Any] = {}
    if isinstance(body.get("on"), bool):
        changes["on"] = {"on": body["on"]}
    if isinstance(body.get("bri"), int):
        changes["dimming"] = {"brightness": max(1, min(254, body["bri"])) / 2.54}
    if isinstance(body.get("ct"), int):
        changes["color_temperature"] = {"mirek": body["ct"]}
    xy = body.get("xy")
    if isinstance(xy, list) and len(xy) == 2:
        changes["color"] = {"xy": {"x": xy[0], "y": xy[1]}}
    if isinstance(body.get("transitiontime"), int):
        changes["dynamics"] = {"duration": body["transitiontime"] * 100}
    return changes


def render_scene(scene: Scene) -> dict[str, Any]:
    """A scene as `GET /api/<key>/scenes` shows it (a GroupScene of its room)."""
    return {
        "name": scene.spec.name,
        "type": "GroupScene",
        "group": str(scene.group.number),
        "lights": [str(light.number) for light in scene.targets.values()],
        "owner": "dobby-emulator",
        "recycle": False,
        "locked": False,
        "appdata": {},
        "picture": "",
        "lastupdated": "2024-01-01T00:00:00",
        "version": 2,
    }


def scene_id(scene: Scene) -> str:
    """A scene's v1 id (the last part of its v2 `id_v1`)."""
    return scene.id[:15]


class BridgeV1:
    """The v1 routes of one emulated bridge."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    def add_routes(self, app: web.Application) -> None:
        """`/api/<key>`, its lights and groups, and their state changes."""
        app.router.add_get("/api/{key}", self.everything)
        app.router.add_get("/api/{key}/", self.everything)
        app.router.add_get("/api/{key}/lights", self.lights)
        app.router.add_put("/api/{key}/lights/{number}/state", self.light_state)
        app.router.add_get("/api/{key}/groups", self.groups)
        app.router.add_put("/api/{key}/groups/{number}/action", self.group_action)
        app.router.add_get("/api/{key}/scenes", self.scenes)

    def _known(self, request: web.Request) -> bool:
        return request.match_info["key"] in self.bridge.keys

    def _unauthorized(self, request: web.Request) -> web.Response:
        return v1_error(1, request.path.split("/api/", 1)[1], "unauthorized user")

    def _lights(self) -> dict[str, Any]:
        return {str(light.number): render_light(light) for light in self.bridge.model.lights}

    def _groups(self) -> dict[str, Any]:
        groups = {}
        for group in self.bridge.model.groups:
            lit = [light.on for light in group.lights]
            groups[str(group.number)] = {
                "name": group.name,
                "lights": [str(light.number) for light in group.lights],
                "sensors": [],
                "type": "Room" if group.kind == "room" else "Zone",
                "state": {"all_on": all(lit), "any_on": any(lit)},
                "recycle": False,
                "class": "Other",
                "action": {"on": any(lit), "alert": "none"},
            }
        return groups

    def _scenes(self) -> dict[str, Any]:
        return {scene_id(scene): render_scene(scene) for scene in self.bridge.model.scenes}

    async def everything(self, request: web.Request) -> web.Response:
        """The whole bridge: config, lights, groups, scenes (no sensors emulated)."""
        if not self._known(request):
            return self._unauthorized(request)
        config = self.bridge.public_config()
        config.update(modelid="BSB001", apiversion="1.16.0", swversion="01041302")
        return web.json_response(
            {
                "config": config,
                "lights": self._lights(),
                "groups": self._groups(),
                "scenes": self._scenes(),
            }
        )

    async def scenes(self, request: web.Request) -> web.Response:
        """Every scene."""
        if not self._known(request):
            return self._unauthorized(request)
        return web.json_response(self._scenes())

    async def lights(self, request: web.Request) -> web.Response:
        """Every light."""
        if not self._known(request):
            return self._unauthorized(request)
        return web.json_response(self._lights())

    async def groups(self, request: web.Request) -> web.Response:
        """Every room and zone."""
        if not self._known(request):
            return self._unauthorized(request)
        return web.json_response(self._groups())

    async def light_state(self, request: web.Request) -> web.Response:
        """Change one light; the answer lists each change made."""
        if not self._known(request):
            return self._unauthorized(request)
        number = request.match_info["number"]
        light = next((x for x in self.bridge.model.lights if str(x.number) == number), None)
        body = await request.json()
        if light is None:
            return v1_error(3, f"/lights/{number}", f"resource, /lights/{number}, not available")
        self.bridge.requests.append(("PUT", f"v1/lights/{number}", body))
        light.apply(as_v2_body(body))
        return web.json_response(
            [{"success": {f"/lights/{number}/state/{key}": value}} for key, value in body.items()]
        )

    async def group_action(self, request: web.Request) -> web.Response:
        """Change every light of a group (0: every light of the bridge)."""
        if not self._known(request):
            return self._unauthorized(request)
        number = request.match_info["number"]
        model = self.bridge.model
        found = model.home if number == "0" else None
        found = found or next((g for g in model.groups if str(g.number) == number), None)
        body = await request.json()
        if found is None:
            return v1_error(3, f"/groups/{number}", f"resource, /groups/{number}, not available")
        self.bridge.requests.append(("PUT", f"v1/groups/{number}", body))
        if "scene" in body:
            wanted = body["scene"]
            scene = next((s for s in model.scenes if scene_id(s) == wanted), None)
            if scene is None:
                missing = f"/scenes/{wanted}"
                return v1_error(3, missing, f"resource, {missing}, not available")
            model.recall(scene, {"recall": {"action": "active"}})
            return web.json_response([{"success": {f"/groups/{number}/action/scene": wanted}}])
        for light in found.lights:
            light.apply(as_v2_body(body))
        return web.json_response(
            [{"success": {f"/groups/{number}/action/{key}": value}} for key, value in body.items()]
        )
