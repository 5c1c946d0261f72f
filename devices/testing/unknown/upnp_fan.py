"""A ceiling fan with a UPnP service of its own: description, SCPD, SOAP, SSDP.

Written from the UPnP Device Architecture: SSDP answers M-SEARCH (for `ssdp:all`,
`upnp:rootdevice`, its UDN, its device type and its service type) with a LOCATION; the
device description there lists its service with an SCPD URL (the actions and their
arguments) and a control URL, where SOAP actions are POSTed with a SOAPACTION header.
Errors are SOAP faults with a UPnPError (401 invalid action, 402 invalid arguments).

The service is the vendor's own, `urn:schemas-breezeline-com:service:FanControl:1`:
GetPower/SetPower (boolean `NewPower`) and GetSpeed/SetSpeed (`NewSpeed`, 0-100).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import xml.etree.ElementTree as ET
from collections.abc import Callable
from xml.sax.saxutils import escape

from aiohttp import web

from devices.testing.addresses import is_loopback
from devices.testing.unknown.base import BODY, HttpDevice

VENDOR = "schemas-breezeline-com"
DEVICE_TYPE = f"urn:{VENDOR}:device:CeilingFan:1"
SERVICE_TYPE = f"urn:{VENDOR}:service:FanControl:1"
SERVICE_ID = "urn:breezeline-com:serviceId:FanControl1"
MANUFACTURER = "Breezeline"
MODEL = "Aero 52 Wi-Fi"
SERVER = "Linux/4.14 UPnP/1.0 Breezeline-Aero/2.1.7"
DESCRIPTION_PATH = "/description.xml"
SCPD_PATH = "/FanControl1.xml"
CONTROL_PATH = "/upnp/control/FanControl1"
EVENT_PATH = "/upnp/event/FanControl1"
SOAP_ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
SSDP_GROUP = "239.255.255.250"
SSDP_PORT = 1900
_IP_MULTICAST_ALL = 49  # Linux: deliver only the groups this socket joined

_ACTIONS: dict[str, tuple[str, str, str]] = {
    # action: (direction, argument, state variable)
    "GetPower": ("out", "NewPower", "Power"),
    "SetPower": ("in", "NewPower", "Power"),
    "GetSpeed": ("out", "NewSpeed", "Speed"),
    "SetSpeed": ("in", "NewSpeed", "Speed"),
}


class SoapFaultError(Exception):
    """A UPnPError: its code and description."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


class UpnpFan(HttpDevice):
    """One fan. `faults.stuck` acknowledges Set actions and changes nothing."""

    garbage = b"<root><device><deviceType>"

    def __init__(
        self, host: str, name: str, udn: str, *, on: bool = False, speed: int = 40
    ) -> None:
        super().__init__(host, port=49152)
        self.name, self.udn = name, udn
        self.power, self.speed = on, speed
        self.ssdp = SsdpResponder(self)

    @property
    def location(self) -> str:
        """Where its description is."""
        return f"{self.base_url}{DESCRIPTION_PATH}"

    def routes(self, app: web.Application) -> None:
        app.router.add_get(DESCRIPTION_PATH, self._description)
        app.router.add_get(SCPD_PATH, self._scpd)
        app.router.add_post(CONTROL_PATH, self._control)

    def _xml(self, text: str) -> web.Response:
        response = web.Response(text=text, content_type="text/xml", charset="utf-8")
        response.headers["Server"] = SERVER
        return response

    async def _description(self, request: web.Request) -> web.Response:
        del request
        return self._xml(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<root xmlns="urn:schemas-upnp-org:device-1-0">'
            "<specVersion><major>1</major><minor>0</minor></specVersion>"
            "<device>"
            f"<deviceType>{DEVICE_TYPE}</deviceType>"
            f"<friendlyName>{escape(self.name)}</friendlyName>"
            f"<manufacturer>{MANUFACTURER}</manufacturer>"
            "<manufacturerURL>http://www.breezeline.example/</manufacturerURL>"
            f"<modelName>{MODEL}</modelName>"
            "<modelNumber>AF52</modelNumber>"
            f"<serialNumber>{self.udn[-12:]}</serialNumber>"
            f"<UDN>{self.udn}</UDN>"
            "<serviceList><service>"
            f"<serviceType>{SERVICE_TYPE}</serviceType>"
            f"<serviceId>{SERVICE_ID}</serviceId>"
            f"<SCPDURL>{SCPD_PATH}</SCPDURL>"
            f"<controlURL>{CONTROL_PATH}</controlURL>"
            f"<eventSubURL>{EVENT_PATH}</eventSubURL>"
            "</service></serviceList>"
            "</device></root>"
        )

    async def _scpd(self, request: web.Request) -> web.Response:
        del request
        actions = "".join(
            f"<action><name>{name}</name><argumentList><argument>"
            f"<name>{argument}</name><direction>{direction}</direction>"
            f"<relatedStateVariable>{variable}</relatedStateVariable>"
            "</argument></argumentList></action>"
            for name, (direction, argument, variable) in _ACTIONS.items()
        )
        return self._xml(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<scpd xmlns="urn:schemas-upnp-org:service-1-0">'
            "<specVersion><major>1</major><minor>0</minor></specVersion>"
            f"<actionList>{actions}</actionList>"
            "<serviceStateTable>"
            '<stateVariable sendEvents="yes"><name>Power</name><dataType>boolean</dataType>'
            "<defaultValue>0</defaultValue></stateVariable>"
            '<stateVariable sendEvents="yes"><name>Speed</name><dataType>ui1</dataType>'
            "<defaultValue>0</defaultValue><allowedValueRange><minimum>0</minimum>"
            "<maximum>100</maximum><step>1</step></allowedValueRange></stateVariable>"
            "</serviceStateTable></scpd>"
        )

    def act(self, action: str, arguments: dict[str, str]) -> dict[str, str]:
        """Carry out one action; `SoapFaultError` as the device would answer it."""
        match action:
            case "GetPower":
                return {"NewPower": "1" if self.power else "0"}
            case "GetSpeed":
                return {"NewSpeed": str(self.speed)}
            case "SetPower":
                value = arguments.get("NewPower", "").strip().lower()
                if value not in ("0", "1", "true", "false", "yes", "no"):
                    raise SoapFaultError(402, "Invalid Args")
                if not self.faults.stuck:
                    self.power = value in ("1", "true", "yes")
                return {}
            case "SetSpeed":
                try:
                    speed = int(arguments.get("NewSpeed", ""))
                except ValueError:
                    raise SoapFaultError(402, "Invalid Args") from None
                if not 0 <= speed <= 100:
                    raise SoapFaultError(601, "Argument Value Out of Range")
                if not self.faults.stuck:
                    self.speed = speed
                return {}
        raise SoapFaultError(401, "Invalid Action")

    async def _control(self, request: web.Request) -> web.Response:
        header = request.headers.get("SOAPACTION", "").strip('"')
        service, _, action = header.rpartition("#")
        try:
            if service != SERVICE_TYPE:
                raise SoapFaultError(401, "Invalid Action")
            arguments = _soap_arguments(request[BODY], action)
            out = self.act(action, arguments)
        except SoapFaultError as fault:
            return self._fault(fault)
        values = "".join(f"<{key}>{escape(value)}</{key}>" for key, value in out.items())
        return self._xml(
            '<?xml version="1.0"?>\n'
            f'<s:Envelope xmlns:s="{SOAP_ENVELOPE}" '
            's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
            f'<u:{action}Response xmlns:u="{SERVICE_TYPE}">{values}</u:{action}Response>'
            "</s:Body></s:Envelope>"
        )

    def _fault(self, fault: SoapFaultError) -> web.Response:
        response = self._xml(
            '<?xml version="1.0"?>\n'
            f'<s:Envelope xmlns:s="{SOAP_ENVELOPE}" '
            's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><s:Fault>'
            "<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
            '<UPnPError xmlns="urn:schemas-upnp-org:control-1-0">'
            f"<errorCode>{fault.code}</errorCode>"
            f"<errorDescription>{escape(fault.description)}</errorDescription>"
            "</UPnPError></detail></s:Fault></s:Body></s:Envelope>"
        )
        response.set_status(500)
        return response

    async def start(self, interface: str) -> None:
        """Serve, then answer SSDP searches on `interface` and announce itself."""
        await self.server.start()
        await self.ssdp.start(interface)

    async def stop(self) -> None:
        """Say goodbye by SSDP and stop serving."""
        await self.ssdp.stop()
        await self.server.stop()


def _soap_arguments(body: bytes, action: str) -> dict[str, str]:
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise SoapFaultError(402, "Invalid Args")
    try:
        root = ET.fromstring(body)  # noqa: S314 - loopback clients only, no DTD
    except ET.ParseError:
        raise SoapFaultError(402, "Invalid Args") from None
    call = root.find(f"{{{SOAP_ENVELOPE}}}Body/{{{SERVICE_TYPE}}}{action}")
    if call is None:
        raise SoapFaultError(401, "Invalid Action")
    return {child.tag.rpartition("}")[2]: (child.text or "") for child in call}


class SsdpResponder:
    """Answers M-SEARCH for one UPnP device on a loopback interface, from its own address."""

    def __init__(self, fan: UpnpFan) -> None:
        self.fan = fan
        self._listener: asyncio.DatagramTransport | None = None
        self._sender: asyncio.DatagramTransport | None = None

    def targets(self) -> dict[str, str]:
        """Every search target it answers, with its USN."""
        udn = self.fan.udn
        return {
            "upnp:rootdevice": f"{udn}::upnp:rootdevice",
            udn: udn,
            DEVICE_TYPE: f"{udn}::{DEVICE_TYPE}",
            SERVICE_TYPE: f"{udn}::{SERVICE_TYPE}",
        }

    def answers(self, target: str) -> list[tuple[str, str]]:
        """(ST, USN) of the answers to one search target."""
        known = self.targets()
        if target == "ssdp:all":
            return list(known.items())
        return [(target, known[target])] if target in known else []

    def _message(self, first: str, kind: str, target: str, usn: str, extra: str = "") -> bytes:
        return (
            f"{first}\r\nCACHE-CONTROL: max-age=1800\r\n{extra}"
            f"LOCATION: {self.fan.location}\r\nSERVER: {SERVER}\r\n"
            f"{kind}: {target}\r\nUSN: {usn}\r\n\r\n"
        ).encode()

    async def start(self, interface: str) -> None:
        """Join the SSDP group on `interface` (loopback only) and announce the fan."""
        if not is_loopback(interface):
            raise ValueError(f"SSDP stays on loopback, not {interface}")
        loop = asyncio.get_running_loop()
        sender = _sender_socket(self.fan.host, interface)
        self._sender, _ = await loop.create_datagram_endpoint(_Datagrams, sock=sender)
        listener = _group_socket(interface)
        self._listener, _ = await loop.create_datagram_endpoint(
            lambda: _Datagrams(self._on_datagram), sock=listener
        )
        self._notify("ssdp:alive")

    def _notify(self, nts: str) -> None:
        if self._sender is None:
            return
        for target, usn in self.targets().items():
            packet = self._message(
                "NOTIFY * HTTP/1.1",
                "NT",
                target,
                usn,
                f"HOST: {SSDP_GROUP}:{SSDP_PORT}\r\nNTS: {nts}\r\n",
            )
            self._sender.sendto(packet, (SSDP_GROUP, SSDP_PORT))

    async def stop(self) -> None:
        """Say goodbye; close both sockets."""
        self._notify("ssdp:byebye")
        for transport in (self._listener, self._sender):
            if transport is not None:
                transport.close()
        self._listener = self._sender = None

    def _on_datagram(self, data: bytes, sender: str, port: int) -> None:
        if not is_loopback(sender):
            return
        lines = data.decode("utf-8", errors="replace").split("\r\n")
        if not lines or not lines[0].upper().startswith("M-SEARCH * HTTP/1.1"):
            return
        headers = {}
        for line in lines[1:]:
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip().upper()] = value.strip()
        if headers.get("MAN", "").strip('"') != "ssdp:discover":
            return
        loop = asyncio.get_running_loop()
        for target, usn in self.answers(headers.get("ST", "")):
            answer = self._message("HTTP/1.1 200 OK", "ST", target, usn, "EXT:\r\n")
            loop.call_later(random.uniform(0.0, 0.005), self._send, answer, (sender, port))

    def _send(self, answer: bytes, address: tuple[str, int]) -> None:
        if self._sender is not None and not self._sender.is_closing():
            self._sender.sendto(answer, address)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, str, int], None] | None = None) -> None:
        self._on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if self._on_datagram is not None:
            self._on_datagram(data, str(addr[0]), int(addr[1]))


def _group_socket(interface: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if hasattr(socket, "SO_REUSEPORT"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((SSDP_GROUP, SSDP_PORT))  # the group's datagrams only
        membership = socket.inet_aton(SSDP_GROUP) + socket.inet_aton(interface)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        with contextlib.suppress(OSError):  # not Linux
            sock.setsockopt(socket.IPPROTO_IP, _IP_MULTICAST_ALL, 0)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _sender_socket(host: str, interface: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(interface))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        sock.bind((host, 0))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
