"""`dobby run`: /healthz, and a graceful stop on SIGTERM, as a real process."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path

import aiohttp
import pytest
import yaml

from devices.plugin import load_adapters
from devices.virtual_house import VirtualHouse, read_house

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_healthz_reports_the_house_and_channels(household) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{household.url}/healthz") as response,
    ):
        assert response.status == 200
        body = await response.json()
    assert body["status"] == "ok"
    assert body["channels"] == ["telegram", "whatsapp"]
    assert body["entities"] >= len(household.house.entity_ids)


async def test_dobby_run_serves_healthz_and_stops_on_sigterm(tmp_path: Path, dobby_run) -> None:
    config = tmp_path / "config"
    config.mkdir()
    off = {name: {"enabled": False} for name in load_adapters().manifests}
    home = {"name": "Test House", "discovery": {"interfaces": ["127.0.0.1"]}, "adapters": off}
    (config / "home.yaml").write_text(yaml.safe_dump(home))
    port = free_port()
    process = await dobby_run(config, tmp_path, http_port=str(port))
    try:
        status = None
        async with aiohttp.ClientSession() as session:
            for _ in range(400):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                        status = response.status
                        if status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                assert process.returncode is None
                await asyncio.sleep(0.05)
        assert status == 200
        process.send_signal(signal.SIGTERM)
        _, raw = await asyncio.wait_for(process.communicate(), 30)
        stderr = raw.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr
    assert "Dobby is ready" in stderr
    assert "Stopping: finishing what is in hand" in stderr
    assert (tmp_path / "dobby.db").exists()


TROUBLE = (
    "Traceback",
    "Task exception was never retrieved",
    "cannot schedule new futures after shutdown",
    "Task was destroyed but it is pending",
)
"""What a stop in the middle of start-up used to leave in the log."""


async def test_a_stop_while_start_up_waits_on_a_silent_server_is_acted_on_at_once(
    tmp_path: Path, dobby_run
) -> None:
    """SIGTERM while start-up waits on something that does not answer (here the Bot API:
    a server that takes the connection and says nothing): start-up is cancelled where it
    is and Dobby stops cleanly, rather than after the wait runs out."""
    connections: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    bot_api = server.sockets[0].getsockname()[1]
    config = tmp_path / "config"
    config.mkdir()
    off = {name: {"enabled": False} for name in load_adapters().manifests}
    home = {"name": "Test House", "discovery": {"interfaces": ["127.0.0.1"]}, "adapters": off}
    (config / "home.yaml").write_text(yaml.safe_dump(home))
    process = await dobby_run(
        config,
        tmp_path,
        http_port=str(free_port()),
        telegram_token="123456:silent",
        telegram_base_url=f"http://127.0.0.1:{bot_api}/bot",
    )
    assert process.stderr is not None
    reading = asyncio.create_task(process.stderr.read())
    try:
        while not connections:  # start-up has reached the Bot API, and waits
            assert process.returncode is None, (await reading).decode()
            await asyncio.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 120)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        stderr = (await reading).decode()
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()
    assert process.returncode == 0, stderr
    assert "Stopping while starting: start-up cancelled" in stderr
    assert "Dobby is ready" not in stderr
    assert [line for line in TROUBLE if line in stderr] == [], stderr


@pytest.mark.timeout(240)  # a whole demo house and a dobby run, on a busy machine
@pytest.mark.parametrize("moment", ["while starting", "while setting up devices", "once ready"])
async def test_a_stop_right_after_start_ends_cleanly(
    tmp_path: Path, dobby_run, moment: str
) -> None:
    """SIGTERM while the demo house is still being found and set up (the HTTP server
    answers 503), once its first devices are in while the others are still being paired,
    connected and subscribed, or the moment it is ready: a clean exit, nothing left in the
    log."""
    house = VirtualHouse(
        read_house(ROOT / "config" / "demo" / "house.yaml"), load_adapters().manifests
    )
    await house.start()
    try:
        config = tmp_path / "config"
        config.mkdir()
        home = yaml.safe_load((ROOT / "config" / "home.yaml").read_text("utf-8"))
        home["discovery"] = {"interfaces": ["127.0.0.1"]}
        for name, settings in house.settings.items():
            home.setdefault("adapters", {}).setdefault(name, {}).update(settings)
        (config / "home.yaml").write_text(yaml.safe_dump(home))
        port = free_port()
        # Its own house only: another house's devices that vanish mid-way are no test of this.
        process = await dobby_run(config, tmp_path, only_hosts=house.addresses, http_port=str(port))
        assert process.stderr is not None
        reading = asyncio.create_task(process.stderr.read())  # all along: the pipe never fills
        try:
            wanted = {200} if moment == "once ready" else {200, 503}
            some = 1 if moment == "while setting up devices" else 0
            if not await first_answer(port, wanted, process, entities=some):
                await process.wait()
                pytest.fail(f"dobby run ended by itself:\n{(await reading).decode()}")
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 120)
            except TimeoutError:
                process.send_signal(signal.SIGABRT)  # faulthandler: where every thread is
                await process.wait()
                pytest.fail(f"dobby run did not stop within 120 s:\n{(await reading).decode()}")
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            stderr = (await reading).decode()
    finally:
        await house.stop()
    assert process.returncode == 0, stderr
    assert [line for line in TROUBLE if line in stderr] == [], stderr


async def first_answer(
    port: int, wanted: set[int], process: asyncio.subprocess.Process, *, entities: int = 0
) -> bool:
    """Wait for a /healthz status in `wanted` with at least `entities` entities found
    (polling while the process lives); False if it ended first."""
    async with aiohttp.ClientSession() as session:
        while process.returncode is None:
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    found = (await response.json()).get("entities", 0)
                    if response.status in wanted and found >= entities:
                        return True
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.02)
    return False
