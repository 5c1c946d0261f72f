"""The plug's adapter: plugs as switch entities."""

from __future__ import annotations

from typing import Any

import aiohttp

from devices.capabilities import CommandSpec, Domain, Params, SwitchState
from devices.entities import DeviceInfo, Entity, EntitySpec
from devices.errors import DeviceConnectionError, DeviceResponseError, DeviceTimeoutError
from devices.plugin import Adapter, Discovered
from dobby_exampleplug.manifest import MANIFEST


class ExamplePlugAdapter(Adapter):
    """Plugs as switch entities."""

    manifest = MANIFEST

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.plugs: dict[str, str] = {}
        """Base URL by serial."""

    async def discovered(self, found: Discovered) -> None:
        await self._add(f"http://{found.host}:{found.port}")

    async def start(self) -> None:
        for host in self.config.hosts:
            await self._add(f"http://{host}")

    async def _get(self, base: str, **query: str) -> dict[str, Any]:
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(
                    f"{base}/relay", params=query, timeout=aiohttp.ClientTimeout(total=2)
                ) as response,
            ):
                data = await response.json(content_type=None)
        except TimeoutError as error:
            raise DeviceTimeoutError("did not answer in time.") from error
        except aiohttp.ClientConnectionError as error:
            raise DeviceConnectionError("cannot be reached.") from error
        except ValueError as error:
            raise DeviceResponseError("answered with something that makes no sense.") from error
        if not isinstance(data, dict) or not isinstance(data.get("ison"), bool):
            raise DeviceResponseError("answered with something that makes no sense.")
        return data

    async def _add(self, base: str) -> None:
        data = await self._get(base)
        serial = str(data["serial"])
        self.plugs[serial] = base
        state = SwitchState(state="on" if data["ison"] else "off")
        self.context.add_device(
            DeviceInfo(
                unique_id=serial,
                name=str(data["name"]),
                host=base,
                suggested_area=data.get("room"),
            ),
            [
                EntitySpec(
                    unique_id=serial, domain=Domain.SWITCH, name=str(data["name"]), state=state
                )
            ],
        )

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        base = self.plugs[entity.adapter_unique_id]
        turn = {"turn_on": "on", "turn_off": "off", "toggle": "toggle"}[command.verb]
        data = await self._get(base, turn=turn)
        self.context.push_state(
            entity.adapter_unique_id, SwitchState(state="on" if data["ison"] else "off")
        )

    async def refresh(self) -> None:
        for serial, base in self.plugs.items():
            data = await self._get(base)
            self.context.push_state(serial, SwitchState(state="on" if data["ison"] else "off"))
