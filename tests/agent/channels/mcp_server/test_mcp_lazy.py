"""`dobby run` loads the MCP SDK with the first /mcp request, not at start (footprint)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import asyncio, json, sys
from pathlib import Path

import aiohttp

from agent.config import ChannelSettings, load_config
from agent.service import Service
from devices.plugin import LoadedAdapters

def sdk() -> list[str]:
    return sorted(m for m in sys.modules if m.split(".")[0] in ("mcp", "mcp_types"))

async def main(config: str, state: str) -> None:
    settings = ChannelSettings(_env_file=None, http_host="127.0.0.1", http_port=0, web=False)
    service = Service(
        load_config(Path(config)), Path(state), settings, interfaces=["127.0.0.1"],
        loaded=LoadedAdapters({}, []),
    )
    await service.start()
    try:
        before = sdk()
        async with aiohttp.ClientSession() as session:
            async with session.post(f"http://127.0.0.1:{service.port}/mcp", json={}) as answer:
                status = answer.status
        after = sdk()
    finally:
        await service.stop()
    print(json.dumps({"before": before, "status": status, "after": bool(after)}))

asyncio.run(main(*sys.argv[1:]))
"""


def test_dobby_run_loads_the_mcp_sdk_only_with_the_first_request(tmp_path: Path) -> None:
    """The service starts with /mcp served by a stand-in and no SDK imported; the first
    request (here without a token: refused by the real endpoint's door) loads it."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "home.yaml").write_text("name: Test House\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(config), str(tmp_path / "state")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"before": [], "status": 401, "after": True}
