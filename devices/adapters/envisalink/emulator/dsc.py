"""The DSC dialect of the Envisalink TPI: `code + data + checksum`, one line each way."""

from __future__ import annotations

import re

from devices.adapters.envisalink.emulator.panel import Mode, Panel, PanelEvent
from devices.adapters.envisalink.emulator.wire import ARM_USER, Answer, Dialect

ARM_COMMANDS: dict[str, Mode] = {"030": "away", "031": "stay", "032": "max"}
ARMED_DIGIT: dict[Mode, str] = {"away": "0", "stay": "1", "max": "2", "night": "3"}
SYNTAX_ERROR = "020"
NOT_READY = "024"
_FRAME = re.compile(r"(\d{3})(.*)([0-9A-F]{2})")
_BYPASS_KEYS = re.compile(r"\*1(\d\d)?#")
"""Keypresses *1zz# toggle zone zz's bypass; *1# alone asks for the bypass list (616)."""


def checksum(text: str) -> str:
    """The two hex digits a DSC frame ends with: the sum of its characters, low byte."""
    return f"{sum(map(ord, text)) & 0xFF:02X}"


def frame(code: str, data: str = "") -> str:
    """One DSC TPI line (without CRLF)."""
    return code + data + checksum(code + data)


class DscDialect(Dialect):
    """A DSC PowerSeries panel behind an Envisalink: acks, 6xx events, code requests."""

    name = "dsc"

    def __init__(self, panel: Panel, version: int, *, code_to_arm: bool = True) -> None:
        super().__init__(panel, version)
        self.code_to_arm = code_to_arm
        """Ask for the user code (900) before arming, as panels without quick arm do."""
        self._arming: tuple[int, Mode] | None = None

    @staticmethod
    def parse(line: str) -> tuple[str, str] | None:
        """(code, data) of a well-formed frame with a right checksum, else None."""
        match = _FRAME.fullmatch(line)
        if match is None or checksum(match[1] + match[2]) != match[3]:
            return None
        return match[1], match[2]

    def login_prompt(self) -> list[str]:
        """505 with "3": the module asks for its password."""
        return [frame("505", "3")]

    def password_of(self, line: str) -> str | None:
        """The data of a 005 (Network Login) frame."""
        parsed = self.parse(line)
        return parsed[1] if parsed and parsed[0] == "005" else None

    def login_result(self, *, ok: bool) -> list[str]:
        """505 with "1" (accepted) or "0" (refused)."""
        return [frame("505", "1" if ok else "0")]

    def snapshot(self) -> list[str]:
        """609/610 for every zone, then each partition's state."""
        lines = [self._zone(number) for number in sorted(self.panel.zones)]
        for number in sorted(self.panel.partitions):
            lines += self._partition(number)
        return lines

    def bypass_bits(self) -> str:
        """Zones 1-64 as 8 bytes in hex, zone 1 the lowest bit of the first byte."""
        bits = 0
        for zone in self.panel.zones.values():
            if zone.bypassed and zone.number <= 64:
                bits |= 1 << (zone.number - 1)
        return "".join(f"{(bits >> (8 * byte)) & 0xFF:02X}" for byte in range(8))

    def _zone(self, number: int) -> str:
        return frame("609" if self.panel.zones[number].open else "610", f"{number:03d}")

    def _ready(self, partition: int) -> str:
        return frame("650" if self.panel.ready(partition) else "651", str(partition))

    def _partition(self, number: int) -> list[str]:
        part = self.panel.partitions[number]
        lines = [self._ready(number)]
        if part.mode == "disarmed":
            lines.append(frame("655", str(number)))
        elif part.exit_delay:
            lines.append(frame("656", str(number)))
        else:
            lines.append(frame("652", f"{number}{ARMED_DIGIT[part.mode]}"))
        if part.entry_delay:
            lines.append(frame("657", str(number)))
        if part.alarm:
            lines.append(frame("654", str(number)))
        return lines

    def handle(self, line: str) -> Answer:  # noqa: PLR0911 - one answer per TPI command
        """Acknowledge (500) and act, or answer 501 (bad frame) or 502 (system error)."""
        parsed = self.parse(line)
        if parsed is None:
            return Answer([frame("501")])
        code, data = parsed
        ack = frame("500", code)
        if code in ("000", "010", "020"):
            return Answer([ack])
        if code == "001":
            return Answer([ack, *self.snapshot()])
        if code == "008":
            return Answer([ack, frame("615", self.zone_timers())])
        if code in ARM_COMMANDS and data[:1].isdigit():
            return self._arm(int(data[0]), ARM_COMMANDS[code], ack)
        if code == "040" and len(data) > 1 and data[0].isdigit():
            partition, user_code = int(data[0]), data[1:]
            return Answer([ack], lambda: self.panel.disarm(partition, user_code))
        if code == "200":
            return self._code(data, ack)
        if code == "060":
            return Answer([ack], lambda: self.panel.trip(1))
        bypass = _BYPASS_KEYS.fullmatch(data[1:]) if code == "071" else None
        if bypass is not None and data[:1].isdigit():
            if bypass[1] is None:
                return Answer([ack, frame("616", self.bypass_bits())])
            zone = int(bypass[1])
            return Answer([ack], lambda: self.panel.toggle_bypass(zone))
        if code == "071" and data[:1].isdigit():
            partition = int(data[0])
            woken = self._partition(partition) if "#" in data[1:] else []
            return Answer([ack, *woken])
        return Answer([frame("502", SYNTAX_ERROR)])

    def _arm(self, partition: int, mode: Mode, ack: str) -> Answer:
        if partition not in self.panel.partitions:
            return Answer([frame("502", "021")])
        if not self.panel.ready(partition):
            return Answer([ack, frame("502", NOT_READY)])
        if self.code_to_arm:
            self._arming = (partition, mode)
            return Answer([ack, frame("900", f"{partition}4")])
        return Answer([ack], self.arm_mode(mode, partition, ARM_USER))

    def _code(self, code: str, ack: str) -> Answer:
        if self._arming is None:
            return Answer([ack])
        (partition, mode), self._arming = self._arming, None
        user = self.panel.user_of(code)
        if user is None:
            return Answer([ack, frame("670", str(partition))])
        return Answer([ack], self.arm_mode(mode, partition, user))

    def announce(self, event: PanelEvent) -> list[str]:  # noqa: PLR0911 - one per event
        """The 6xx/7xx events of a change."""
        number = event.number
        if event.kind == "zone":
            partition = self.panel.zones[number].partition
            return [self._zone(number), self._ready(partition)]
        if event.kind == "bypass":  # 616 Bypassed Zones Bitfield Dump
            return [frame("616", self.bypass_bits())]
        if event.kind == "trouble":  # 802/803 AC trouble, 840/841 the trouble LED
            if self.panel.ac_power:
                return [frame("803"), frame("841", str(number))]
            return [frame("802"), frame("840", str(number))]
        if event.kind == "zone_alarm":  # 601 Zone Alarm: partition, zone
            return [frame("601", f"{self.panel.zones[number].partition}{number:03d}")]
        part = self.panel.partitions[number]
        if event.kind == "arming":
            return [frame("656", str(number))]
        if event.kind == "armed":
            return [
                frame("652", f"{number}{ARMED_DIGIT[part.mode]}"),
                frame("700", f"{number}{part.last_user:04d}"),
            ]
        if event.kind == "disarmed":
            return [
                frame("655", str(number)),
                frame("750", f"{number}{part.last_user:04d}"),
                self._ready(number),
            ]
        if event.kind == "alarm":
            return [frame("654", str(number))]
        if event.kind == "entry_delay":
            return [frame("657", str(number))]
        return [frame("670", str(number))]  # bad_code: Invalid Access Code

    def error(self, line: str) -> list[str]:
        """502 System Error 020: API command syntax error."""
        del line
        return [frame("502", SYNTAX_ERROR)]
