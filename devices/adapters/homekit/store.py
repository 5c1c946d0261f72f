"""The pairings file and the setup codes offered to the adapter, without aiohomekit.

The adapter opens this store when it is made, and reads what discovery heard of an
accessory here (its name, whether it is paired with anyone); aiohomekit itself is only
loaded when an accessory Dobby is paired with opens, or one is paired (session.py).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devices import plugin

HAP_TYPE = "_hap._tcp.local."
"""The mDNS service type of HomeKit accessories on IP (aiohomekit's HAP_TYPE_TCP)."""
PAIRINGS_FILE = "homekit-pairings.json"
UNPAIRED = 0x01
"""The status flag (`sf`) an accessory with no controller announces (aiohomekit's
StatusFlags.UNPAIRED)."""

_offered_codes: dict[str, str] = {}


class PairingError(plugin.PairingError):
    """Pairing or unpairing a HomeKit accessory failed; the message says why, for a person."""


def instance_name(found: plugin.Discovered) -> str:
    """The accessory's mDNS instance name, without the service type."""
    return found.name.removesuffix(f".{found.type}").removesuffix(f".{HAP_TYPE}")


def is_unpaired(found: plugin.Discovered) -> bool:
    """Whether the accessory says it has no controller (status flag 1)."""
    return bool(int(found.properties.get("sf", "0") or 0) & UNPAIRED)


def offer_setup_code(device_id: str, code: str) -> None:
    """Let the adapter pair this accessory by itself when it finds it unpaired (the demo)."""
    _offered_codes[device_id.lower()] = code


def offered_setup_code(device_id: str) -> str | None:
    """The setup code offered for an accessory, if any."""
    return _offered_codes.get(device_id.lower())


def pairings_path(state_dir: Path) -> Path:
    """Where the pairings of a state dir are kept."""
    return state_dir / PAIRINGS_FILE


@dataclass
class PairingStore:
    """The pairings file: pairing data by lower-case HomeKit device id."""

    path: Path | None
    """None keeps the pairings in memory only."""

    def __post_init__(self) -> None:
        self._memory: dict[str, dict[str, Any]] = {}

    def load(self) -> dict[str, dict[str, Any]]:
        """Every stored pairing."""
        if self.path is None:
            return dict(self._memory)
        try:
            data: dict[str, dict[str, Any]] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return data

    def get(self, device_id: str) -> dict[str, Any] | None:
        """The pairing with one accessory, if there is one."""
        return self.load().get(device_id.lower())

    def put(self, device_id: str, data: dict[str, Any]) -> None:
        """Store (or replace) the pairing with one accessory."""
        pairings = self.load()
        pairings[device_id.lower()] = data
        self._save(pairings)

    def remove(self, device_id: str) -> None:
        """Forget the pairing with one accessory."""
        pairings = self.load()
        pairings.pop(device_id.lower(), None)
        self._save(pairings)

    def _save(self, pairings: dict[str, dict[str, Any]]) -> None:
        if self.path is None:
            self._memory = pairings
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(pairings, out, indent=2)
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)
