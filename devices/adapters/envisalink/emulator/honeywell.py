"""The Honeywell (Ademco Vista) dialect of the Envisalink TPI: `^cmd,data$` and `%cmd,data$`.

Commands are keypresses: a user code then a function key (1 off, 2 away, 3 stay, 4 max,
7 instant, which Dobby calls night). The module answers each with `^03,00$` and tells
what the panel shows: `%00` virtual keypad, `%01` zone bitfield, `%02` partition states.
"""

from __future__ import annotations

import re

from devices.adapters.envisalink.emulator.panel import Mode, Panel, PanelEvent
from devices.adapters.envisalink.emulator.wire import Answer, Dialect

FUNCTION_KEYS: dict[str, Mode] = {
    "1": "disarmed",
    "2": "away",
    "3": "stay",
    "4": "max",
    "7": "night",
}
PANIC_KEYS = "ABC"
CODE_LENGTH = 4
BUFFER_OVERRUN = "01"
UNKNOWN_COMMAND = "02"
_COMMAND = re.compile(r"\^([0-9A-F]{2}),(.*)\$")

# Bits of the virtual keypad's icon field (the order pyenvisalink and the TPI spec use).
ALARM, ARMED_AWAY, AC_PRESENT, ZERO_ENTRY, TROUBLE, READY, ARMED_STAY = 0, 2, 3, 7, 9, 12, 15
WRONG_CODE_BEEP = "03"
"""The keypad's beep field after a code the panel does not know (three beeps)."""


class HoneywellDialect(Dialect):
    """A Vista 20P-like panel behind an Envisalink: keypresses in, keypad updates out."""

    name = "honeywell"

    def __init__(self, panel: Panel, version: int) -> None:
        super().__init__(panel, version)
        self._keys: dict[int, str] = {}

    def login_prompt(self) -> list[str]:
        """The module asks for its password in plain words."""
        return ["Login:"]

    def password_of(self, line: str) -> str | None:
        """Before login, a line is the password."""
        return line

    def login_result(self, *, ok: bool) -> list[str]:
        """OK, or FAILED (and the module hangs up)."""
        return ["OK" if ok else "FAILED"]

    def snapshot(self) -> list[str]:
        """Partition states, zone states, and each partition's keypad."""
        lines = [self._partitions(), self._zones()]
        return lines + [self._keypad(number) for number in sorted(self.panel.partitions)]

    # -- what the module sends -----------------------------------------------------------

    def _partitions(self) -> str:
        codes = []
        for number in range(1, 9):
            part = self.panel.partitions.get(number)
            if part is None:
                codes.append("00")
            elif part.alarm:
                codes.append("08")
            elif part.exit_delay or part.entry_delay:
                codes.append("07")
            elif part.mode == "disarmed":
                codes.append("01" if self.panel.ready(number) else "03")
            else:
                codes.append({"away": "05", "max": "06"}.get(part.mode, "04"))
        return f"%02,{''.join(codes)}$"

    def _zones(self) -> str:
        words = [0] * (8 if self.version >= 4 else 4)
        for zone in self.panel.zones.values():
            index, bit = divmod(zone.number - 1, 16)
            if zone.open and index < len(words):
                words[index] |= 1 << bit
        return "%01," + "".join(f"{w & 0xFF:02X}{w >> 8:02X}" for w in words) + "$"

    def _keypad(self, number: int, beep: str = "00") -> str:
        part = self.panel.partitions[number]
        ready = self.panel.ready(number)
        bits = {
            ALARM: part.alarm,
            ARMED_AWAY: part.mode in ("away", "max"),
            AC_PRESENT: self.panel.ac_power,
            TROUBLE: not self.panel.ac_power,
            ZERO_ENTRY: part.mode in ("night", "max"),
            READY: ready,
            ARMED_STAY: part.mode in ("stay", "night"),
        }
        flags = sum(1 << bit for bit, on in bits.items() if on)
        opened = self.panel.open_zones(number)
        numeric = part.alarm_zone if part.alarm else (opened[0].number if opened else 0)
        return f"%00,{number:02d},{flags:04X},{numeric:02d},{beep},{self._alpha(number)}$"

    def _alpha(self, number: int) -> str:
        part = self.panel.partitions[number]
        opened = self.panel.open_zones(number)
        if part.alarm:
            zone = self.panel.zones.get(part.alarm_zone)
            text = "ALARM " + (f"{zone.number:02d} {zone.name}" if zone else "")
        elif part.mode == "disarmed":
            first = f"FAULT {opened[0].number:02d} {opened[0].name}" if opened else ""
            text = first or "****DISARMED****  Ready to Arm"
        else:
            text = f"ARMED ***{part.mode.upper()}***"
            if part.exit_delay:
                text += " You may exit now"
        return text.replace(",", " ").upper()[:32].ljust(32)

    # -- what the client sends ----------------------------------------------------------

    def handle(self, line: str) -> Answer:
        """Poll, change partition, zone timer dump, or a keypress to a partition."""
        match = _COMMAND.fullmatch(line)
        if match is None:
            return Answer([f"^0C,{UNKNOWN_COMMAND}$"])
        command, data = match[1], match[2]
        if command in ("00", "01"):
            return Answer([f"^{command},00$"])
        if command == "02":
            return Answer(["^02,00$", f"%FF,{self.zone_timers()}$"])
        if command == "03":
            partition, _, key = data.partition(",")
            if partition.isdigit() and int(partition) in self.panel.partitions and len(key) == 1:
                return Answer(["^03,00$"], lambda: self._press(int(partition), key))
        return Answer([f"^{command},{UNKNOWN_COMMAND}$"])

    def _press(self, partition: int, key: str) -> None:
        if key in PANIC_KEYS:
            self._keys.pop(partition, None)
            self.panel.trip(partition)
            return
        if not key.isdigit():
            self._keys.pop(partition, None)
            return
        typed = self._keys.get(partition, "") + key
        if len(typed) <= CODE_LENGTH:
            self._keys[partition] = typed
            return
        del self._keys[partition]
        code, mode = typed[:CODE_LENGTH], FUNCTION_KEYS.get(typed[CODE_LENGTH])
        if mode == "disarmed":
            self.panel.disarm(partition, code)
            return
        user = self.panel.user_of(code)
        if mode is None:
            return
        if user is None:
            self.panel.bad_code(partition)
            return
        self.panel.arm(partition, mode, user)

    def announce(self, event: PanelEvent) -> list[str]:
        """Zone changes as a %01 bitfield, partition changes as %02; the keypad after."""
        if event.kind == "zone_alarm":
            return []  # the partition's keypad update that follows names the zone
        if event.kind == "zone":
            partition = self.panel.zones[event.number].partition
            return [self._zones(), self._partitions(), self._keypad(partition)]
        if event.kind == "bad_code":
            return [self._keypad(event.number, beep=WRONG_CODE_BEEP)]
        if event.kind == "bypass":
            return [self._keypad(event.number)]
        if event.kind == "trouble":
            return [self._keypad(event.number)]
        return [self._partitions(), self._keypad(event.number)]

    def error(self, line: str) -> list[str]:
        """The command's response code 01: receive buffer overrun."""
        match = _COMMAND.fullmatch(line)
        return [f"^{match[1] if match else '0C'},{BUFFER_OVERRUN}$"]
