"""The emulator process: `python -m devices.adapters.homekit.emulator.runner CONFIG.json`.

It serves every accessory of the config with HAP-python, each on its own loopback address,
announced with mDNS on one interface, and takes orders as JSON lines on stdin:
`{"op": "set", "name": ..., "values": {...}}`, `{"op": "get", "name": ...}`, `{"op": "stop"}`.
Each order is answered with one JSON line on stdout; the first line is `{"ready": true}`.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import json
import logging
import sys
from pathlib import Path
from typing import Any

from pyhap.accessory_driver import AccessoryDriver  # type: ignore[import-untyped]
from zeroconf.asyncio import AsyncZeroconf

from devices.adapters.homekit.emulator.accessories import EmulatedAccessory, EmulatedBridge
from devices.adapters.homekit.emulator.faults import FaultBoard
from devices.adapters.homekit.emulator.server import FaultyHAPServer
from devices.adapters.homekit.emulator.spec import AccessorySpec
from devices.testing.addresses import PortTakenError
from devices.testing.mdns import zeroconf_on

_LOGGER = logging.getLogger(__name__)


class Runner:
    """Every accessory of one config, on one event loop and one zeroconf instance."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.specs = [AccessorySpec(**item) for item in config["accessories"]]
        self.state_dir = Path(config["state_dir"])
        self.interface = str(config["interface"])
        self.board = FaultBoard(Path(config["faults_file"]), len(self.specs), create=False)
        self.drivers: list[AccessoryDriver] = []
        self.accessories: dict[str, EmulatedAccessory] = {}
        """Every accessory with services of its own (a bridge's are behind it), by name."""
        self.zeroconf: AsyncZeroconf | None = None

    async def start(self) -> None:
        """Serve and announce every accessory."""
        loop = asyncio.get_running_loop()
        self.zeroconf = zeroconf_on(self.interface)
        for slot, spec in enumerate(self.specs):
            driver = AccessoryDriver(
                loop=loop,
                address=spec.host,
                port=spec.port,
                mac=spec.device_id,
                pincode=spec.setup_code.encode(),
                persist_file=str(self.state_dir / f"{spec.device_id.replace(':', '')}.state"),
                async_zeroconf_instance=self.zeroconf,
            )
            driver.http_server = FaultyHAPServer(
                (spec.host, spec.port), driver, functools.partial(self.board.read, slot)
            )
            accessory: EmulatedAccessory | EmulatedBridge
            if spec.kind == "bridge":
                accessory = EmulatedBridge(driver, spec)
                self.accessories.update((a.spec.name, a) for a in accessory.bridged)
            else:
                accessory = EmulatedAccessory(driver, spec)
                self.accessories[spec.name] = accessory
            driver.add_accessory(accessory)
            try:
                await driver.async_start()
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    raise PortTakenError(spec.host, spec.port) from None
                raise
            accessory.start_drift()
            self.drivers.append(driver)

    async def stop(self) -> None:
        """Withdraw the announcements and close every server."""
        assert self.zeroconf is not None
        for driver in self.drivers:
            driver.accessory.stop_drift()
            await self.zeroconf.async_unregister_service(driver.mdns_service_info)
            driver.http_server.async_stop()
        await self.zeroconf.async_close()
        self.board.close()

    def order(self, line: str) -> dict[str, Any]:
        """Carry out one order from the controlling process."""
        request = json.loads(line)
        op = request.get("op")
        if op == "stop":
            return {"ok": True, "stop": True}
        accessory = self.accessories.get(request.get("name", ""))
        if accessory is None:
            return {"ok": False, "error": f"no accessory {request.get('name')!r}"}
        if op == "set":
            for name, value in request["values"].items():
                accessory.set(name, value)
            return {"ok": True}
        if op == "get":
            service_iid = accessory.iid_manager.get_iid(accessory.service)
            values = accessory.values()
            return {"ok": True, "values": values, "aid": accessory.aid, "iid": service_iid}
        return {"ok": False, "error": f"unknown op {op!r}"}


async def _serve(config: dict[str, Any]) -> None:
    runner = Runner(config)
    try:
        await runner.start()
    except PortTakenError as error:
        _say({"taken": {"host": error.host, "port": error.port}})
        return
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    _say({"ready": True})
    try:
        while line := (await reader.readline()).decode():
            try:
                answer = runner.order(line)
            except Exception as error:  # noqa: BLE001 - a bad order must not end the house
                answer = {"ok": False, "error": repr(error)}
            _say(answer)
            if answer.get("stop"):
                break
    finally:
        await runner.stop()


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> None:
    """Read the config named on the command line and serve until told to stop (or stdin ends)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    config = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    asyncio.run(_serve(config))


if __name__ == "__main__":
    main()
