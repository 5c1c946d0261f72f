"""The HTTP side of one emulated player on host:1400: description, SCPDs, SOAP, GENA.

Every answer passes through the speaker's `Faults` first (the kit's `fault_middleware`):
latency, no answer, dropped connections, garbage, or errors (a SOAP fault with HTTP 500
for control requests).
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Handler

# The action modules register their handlers with the registry when imported.
from devices.adapters.sonos.emulator import avtransport, content, rendering, topology  # noqa: F401
from devices.adapters.sonos.emulator.gena import EventPublisher, SubscriptionError
from devices.adapters.sonos.emulator.household import Household
from devices.adapters.sonos.emulator.services import (
    BY_CONTROL_URL,
    BY_EVENT_URL,
    BY_SCPD_URL,
    REGISTRY,
    dispatch,
)
from devices.adapters.sonos.emulator.state import SpeakerState, UPnPError
from devices.adapters.sonos.emulator.templates import (
    SOAP_ENV,
    device_description,
    server_header,
    soap_fault,
    soap_response,
)
from devices.testing.http import HttpServer, fault_middleware

XML_TYPE = 'text/xml; charset="utf-8"'
GARBAGE = b"\x00\x9f\xffHTTP/1.1 oops <<<not xml>>> \xde\xad\xbe\xef"


@dataclass
class InFlight:
    """Requests being answered now, by method, and the most at once: how many a client
    has on the way together (a stop that unsubscribes one speaker after another has one)."""

    now: Counter[str] = field(default_factory=Counter)
    most: Counter[str] = field(default_factory=Counter)

    @contextmanager
    def request(self, method: str) -> Iterator[None]:
        """Count one request of `method` while it is being answered."""
        self.now[method] += 1
        self.most[method] = max(self.most[method], self.now[method])
        try:
            yield
        finally:
            self.now[method] -= 1


@dataclass(frozen=True)
class RequestRecord:
    """One request an emulated speaker received (action is the SOAP action, if any)."""

    host: str
    method: str
    path: str
    action: str = ""


def _xml(text: str, status: int = 200) -> web.Response:
    return web.Response(
        body=text.encode("utf-8"), status=status, headers={"Content-Type": XML_TYPE, "EXT": ""}
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class SpeakerServer:
    """Serves one speaker's UPnP device over HTTP on its own address, port 1400."""

    def __init__(
        self,
        household: Household,
        speaker: SpeakerState,
        publisher: EventPublisher,
        *,
        on_change: Callable[[], None],
        requests: deque[RequestRecord],
        in_flight: InFlight,
        port: int = 1400,
    ) -> None:
        self.household = household
        self.speaker = speaker
        self.publisher = publisher
        self.port = port
        self._on_change = on_change
        self._requests = requests
        self._in_flight = in_flight
        self._server = HttpServer(self._app, speaker.host, (port,), shutdown_timeout=1.0)
        self._log = logging.getLogger(f"{__name__}[{speaker.host}]")

    def _app(self) -> web.Application:
        faults = fault_middleware(
            self.speaker.faults, garbage=GARBAGE, content_type=XML_TYPE, error=self._error
        )
        app = web.Application(middlewares=[self._record, faults])
        app.router.add_get("/xml/device_description.xml", self._description)
        for path in BY_SCPD_URL:
            app.router.add_get(path, self._scpd)
        for path in BY_CONTROL_URL:
            app.router.add_post(path, self._control)
        for path in BY_EVENT_URL:
            app.router.add_route("SUBSCRIBE", path, self._subscribe)
            app.router.add_route("UNSUBSCRIBE", path, self._unsubscribe)
        app.on_response_prepare.append(self._server_header)
        return app

    async def start(self) -> None:
        """Listen on host:1400."""
        await self._server.start()
        self._log.debug("Listening on %s:%s", self.speaker.host, self.port)

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        await self._server.stop()

    async def _server_header(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Server"] = server_header(self.speaker)

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        action = request.headers.get("SOAPACTION", "").strip('" ').rpartition("#")[2]
        self._requests.append(
            RequestRecord(self.speaker.host, request.method, request.path, action)
        )
        with self._in_flight.request(request.method):
            return await handler(request)

    @staticmethod
    def _error(request: web.Request) -> web.StreamResponse:
        """The error fault: a SOAP fault for a control request, else a bare 500."""
        if request.method == "POST" and request.path in BY_CONTROL_URL:
            return _xml(soap_fault(501), status=500)
        return web.Response(status=500)

    async def _description(self, request: web.Request) -> web.Response:
        return _xml(device_description(self.speaker))

    async def _scpd(self, request: web.Request) -> web.Response:
        return _xml(REGISTRY.scpd(BY_SCPD_URL[request.path]))

    async def _control(self, request: web.Request) -> web.Response:
        service = BY_CONTROL_URL[request.path]
        service_type, _, action = (
            request.headers.get("SOAPACTION", "").strip().strip('"').partition("#")
        )
        if service_type != service.service_type or not action:
            return _xml(soap_fault(401), status=500)
        try:
            args = self._arguments(await request.read(), action)
            result = dispatch(self.household, self.speaker, service.name, action, args)
        except UPnPError as error:
            self._log.debug("%s %s refused: %s", service.name, action, error)
            return _xml(soap_fault(error.code), status=500)
        finally:
            if not action.startswith("Get"):
                self._on_change()
        return _xml(soap_response(service.service_type, action, result))

    @staticmethod
    def _arguments(body: bytes, action: str) -> dict[str, str]:
        """The arguments of a SOAP request; 402 if it is not one for `action`."""
        try:
            envelope = ET.fromstring(body)  # noqa: S314 - loopback clients only
        except ET.ParseError:
            raise UPnPError(402, "the request is not XML") from None
        element = envelope.find(f"{{{SOAP_ENV}}}Body")
        call = element[0] if element is not None and len(element) else None
        if call is None or _local(call.tag) != action:
            raise UPnPError(401, "the body does not call the action in SOAPACTION")
        return {_local(child.tag): child.text or "" for child in call}

    async def _subscribe(self, request: web.Request) -> web.StreamResponse:
        service = BY_EVENT_URL[request.path]
        sid = request.headers.get("SID")
        callback = request.headers.get("CALLBACK")
        notification = request.headers.get("NT")
        timeout = request.headers.get("TIMEOUT")
        try:
            if sid:
                if callback or notification:
                    return web.Response(status=400)
                subscription = self.publisher.renew(self.speaker, service, sid, timeout)
                return self._subscribed(subscription.sid, subscription.timeout)
            if notification != "upnp:event" or not callback:
                return web.Response(status=412)
            subscription = self.publisher.subscribe(self.speaker, service, callback, timeout)
        except SubscriptionError as error:
            self._log.debug("SUBSCRIBE to %s refused: %s", service.event_url, error)
            return web.Response(status=error.status)
        return self._subscribed(subscription.sid, subscription.timeout)

    @staticmethod
    def _subscribed(sid: str, timeout: int) -> web.Response:
        return web.Response(headers={"SID": sid, "TIMEOUT": f"Second-{timeout}"})

    async def _unsubscribe(self, request: web.Request) -> web.Response:
        service = BY_EVENT_URL[request.path]
        sid = request.headers.get("SID")
        if not sid:
            return web.Response(status=412)
        try:
            self.publisher.unsubscribe(self.speaker, service, sid)
        except SubscriptionError as error:
            return web.Response(status=error.status)
        return web.Response()
