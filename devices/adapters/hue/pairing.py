"""Pairing with a Hue bridge the way the bridge wants it: the link button.

`pair(host, state_dir, wait_for_button=30)` asks the bridge for an application key
(`POST /api` with a devicetype and `generateclientkey`) until someone presses the round
button on top of the bridge, then keeps the key in `<state dir>/hue/<bridge id>.json`,
readable by this user only. The key is a secret: it is never logged or printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohue.discovery import is_v2_bridge  # type: ignore[import-untyped]

from devices.adapters.hue.manifest import MANIFEST
from devices.discovery import Discovery
from devices.errors import (
    DeviceConnectionError,
    DeviceError,
    DeviceRefusedError,
    DeviceResponseError,
    DeviceTimeoutError,
)
from devices.plugin import Discovered, PairingError, PairRequest

_LOGGER = logging.getLogger(__name__)

SERVICE_TYPE = "_hue._tcp.local."
DEVICE_TYPE = "dobby"
PAIR_AGAIN = "the Hue bridge refused Dobby's key: pair again with `dobby pair hue`."
"""Why a bridge whose key is refused is unavailable (the same words however it was found)."""
LINK_BUTTON_NOT_PRESSED = 101
HTTPS_PORT = 443


class LinkButtonNotPressedError(DeviceRefusedError):
    """The bridge wants its link button pressed before it hands out a key."""


@dataclass(frozen=True)
class StoredKey:
    """What pairing keeps about one bridge (the key file's content)."""

    bridge_id: str
    application_key: str
    client_key: str | None
    host: str

    def __repr__(self) -> str:
        return f"StoredKey(bridge_id={self.bridge_id!r}, host={self.host!r}, key=<secret>)"


def keys_dir(state_dir: Path) -> Path:
    """Where the keys of every Hue bridge live: `<state dir>/hue`."""
    return state_dir / "hue"


def key_path(directory: Path, bridge_id: str) -> Path:
    """The key file of one bridge."""
    return directory / f"{bridge_id.lower()}.json"


def load_key(directory: Path, bridge_id: str) -> StoredKey | None:
    """The stored key of a bridge, or None if it was never paired (or the file is bad)."""
    path = key_path(directory, bridge_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return StoredKey(
            bridge_id=str(data["bridge_id"]),
            application_key=str(data["application_key"]),
            client_key=data.get("client_key"),
            host=str(data.get("host", "")),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        _LOGGER.warning("The Hue key file %s is unreadable; pair again", path)
        return None


def store_key(directory: Path, key: StoredKey) -> Path:
    """Write a key file with mode 0600 (atomically: a half-written key never exists)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = key_path(directory, key.bridge_id)
    content = {
        "bridge_id": key.bridge_id,
        "application_key": key.application_key,
        "client_key": key.client_key,
        "host": key.host,
        "paired_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".pairing-")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(content, file, indent=2)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path


def _session(timeout: float) -> aiohttp.ClientSession:
    # A bridge's certificate is self-signed (aiohue does not verify it either).
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=timeout),
        connector=aiohttp.TCPConnector(ssl=False),
    )


async def _call(session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> Any:
    try:
        async with session.request(method, url, **kwargs) as response:
            if response.status >= 400:
                raise DeviceRefusedError(f"refused with HTTP {response.status}.")
            return await response.json(content_type=None)
    except TimeoutError as error:
        raise DeviceTimeoutError("did not answer in time.") from error
    except aiohttp.ClientConnectionError as error:
        raise DeviceConnectionError("cannot be reached.") from error
    except (aiohttp.ClientError, ValueError) as error:
        raise DeviceResponseError("answered with something that is not a Hue bridge.") from error


async def bridge_scheme(host: str, *, request_timeout: float = 5.0) -> str:
    """Which scheme the bridge speaks: https with API v2, http for an older one (v1 only).

    Raises DeviceTimeoutError when the bridge does not answer within `request_timeout`.
    """
    scheme, _ = await probe_scheme(host, request_timeout=request_timeout)
    return scheme


async def probe_scheme(host: str, *, request_timeout: float = 5.0) -> tuple[str, str]:
    """The scheme the bridge at `host` speaks, and, for "http" (API v1), why: aiohue's v2
    probe decides; what it saw (the status, or the error) is watched through aiohttp's
    tracing, since aiohue only says yes or no."""
    seen: list[str] = []

    async def on_end(_: Any, __: Any, params: aiohttp.TraceRequestEndParams) -> None:
        seen.append(f"it answered HTTP {params.response.status}")

    async def on_error(_: Any, __: Any, params: aiohttp.TraceRequestExceptionParams) -> None:
        error = params.exception
        seen.append(f"it failed ({type(error).__name__}: {error})")

    tracing = aiohttp.TraceConfig()
    tracing.on_request_end.append(on_end)
    tracing.on_request_exception.append(on_error)
    try:
        async with (
            asyncio.timeout(request_timeout),
            aiohttp.ClientSession(trace_configs=[tracing]) as session,
        ):
            v2 = await is_v2_bridge(host, session)
    except TimeoutError:
        raise DeviceTimeoutError(f"did not answer within {request_timeout:g} s.") from None
    if v2:
        return "https", ""
    why = f"the API v2 probe (https://{host}/clip/v2/resource) did not find it: "
    why += seen[-1] if seen else "no answer"
    _, _, port = host.rpartition(":")
    if port.isdigit() and int(port) != HTTPS_PORT:
        where = f"it serves on port {port} (announced or configured), not {HTTPS_PORT}"
        why = f"{where} where API v2 is served; {why}"
    return "http", why


async def read_bridge_id(host: str, *, request_timeout: float = 5.0, scheme: str = "https") -> str:
    """The bridge id (16 hex digits, lower case) of the bridge at `host` ("ip" or "ip:port");
    `scheme` "http" for a bridge without API v2."""
    async with _session(request_timeout) as session:
        data = await _call(session, "GET", f"{scheme}://{host}/api/config")
    bridge_id = data.get("bridgeid") if isinstance(data, dict) else None
    if not isinstance(bridge_id, str) or not bridge_id:
        raise DeviceResponseError("answered without a bridge id: is it a Hue bridge?")
    return bridge_id.lower()


async def request_key(
    host: str, *, request_timeout: float = 5.0, scheme: str = "https"
) -> tuple[str, str | None]:
    """Ask the bridge once for an application key (and client key).

    Raises LinkButtonNotPressedError until someone has pressed the link button.
    """
    body = {"devicetype": f"{DEVICE_TYPE}#{socket.gethostname()[:19]}", "generateclientkey": True}
    async with _session(request_timeout) as session:
        data = await _call(session, "POST", f"{scheme}://{host}/api", json=body)
    first = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else None
    if first is None:
        raise DeviceResponseError("answered the pairing request with something unexpected.")
    error = first.get("error")
    if isinstance(error, dict):
        if error.get("type") == LINK_BUTTON_NOT_PRESSED:
            raise LinkButtonNotPressedError("the link button on the bridge has not been pressed.")
        raise DeviceRefusedError(f"refused to pair: {error.get('description', 'no reason')}.")
    success = first.get("success")
    username = success.get("username") if isinstance(success, dict) else None
    if not isinstance(username, str) or not username:
        raise DeviceResponseError("answered the pairing request without a key.")
    client_key = success.get("clientkey") if isinstance(success, dict) else None
    return username, client_key if isinstance(client_key, str) else None


async def pair(
    host: str, state_dir: Path, *, wait_for_button: float, poll_every: float = 1.0
) -> str:
    """Pair with the bridge at `host`, waiting up to `wait_for_button` s for its link button.

    Stores the key in `<state_dir>/hue/<bridge id>.json` (mode 0600) and returns the bridge
    id. Raises LinkButtonNotPressedError if nobody pressed the button in time, and the
    other errors of `devices.errors` if the bridge cannot be reached or is not a bridge.
    """
    scheme = await bridge_scheme(host)
    bridge_id = await read_bridge_id(host, scheme=scheme)
    deadline = time.monotonic() + wait_for_button
    while True:
        try:
            application_key, client_key = await request_key(host, scheme=scheme)
            break
        except LinkButtonNotPressedError:
            if time.monotonic() + poll_every > deadline:
                raise LinkButtonNotPressedError(
                    f"the link button on the bridge was not pressed within {wait_for_button:g} s."
                ) from None
            await asyncio.sleep(poll_every)
    store_key(keys_dir(state_dir), StoredKey(bridge_id, application_key, client_key, host))
    _LOGGER.info("Paired with Hue bridge %s at %s", bridge_id, host)
    return bridge_id


@dataclass(frozen=True)
class FoundBridge:
    """A bridge that answered mDNS."""

    bridge_id: str
    host: str
    """"ip", or "ip:port" when the bridge does not serve on 443."""
    name: str


def address(host: str, port: int | None) -> str:
    """How to reach a bridge: its IP, with the port only when it is not HTTPS's 443."""
    return host if port in (None, 443) else f"{host}:{port}"


async def find_bridges(interfaces: list[str] | None, seconds: float = 3.0) -> list[FoundBridge]:
    """Every bridge that answers `_hue._tcp` on these interfaces within `seconds`."""
    found: list[Discovered] = []

    async def collect(answer: Discovered) -> None:
        found.append(answer)

    discovery = Discovery({MANIFEST.name: MANIFEST}, collect, interfaces=interfaces)
    await discovery.start()
    try:
        await asyncio.sleep(seconds)
    finally:
        await discovery.stop()
    bridges: dict[str, FoundBridge] = {}
    for answer in found:
        bridge_id = answer.properties.get("bridgeid", "").lower()
        host = address(answer.host, answer.port)
        if not bridge_id:
            try:
                bridge_id = await read_bridge_id(host)
            except DeviceError:
                continue
        bridges[bridge_id] = FoundBridge(bridge_id, host, answer.name.split(".", 1)[0])
    return sorted(bridges.values(), key=lambda b: b.bridge_id)


async def pair_hook(request: PairRequest) -> str:
    """`dobby pair hue [ADDRESS]`, through the manifest's pairing entry: find the bridge
    (by mDNS when no address is given), then wait for its link button."""
    target = request.target
    if target is None:
        bridges = await find_bridges(request.interfaces, seconds=3.0)
        if not bridges:
            raise PairingError("No Hue bridge answered. Give its address: dobby pair hue ADDRESS.")
        if len(bridges) > 1:
            listed = ", ".join(f"{b.name} ({b.host})" for b in bridges)
            raise PairingError(f"Several Hue bridges answered: {listed}. Give one's address.")
        target = bridges[0].host
    request.say(
        f"Press the round link button on the Hue bridge at {target} (waiting {request.wait:g} s)..."
    )
    try:
        bridge_id = await pair(target, request.state_dir, wait_for_button=request.wait)
    except DeviceError as error:
        raise PairingError(f"Hue bridge at {target}: {error}") from error
    where = keys_dir(request.state_dir)
    return f"Paired with Hue bridge {bridge_id}. Its key is kept in {where}."
