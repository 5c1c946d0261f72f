"""The emulator's LIFX Switch relays: lifx-emulator makes a Switch (`create_switch`) but
has no Relay messages, so this module adds them as its own packets do.

The LAN protocol's Relay messages (as aiolifx sends and reads them): GetRPower (816,
`relay_index`), SetRPower (817, `relay_index`, `level`: 0 off, 65535 on) and StateRPower
(818, the same two fields), the answer to both. A LIFX Switch has four relays (the
two-gang one answers for the first two only; aiolifx asks for four).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from lifx_emulator.devices import EmulatedLifxDevice  # type: ignore[import-untyped]
from lifx_emulator.handlers.base import PacketHandler  # type: ignore[import-untyped]
from lifx_emulator.protocol import packets  # type: ignore[import-untyped]
from lifx_emulator.protocol.base import Packet  # type: ignore[import-untyped]

ON = 65535
RELAYS = 4


@dataclass
class GetRPower(Packet):  # type: ignore[misc]
    """Packet type 816: the power of one relay."""

    PKT_TYPE: ClassVar[int] = 816
    _fields: ClassVar[list[dict[str, Any]]] = [
        {"name": "RelayIndex", "type": "uint8", "size_bytes": 1}
    ]
    _packet_kind: ClassVar[str] = "GET"
    _requires_ack: ClassVar[bool] = False
    _requires_response: ClassVar[bool] = False

    relay_index: int


@dataclass
class SetRPower(Packet):  # type: ignore[misc]
    """Packet type 817: switch one relay."""

    PKT_TYPE: ClassVar[int] = 817
    _fields: ClassVar[list[dict[str, Any]]] = [
        {"name": "RelayIndex", "type": "uint8", "size_bytes": 1},
        {"name": "Level", "type": "uint16", "size_bytes": 2},
    ]
    _packet_kind: ClassVar[str] = "SET"
    _requires_ack: ClassVar[bool] = True
    _requires_response: ClassVar[bool] = False

    relay_index: int
    level: int


@dataclass
class StateRPower(Packet):  # type: ignore[misc]
    """Packet type 818: one relay's power."""

    PKT_TYPE: ClassVar[int] = 818
    _fields: ClassVar[list[dict[str, Any]]] = [
        {"name": "RelayIndex", "type": "uint8", "size_bytes": 1},
        {"name": "Level", "type": "uint16", "size_bytes": 2},
    ]
    _packet_kind: ClassVar[str] = "STATE"
    _requires_ack: ClassVar[bool] = False
    _requires_response: ClassVar[bool] = False

    relay_index: int
    level: int


for _packet in (GetRPower, SetRPower, StateRPower):
    packets.PACKET_REGISTRY.setdefault(_packet.PKT_TYPE, _packet)


class _RelayHandler(PacketHandler):  # type: ignore[misc]
    """Answers one Relay message for one switch, whose relays it keeps."""

    def __init__(self, relays: list[bool]) -> None:
        self.relays = relays

    def _state(self, index: int) -> list[Any]:
        if not 0 <= index < len(self.relays):
            return []  # no such relay: a real switch stays silent
        return [StateRPower(relay_index=index, level=ON if self.relays[index] else 0)]


class _GetHandler(_RelayHandler):
    PKT_TYPE = GetRPower.PKT_TYPE

    def handle(self, device_state: Any, packet: Any | None, res_required: bool) -> list[Any]:
        del device_state, res_required
        return [] if packet is None else self._state(packet.relay_index)


class _SetHandler(_RelayHandler):
    PKT_TYPE = SetRPower.PKT_TYPE

    def handle(self, device_state: Any, packet: Any | None, res_required: bool) -> list[Any]:
        del device_state, res_required
        if packet is None or not 0 <= packet.relay_index < len(self.relays):
            return []
        self.relays[packet.relay_index] = packet.level > 0
        return self._state(packet.relay_index)


def add_relays(device: EmulatedLifxDevice, relays: list[bool]) -> None:
    """Give an emulated Switch relays whose power is `relays` (kept in that list)."""
    device.handlers.register(_GetHandler(relays))
    device.handlers.register(_SetHandler(relays))
