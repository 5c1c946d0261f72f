"""`dobby run`: /healthz, and a graceful stop on SIGTERM, as a real process."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path

import aiohttp
import yaml

from devices.plugin import load_adapters

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
