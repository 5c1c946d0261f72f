"""HAP-python's server, with `Faults` injected into the requests of a paired session.

Faults apply to `/characteristics` and `/accessories` once the session is encrypted:
pairing itself always works, so a test can pair, then make the accessory misbehave.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import h11
from pyhap.hap_handler import HAPResponse, HAPServerHandler  # type: ignore[import-untyped]
from pyhap.hap_protocol import HAPServerProtocol  # type: ignore[import-untyped]
from pyhap.hap_server import HAPServer  # type: ignore[import-untyped]

from devices.testing.faults import Faults

SERVICE_COMMUNICATION_FAILURE = -70402
GARBAGE = b"<html><body>502 bad gateway, or so</body></html>"
FAULTY_PATHS = ("/characteristics", "/accessories")

FaultReader = Callable[[], Faults]


def _json_response(status: int, reason: str, body: dict[str, Any]) -> HAPResponse:
    response = HAPResponse()
    response.status_code = status
    response.reason = reason
    response.headers = [("Content-Type", "application/hap+json")]
    response.body = json.dumps(body).encode()
    return response


def _error_response(request: h11.Request, body: bytes) -> HAPResponse:
    """The HAP protocol's own failure: every characteristic asked for fails (207)."""
    ids: list[tuple[int, int]] = []
    if request.method == b"GET":
        query = parse_qs(urlparse(request.target.decode()).query)
        for item in query.get("id", [""])[0].split(","):
            if "." in item:
                aid, iid = item.split(".", 1)
                ids.append((int(aid), int(iid)))
    elif body:
        ids = [(c["aid"], c["iid"]) for c in json.loads(body).get("characteristics", [])]
    rows = [{"aid": aid, "iid": iid, "status": SERVICE_COMMUNICATION_FAILURE} for aid, iid in ids]
    return _json_response(207, "Multi-Status", {"characteristics": rows})


class FaultyHandler:
    """Wraps HAP-python's request handler and applies the faults in force."""

    def __init__(
        self, inner: HAPServerHandler, protocol: FaultyProtocol, faults: FaultReader
    ) -> None:
        self.inner = inner
        self.protocol = protocol
        self.faults = faults

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def dispatch(self, request: h11.Request, body: bytes | None = None) -> HAPResponse:
        """Answer a request, misbehaving as the faults say."""
        path = urlparse(request.target.decode()).path
        faults = self.faults()
        if not self.inner.is_encrypted or path not in FAULTY_PATHS:
            return self.inner.dispatch(request, body)
        loop = asyncio.get_running_loop()
        if faults.silent:  # taken, never answered: the controller's own timeout fires
            response = HAPResponse()
            response.task = loop.create_future()
            return response
        if faults.drop:
            self.protocol.transport.abort()
            done: asyncio.Future[bytes] = loop.create_future()
            done.set_result(b"")
            response = HAPResponse()
            response.task = done
            return response
        if faults.error:
            response = _error_response(request, body or b"")
        else:
            response = self.inner.dispatch(request, body)
        if faults.garbage:
            response.status_code, response.reason = 200, "OK"
            response.headers = [("Content-Type", "application/hap+json")]
            response.body = GARBAGE
        if faults.latency > 0:
            response.task = loop.create_task(_later(faults.latency, response, response.task))
        return response


async def _later(
    seconds: float, response: HAPResponse, pending: asyncio.Future[bytes] | None
) -> bytes:
    await asyncio.sleep(seconds)
    if pending is not None:
        body: bytes = await pending
        return body
    return bytes(response.body)


class FaultyProtocol(HAPServerProtocol):  # type: ignore[misc]
    """HAP-python's protocol with a fault-injecting handler."""

    faults: FaultReader
    handler: Any

    def connection_made(self, transport: asyncio.Transport) -> None:
        """Accept the connection as HAP-python does, then wrap its handler."""
        super().connection_made(transport)
        self.handler = FaultyHandler(self.handler, self, self.faults)


class FaultyHAPServer(HAPServer):  # type: ignore[misc]
    """HAP-python's server, serving `FaultyProtocol` connections."""

    def __init__(self, addr_port: tuple[str, int], driver: Any, faults: FaultReader) -> None:
        super().__init__(addr_port, driver)
        self._faults = faults

    async def async_start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Listen, as HAP-python does, with the faulty protocol."""
        faults = self._faults

        def protocol() -> FaultyProtocol:
            made = FaultyProtocol(loop, self.connections, self.accessory_handler)
            made.faults = faults
            return made

        self.loop = loop
        self.server = await loop.create_server(protocol, self._addr_port[0], self._addr_port[1])
        self.async_cleanup_connections()
