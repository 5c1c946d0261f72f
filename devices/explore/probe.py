"""Read-only probing of one host: GETs that pass the rules, within a budget, bounded.

    async with Prober("192.168.1.40", port=80, budget=30, record=audit) as probe:
        answer = await probe.get("/json/info")      # ProbeRefusedError before anything is sent
        answer.json, answer.note                    # the JSON, or why there is none

Every request goes to the one host the prober was made for (an address in the local
ranges; a redirect elsewhere is not followed), passes `rules.check_path` (or, for a UPnP
description or SCPD the device named, `rules.check_document`; for SOAP, only `Get...`
actions), counts against the budget, must finish within `timeout` seconds and answer at
most `max_bytes`. What goes wrong on the device's side (slow, silent, garbage, huge, a
redirect) is a note on the answer, never an exception; what the rules refuse is
`ProbeRefusedError`. Every request sent is handed to `record` (the audit log) as it completes.
"""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import aiohttp
from yarl import URL

from devices.explore.ranges import local_address
from devices.explore.rules import ProbeRefusedError, check_document, check_path, check_soap_action

DEFAULT_BUDGET = 40
DEFAULT_TIMEOUT = 3.0
DEFAULT_MAX_BYTES = 256 * 1024
MAX_REDIRECTS = 2
SOAP_ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"


class BudgetSpentError(ProbeRefusedError):
    """The probe has sent as many requests as it may."""


@dataclass(frozen=True)
class ProbeRecord:
    """One request a probe sent, for the audit log."""

    host: str
    method: str
    target: str
    """The path, or `path#SoapAction`."""
    status: int | None
    note: str | None


@dataclass
class Answer:
    """What one probe request got back."""

    path: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    note: str | None = None
    """Why there is no usable answer (slow, garbage, too big, a redirect), if there is none."""
    json: Any = None

    @property
    def ok(self) -> bool:
        """A 2xx answer with a body that was read in full."""
        return self.note is None and self.status is not None and 200 <= self.status < 300

    @property
    def text(self) -> str:
        """The body as text ("" without one)."""
        return (self.body or b"").decode("utf-8", errors="replace")


class Prober:
    """Read-only requests to one host, within a budget."""

    def __init__(
        self,
        host: str,
        port: int = 80,
        *,
        budget: int = DEFAULT_BUDGET,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        record: Callable[[ProbeRecord], None] | None = None,
    ) -> None:
        self.host = str(local_address(host))  # OutsideLocalNetworkError before anything else
        if not 0 < port < 65536:
            raise ProbeRefusedError(f"port {port} is not a TCP port")
        self.port = port
        self.budget = budget
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.sent = 0
        self.records: list[ProbeRecord] = []
        self._record = record
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Prober:
        self._session = aiohttp.ClientSession(
            trust_env=False,  # never through a proxy: straight to the device
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            headers={"User-Agent": "Dobby-explore/1", "Accept": "*/*"},
        )
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connections."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    @property
    def left(self) -> int:
        """Requests the budget still allows."""
        return max(0, self.budget - self.sent)

    def _url(self, path: str) -> URL:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return URL(f"http://{host}:{self.port}{path}", encoded=True)

    def _spend(self, what: str) -> None:
        if self.sent >= self.budget:
            raise BudgetSpentError(
                f"the budget of {self.budget} requests is spent ({what} not sent)"
            )
        self.sent += 1

    def _log(self, method: str, target: str, answer: Answer) -> None:
        record = ProbeRecord(self.host, method, target, answer.status, answer.note)
        self.records.append(record)
        if self._record is not None:
            self._record(record)

    async def get(self, path: str) -> Answer:
        """GET `path` (which must pass `check_path`); a same-host redirect is followed
        (it must pass the rules too), one to another host is not."""
        return await self._get(check_path(path), check_path)

    async def document(self, path: str) -> Answer:
        """GET a UPnP description or SCPD at `path`, a plain path the device named."""
        return await self._get(check_document(path), check_document)

    async def _get(self, path: str, rule: Callable[[str], str]) -> Answer:
        for _ in range(MAX_REDIRECTS + 1):
            self._spend(f"GET {path}")
            answer = await self._send("GET", path)
            self._log("GET", path, answer)
            if answer.status is None or not 300 <= answer.status < 400:
                return answer
            target = self._redirect_path(answer.headers.get("Location", ""))
            if target is None:
                answer.note = (
                    f"redirected to {answer.headers.get('Location', '(nowhere)')!r}, "
                    "another host: not followed"
                )
                return answer
            try:
                path = rule(target)
            except ProbeRefusedError as refused:
                answer.note = f"redirected, not followed: {refused}"
                return answer
        answer.note = f"more than {MAX_REDIRECTS} redirects: not followed"
        return answer

    def _redirect_path(self, location: str) -> str | None:
        """The path a redirect names, if it stays on this host and port; else None."""
        parts = urlsplit(location)
        if parts.scheme or parts.netloc:
            if parts.scheme != "http" or parts.hostname != self.host:
                return None
            if (parts.port or 80) != self.port:
                return None
        elif not location.startswith("/") or location.startswith("//"):
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    async def soap_get(
        self, control_path: str, service_type: str, action: str
    ) -> tuple[Answer, dict[str, str]]:
        """Call a SOAP action that reads (`Get...`, no arguments); its out-arguments."""
        check_soap_action(action)
        check_document(control_path)
        self._spend(f"{action} at {control_path}")
        body = (
            '<?xml version="1.0"?>\n'
            f'<s:Envelope xmlns:s="{SOAP_ENVELOPE}" '
            's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
            f'<u:{action} xmlns:u="{escape(service_type)}"></u:{action}>'
            "</s:Body></s:Envelope>"
        ).encode()
        headers = {
            "Content-Type": 'text/xml; charset="utf-8"',
            "SOAPACTION": f'"{service_type}#{action}"',
        }
        answer = await self._send("POST", control_path, body=body, headers=headers)
        values: dict[str, str] = {}
        if answer.ok:
            found = soap_values(answer.body or b"", service_type, action)
            if found is None:
                answer.note = f"{action} answered no SOAP response"
            else:
                values = found
        self._log("POST", f"{control_path}#{action}", answer)
        return answer, values

    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        if self._session is None:
            raise RuntimeError("use the prober as `async with Prober(...)`")
        answer = Answer(path)
        try:
            async with asyncio.timeout(self.timeout):
                async with self._session.request(
                    method, self._url(path), data=body, headers=headers, allow_redirects=False
                ) as response:
                    answer.status = response.status
                    answer.headers = dict(response.headers.items())
                    declared = response.content_length
                    if declared is not None and declared > self.max_bytes:
                        answer.note = f"answered {declared} bytes, more than {self.max_bytes}"
                        return answer
                    data = await response.content.read(self.max_bytes + 1)
                    if len(data) > self.max_bytes:
                        answer.note = f"answered more than {self.max_bytes} bytes"
                        return answer
                    answer.body = data
        except TimeoutError:
            answer.note = f"no answer within {self.timeout:g} seconds"
            return answer
        except aiohttp.ClientResponseError as error:
            answer.note = f"answered something that is not HTTP ({error.message})"
            return answer
        except (aiohttp.ClientError, OSError) as error:
            answer.note = f"could not be reached ({type(error).__name__})"
            return answer
        _read_json(answer)
        return answer


def _read_json(answer: Answer) -> None:
    kind = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
    body = (answer.body or b"").lstrip()
    if kind != "application/json" and not body.startswith((b"{", b"[")):
        return
    try:
        answer.json = json.loads(body)
    except (ValueError, RecursionError):
        if answer.status is not None and 200 <= answer.status < 300:
            answer.note = "answered JSON that does not parse"


def parse_xml(body: bytes) -> ET.Element | None:
    """A device's XML, or None when it does not parse or declares a DTD (no entities)."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        return None
    try:
        return ET.fromstring(body)  # noqa: S314 - no DTD (refused above); expat bounds expansion
    except ET.ParseError:
        return None


def soap_values(body: bytes, service_type: str, action: str) -> dict[str, str] | None:
    """The out-arguments of a SOAP response, or None when it is not one."""
    root = parse_xml(body)
    if root is None:
        return None
    response = root.find(f"{{{SOAP_ENVELOPE}}}Body/{{{service_type}}}{action}Response")
    if response is None:
        return None
    return {child.tag.rpartition("}")[2]: (child.text or "").strip() for child in response}
