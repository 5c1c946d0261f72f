"""`dobby pair exampleplug ADDRESS`: ask the plug for a token and keep it."""

from __future__ import annotations

import json

import aiohttp

from devices.plugin import PairingError, PairRequest


async def pair(request: PairRequest) -> str:
    """Fetch a token from the plug at `request.target`; keep it in the state dir."""
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"http://{request.target}/pair", timeout=aiohttp.ClientTimeout(total=5)
            ) as response,
        ):
            data = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        raise PairingError(f"The plug at {request.target} cannot be paired: {error}") from error
    directory = request.state_dir / "exampleplug"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{data['serial']}.json").write_text(json.dumps(data), encoding="utf-8")
    return f"Paired with plug {data['serial']}."
