"""Pairing with HomeKit accessories by name and setup code, and the pairings file.

Pairings live in `<state dir>/homekit-pairings.json` (mode 0600; the file is store.py's):
the controller's keys for each accessory, by HomeKit device id. `dobby pair homekit
"<name>" --code <code>` calls `pair_hook`, `dobby unpair homekit "<name>"` calls
`unpair_hook` (the manifest names them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from aiohomekit.characteristic_cache import CharacteristicCacheMemory
from aiohomekit.controller.ip.controller import IpController
from aiohomekit.controller.ip.discovery import IpDiscovery
from aiohomekit.controller.ip.pairing import IpPairing
from aiohomekit.exceptions import AuthenticationError, HomeKitException, MalformedPinError
from aiohomekit.model import Categories
from aiohomekit.model.feature_flags import FeatureFlags
from aiohomekit.model.status_flags import StatusFlags
from aiohomekit.zeroconf import HomeKitService

from devices.adapters.homekit.manifest import MANIFEST
from devices.adapters.homekit.store import (
    PAIRINGS_FILE,
    PairingError,
    PairingStore,
    instance_name,
    is_unpaired,
    offer_setup_code,
    offered_setup_code,
    pairings_path,
)
from devices.discovery import Discovery
from devices.plugin import Discovered, PairRequest

__all__ = [
    "PAIRINGS_FILE",
    "PairingError",
    "PairingStore",
    "find",
    "instance_name",
    "is_unpaired",
    "matches",
    "offer_setup_code",
    "offered_setup_code",
    "pair",
    "pair_found",
    "pair_hook",
    "pairings_path",
    "unpair",
    "unpair_hook",
]

FIND_TIMEOUT = 10.0
SRP_ATTEMPTS = 4
"""Pair-setup runs before a refused code counts as wrong (see `_pair_setup`)."""


def matches(found: Discovered, name: str) -> bool:
    """Whether an answer is the accessory a person named (HAP adds an id after the name)."""
    wanted = name.strip().casefold()
    instance = instance_name(found).casefold()
    model = found.properties.get("md", "").casefold()
    return wanted in (instance, model) or instance.startswith(f"{wanted} ")


def description_of(found: Discovered) -> HomeKitService:
    """aiohomekit's description of an accessory, from what our discovery heard."""
    props = {k.lower(): v for k, v in found.properties.items()}
    return HomeKitService(
        name=instance_name(found),
        id=props.get("id", "").lower(),
        model=props.get("md", ""),
        feature_flags=FeatureFlags(int(props.get("ff", 0) or 0)),
        status_flags=StatusFlags(int(props.get("sf", 0) or 0)),
        config_num=int(props.get("c#", 0) or 0),
        state_num=int(props.get("s#", 0) or 0),
        category=Categories(int(props.get("ci", 1) or 1)),
        protocol_version=props.get("pv", "1.0"),
        type=found.type,
        address=found.host,
        addresses=[found.host],
        port=found.port or 80,
    )


async def pair_found(found: Discovered, code: str, store: PairingStore) -> str:
    """Pair with an accessory that discovery found; returns its device id.

    A wrong code raises PairingError and stores nothing.
    """
    description = description_of(found)
    name = instance_name(found)
    if not description.id:
        raise PairingError(f"{name} did not say its HomeKit id; it cannot be paired.")
    if not is_unpaired(found):
        raise PairingError(
            f"{name} is already paired with a controller. Unpair it there, or reset it."
        )
    controller = IpController(CharacteristicCacheMemory(), None)  # type: ignore[arg-type]
    discovery = IpDiscovery(controller, description)
    try:
        pairing = await _pair_setup(discovery, code)
    except MalformedPinError:
        raise PairingError(f"{code!r} is not a setup code: it has the form 123-45-678.") from None
    except AuthenticationError:
        raise PairingError(
            f"The setup code is wrong for {name}; nothing was stored. Check the code on the "
            "accessory or its box and try again."
        ) from None
    except (HomeKitException, OSError) as error:
        raise PairingError(f"Pairing with {name} failed: {error}.") from error
    finally:
        await discovery.close()  # type: ignore[no-untyped-call]
    data = dict(pairing.pairing_data)
    data["Name"] = name
    await pairing.close()
    store.put(description.id, data)
    return description.id


async def _pair_setup(discovery: IpDiscovery, code: str) -> IpPairing:
    # Some accessories (HAP-python among them) leave out the leading zero bytes of B, the
    # shared secret and the session key where the controller pads them: when any of the three
    # starts with a zero byte (about one run in ninety) a right code fails. Each run draws new
    # numbers, so a right code gets through within a few runs; a wrong code fails them all.
    for attempt in range(SRP_ATTEMPTS):
        try:
            finish = await discovery.async_start_pairing(discovery.description.id)
            pairing = await finish(code)
        except AuthenticationError:
            if attempt == SRP_ATTEMPTS - 1:
                raise
            continue
        break
    assert isinstance(pairing, IpPairing)
    return pairing


async def find(
    name: str,
    interfaces: Sequence[str] | None,
    within: float = FIND_TIMEOUT,
    *,
    only_hosts: Collection[str] | None = None,
) -> Discovered:
    """Find the accessory called `name` by mDNS on these interfaces (and at one of
    `only_hosts`, where another house of the same names shares the network)."""
    found: asyncio.Future[Discovered] = asyncio.get_running_loop().create_future()
    seen: list[str] = []

    async def handler(answer: Discovered) -> None:
        seen.append(instance_name(answer))
        wanted = only_hosts is None or answer.host in only_hosts
        if matches(answer, name) and wanted and not found.done():
            found.set_result(answer)

    discovery = Discovery({MANIFEST.name: MANIFEST}, handler, interfaces=interfaces)
    await discovery.start()
    try:
        return await asyncio.wait_for(found, within)
    except TimeoutError:
        known = ", ".join(sorted(seen)) or "none"
        raise PairingError(
            f"No HomeKit accessory called {name!r} answered (found: {known})."
        ) from None
    finally:
        await discovery.stop()


async def pair(
    name: str,
    code: str,
    *,
    state_dir: Path,
    interfaces: Sequence[str] | None = None,
    only_hosts: Collection[str] | None = None,
) -> str:
    """Find the accessory called `name` and pair with it; returns its device id."""
    found = await find(name, interfaces, only_hosts=only_hosts)
    return await pair_found(found, code, PairingStore(pairings_path(state_dir)))


async def unpair(name: str, *, state_dir: Path, interfaces: Sequence[str] | None = None) -> str:
    """Remove Dobby's pairing from the accessory called `name`, and forget it.

    The accessory is told where it answers; the pairing is forgotten here either way.
    Returns the device id.
    """
    store = PairingStore(pairings_path(state_dir))
    device_id, data = _stored(store, name)
    controller = IpController(CharacteristicCacheMemory(), None)  # type: ignore[arg-type]
    pairing = controller.load_pairing(device_id, dict(data))
    if pairing is None:  # pragma: no cover - only IP pairings are ever stored
        raise PairingError(f"The pairing with {name!r} is not a HomeKit IP pairing.")
    try:
        async with asyncio.timeout(FIND_TIMEOUT):
            await pairing.remove_pairing(data["iOSPairingId"])
    except (HomeKitException, OSError, TimeoutError):
        pass  # reset or gone: forgetting it here is all that is left to do
    finally:
        await pairing.close()
        store.remove(device_id)
    return device_id


def _stored(store: PairingStore, name: str) -> tuple[str, dict[str, Any]]:
    pairings = store.load()
    for device_id, data in pairings.items():
        if name.casefold() in (device_id, str(data.get("Name", "")).casefold()):
            return device_id, data
    known = ", ".join(sorted(str(d.get("Name", i)) for i, d in pairings.items())) or "none"
    raise PairingError(f"Dobby is not paired with {name!r} (paired: {known}).")


async def pair_hook(request: PairRequest) -> str:
    """`dobby pair homekit NAME --code CODE`, through the manifest's pairing entry."""
    if not request.target or not request.code:
        raise PairingError("Say which accessory and its setup code: NAME --code 123-45-678.")
    await pair(
        request.target, request.code, state_dir=request.state_dir, interfaces=request.interfaces
    )
    return f"Paired with {request.target}."


async def unpair_hook(request: PairRequest) -> str:
    """`dobby unpair homekit NAME`, through the manifest's pairing entry."""
    if not request.target:
        raise PairingError("Say which accessory to forget.")
    await unpair(request.target, state_dir=request.state_dir, interfaces=request.interfaces)
    return f"Forgot {request.target}."
