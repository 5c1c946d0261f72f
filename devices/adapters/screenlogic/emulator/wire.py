"""The bytes a ScreenLogic gateway sends: message framing and the payloads of its answers.

Every message is a little-endian header (message id: u16, message code: u16, payload
length: u32) followed by the payload. An answer carries the request's id and its code
plus one. Strings are a u32 length and UTF-8 bytes padded to a multiple of four. The
IntelliChem payload is the odd one out: most of its numbers are big-endian.
"""

from __future__ import annotations

import struct
from datetime import datetime

from devices.adapters.screenlogic.emulator.equipment import MODELS, Equipment

CONNECT_STRING = b"CONNECTSERVERHOST\r\n\r\n"
"""What a client writes first, before any framed message."""
HEADER = struct.Struct("<HHI")

# Message codes (an answer is the query's code plus one).
LOGIN_REJECTED = 13
CHALLENGE = 14
PING = 16
LOCAL_LOGIN = 27
INVALID_REQUEST = 30
BAD_PARAMETER = 31
GET_DATETIME = 8110
VERSION = 8120
STATUS_CHANGED = 12500
COLOR_UPDATE = 12504
CHEMISTRY_CHANGED = 12505
ADD_CLIENT = 12522
REMOVE_CLIENT = 12524
POOL_STATUS = 12526
SET_HEAT_TEMP = 12528
BUTTON_PRESS = 12530
CONTROLLER_CONFIG = 12532
SET_HEAT_MODE = 12538
LIGHT_COMMAND = 12556
SCG_CONFIG = 12572
SET_SCG = 12576
PUMP_STATUS = 12584
SET_PUMP_FLOW = 12586
CHEMISTRY = 12592
SET_CHEMISTRY = 12594

DISCOVERY_PORT = 1444
DISCOVERY_QUERY = struct.pack("<8b", 1, 0, 0, 0, 0, 0, 0, 0)
DISCOVERY_CHECKSUM = 2


def frame(message_id: int, code: int, payload: bytes = b"") -> bytes:
    """One framed message."""
    return HEADER.pack(message_id, code, len(payload)) + payload


def string(text: str) -> bytes:
    """A length-prefixed UTF-8 string, padded to a multiple of four bytes."""
    data = text.encode()
    padding = -len(data) % 4
    return struct.pack("<I", len(data)) + data + b"\0" * padding


def read_string(buffer: bytes, offset: int) -> tuple[str, int]:
    """A string at `offset` and the offset after it (for parsing the login)."""
    (length,) = struct.unpack_from("<I", buffer, offset)
    encoding = "utf-16" if length & 0x80000000 else "utf-8"
    length &= 0x7FFFFFFF
    start = offset + 4
    padded = length + (-length % 4)
    return buffer[start : start + length].decode(encoding), start + padded


def discovery_answer(host: str, port: int, name: str) -> bytes:
    """The datagram a gateway answers a discovery query with."""
    octets = [int(part) for part in host.split(".")]
    gateway_type, subtype = 2, 12
    head = struct.pack("<I4BH2B", DISCOVERY_CHECKSUM, *octets, port, gateway_type, subtype)
    return head + name.encode() + b"\0"


def controller_config(equipment: Equipment, controller_id: int = 100) -> bytes:
    """The controller configuration: setpoint ranges, unit, model, circuits, colours."""
    controller_type, hardware_type = MODELS[equipment.model]
    parts = [struct.pack("<I", controller_id)]
    for kind in (0, 1):
        body = next((b for b in equipment.bodies if b.kind == kind), None)
        low, high = (body.min_setpoint, body.max_setpoint) if body else (40, 104)
        parts.append(struct.pack("<BB", low, high))
    parts.append(struct.pack("<BBBB", int(equipment.celsius), controller_type, hardware_type, 0))
    parts.append(struct.pack("<I", equipment.flags))
    parts.append(string("Unused"))
    parts.append(struct.pack("<I", len(equipment.circuits)))
    for index, circuit in enumerate(equipment.circuits):
        parts.append(struct.pack("<i", circuit.id))
        parts.append(string(circuit.name))
        parts.append(
            struct.pack(
                "<BBBBBBBBHBB",
                index + 1,  # name index
                circuit.function,
                circuit.interface,
                0,  # flags
                0,  # colour set
                0,  # colour position
                0,  # colour stagger
                circuit.device_id,
                720,  # default runtime, minutes
                0,
                0,
            )
        )
    colors = [("White", (255, 255, 255)), ("Light Green", (160, 255, 160)), ("Blue", (0, 0, 255))]
    parts.append(struct.pack("<I", len(colors)))
    for name, (red, green, blue) in colors:
        parts.append(string(name) + struct.pack("<III", red, green, blue))
    parts.append(bytes(1 if n < equipment.pumps else 0 for n in range(8)))
    parts.append(struct.pack("<II", 0, 0))  # interface tab flags, show alarms
    return b"".join(parts)


def pool_status(equipment: Equipment) -> bytes:
    """The pool status: air and water temperatures, heat, every circuit, chemistry."""
    chem = equipment.chemistry
    parts = [struct.pack("<IBBBBBBBB", 1, 0, 0, 0, 0, 0, 0, 0, 0)]
    parts.append(struct.pack("<i", round(equipment.air_temperature)))
    parts.append(struct.pack("<I", len(equipment.bodies)))
    parts.extend(
        struct.pack(
            "<Iiiiii",
            body.kind,
            round(body.temperature),
            equipment.heat_state(body),
            body.setpoint,
            body.cool_setpoint,
            body.heat_mode,
        )
        for body in equipment.bodies
    )
    parts.append(struct.pack("<I", len(equipment.circuits)))
    parts.extend(
        struct.pack("<IIBBBB", circuit.id, int(circuit.on), 0, 0, 0, 0)
        for circuit in equipment.circuits
    )
    ph = round(chem.ph * 100) if equipment.intellichem else 0
    orp = chem.orp if equipment.intellichem else 0
    salt = chem.salt // 50 if equipment.chlorinator else 0
    saturation = round(chem.saturation * 100) if equipment.intellichem else 0
    parts.append(struct.pack("<iiiiiii", ph, orp, saturation, salt, 2, 2, 0))
    return b"".join(parts)


def pump_status(equipment: Equipment, index: int) -> bytes:
    """One IntelliFlo pump: it runs at the fastest preset whose circuit is on; its power
    follows the speed (850 W at 2500 RPM, by the cube of the speed, as pumps do)."""
    now = equipment.pump_speed(index)
    rpm, gpm = 0, 0
    if now is not None:
        speed, is_rpm = now
        rpm, gpm = (speed, 255) if is_rpm else (speed * 30, speed)
    watts = round(850 * (rpm / 2500) ** 3)
    presets = equipment.presets.get(index, [])
    table = b"".join(
        struct.pack("<III", p.circuit_id - 499, p.speed, int(p.rpm)) for p in presets[:8]
    ) + struct.pack("<III", 0, 0, 0) * (8 - len(presets[:8]))
    pump_type = 2 if index < equipment.pumps else 0
    running = int(now is not None)
    return struct.pack("<IIIIIII", pump_type, running, watts, rpm, 0, gpm, 0) + table


def chemistry(equipment: Equipment) -> bytes:
    """The IntelliChem reading (mostly big-endian, as the controller sends it)."""
    chem = equipment.chemistry
    saturation = round(chem.saturation * 100) & 0xFF
    return b"".join(
        [
            struct.pack("<I", 42),
            struct.pack("<B", 0),
            struct.pack(
                ">HHHH",
                round(chem.ph * 100),
                chem.orp,
                round(chem.ph_setpoint * 100),
                chem.orp_setpoint,
            ),
            struct.pack(">IIHH", 0, 0, 0, 0),
            struct.pack("<BBB", 4, 4, saturation),
            struct.pack(">HHH", chem.calcium, chem.cyanuric_acid, chem.alkalinity),
            struct.pack(
                "<BBB",
                chem.salt // 50,
                int(equipment.celsius),
                round(equipment.bodies[0].temperature),
            ),
            struct.pack(
                "<BBBBBBB", chem.alarms if equipment.intellichem else 0, 0, 0xA0, 0, 5, 1, 0
            ),
            struct.pack("<BBB", 0, 0, 0),
        ]
    )


def scg_config(equipment: Equipment) -> bytes:
    """The salt chlorine generator: present, active, outputs, salt, super-chlorination."""
    chem = equipment.chemistry
    if not equipment.chlorinator:
        return struct.pack("<7I", 0, 0, 0, 0, 0, 0, 0)
    return struct.pack(
        "<7I", 1, 0x41, chem.chlorinator_pool, chem.chlorinator_spa, chem.salt // 50, 0, 0
    )


def date_time(now: datetime) -> bytes:
    """The controller's clock, and automatic daylight saving on."""
    weekday = (now.weekday() + 1) % 7
    return struct.pack(
        "<8HI", now.year, now.month, weekday, now.day, now.hour, now.minute, now.second, 0, 1
    )


def color_update(mode: int, text: str = "") -> bytes:
    """A colour-lights progress message, pushed after a light command."""
    return struct.pack("<III", mode, 0, 0) + string(text)
