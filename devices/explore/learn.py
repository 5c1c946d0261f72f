"""`dobby explore HOST`: read-only probing of one host, and a drafted recipe.

The probe asks who the host is at the read-only identity endpoints of the signature table
(WLED's `/json/info`, Shelly's `/shelly`, Tasmota's status, a UPnP description), then
reads the recognised family's read-only endpoints (or, for UPnP, the SCPD of each service
and its `Get...` actions). It collects the states it sees (booleans and numbers, by JSON
pointer). Heuristics draft a recipe for the common shapes: a WLED-like JSON state with
`on`/`bri`, a Shelly Gen2 switch, a UPnP service with Get/Set pairs. Every read of the
draft is tried before anyone sees it and must give a value of its declared type.
Nothing is commanded here: the draft's commands are unverified until approved and tried.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from devices.capabilities import Domain
from devices.explore.fingerprints import Family, family, table
from devices.explore.probe import DEFAULT_BUDGET, Answer, Prober, ProbeRecord, parse_xml
from devices.explore.rules import ProbeRefusedError
from devices.explore.scan import Description, read_description
from devices.recipe import Command, Parameter, Read, Recipe, RecipeEntity, identity_of

SCPD = "urn:schemas-upnp-org:service-1-0"
MAX_READINGS = 200
IDENTITY_PATHS = ("/json/info", "/shelly", "/cm?cmnd=Status%200")
UPNP_ROOTS = ("/description.xml", "/rootDesc.xml", "/upnp/description.xml")


@dataclass
class Reading:
    """A state value seen on the device."""

    source: str
    """`GET /json/state`, or `SOAP GetPower`."""
    pointer: str
    value: Any


@dataclass
class UpnpAction:
    """A SOAP action of a service, from its SCPD."""

    name: str
    inputs: list[tuple[str, str]]
    """(argument, data type)."""
    outputs: list[tuple[str, str]]


@dataclass
class Learned:
    """What one host showed, and the recipe drafted from it."""

    host: str
    port: int
    family: Family | None = None
    identity: str = ""
    name: str = ""
    description: Description | None = None
    actions: dict[str, list[UpnpAction]] = field(default_factory=dict)
    readings: list[Reading] = field(default_factory=list)
    draft: Recipe | None = None
    tried: dict[str, Any] = field(default_factory=dict)
    """Each read of the draft (`entity.read`) and the value it gave."""
    notes: list[str] = field(default_factory=list)
    requests: int = 0

    def as_json(self) -> dict[str, Any]:
        """The report for `--json`."""
        return {
            "host": self.host,
            "port": self.port,
            "family": self.family.id if self.family is not None else None,
            "identity": self.identity,
            "name": self.name,
            "readings": [
                {"source": r.source, "pointer": r.pointer, "value": r.value} for r in self.readings
            ],
            "draft": self.draft.model_dump(mode="json", exclude_none=True)
            if self.draft is not None
            else None,
            "tried": self.tried,
            "notes": self.notes,
            "requests": self.requests,
        }


def walk(value: Any, pointer: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
    """(JSON pointer, value) of every boolean and number in a JSON document."""
    if depth > 6:
        return
    if isinstance(value, bool | int | float):
        yield pointer, value
    elif isinstance(value, dict):
        for key, item in value.items():
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            yield from walk(item, f"{pointer}/{escaped}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value[:8]):
            yield from walk(item, f"{pointer}/{index}", depth + 1)


def resolve(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer; KeyError when it is not there."""
    if pointer == "":
        return document
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(document, dict) and part in document:
            document = document[part]
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            raise KeyError(pointer)
    return document


def typed(value: Any, kind: str) -> Any:  # noqa: PLR0911 - one reading per type
    """`value` as the declared type, or ValueError."""
    match kind:
        case "bool":
            if isinstance(value, bool):
                return value
            if str(value).strip().lower() in ("1", "true", "yes"):
                return True
            if str(value).strip().lower() in ("0", "false", "no"):
                return False
        case "int":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lstrip("-").isdigit():
                return int(value)
        case "float":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, str):
                return float(value)
        case "string":
            if isinstance(value, str):
                return value
    raise ValueError(f"{value!r} is not a {kind}")


class Learner:
    """Probes one host and drafts its recipe."""

    def __init__(
        self,
        host: str,
        port: int = 80,
        *,
        budget: int = DEFAULT_BUDGET,
        timeout: float = 3.0,
        record: Callable[[ProbeRecord], None] | None = None,
        location: str | None = None,
    ) -> None:
        self.prober = Prober(host, port, budget=budget, timeout=timeout, record=record)
        self.result = Learned(self.prober.host, port)
        self.location = location
        self._documents: dict[str, Any] = {}

    async def learn(self, name: str = "", area: str | None = None) -> Learned:
        """Probe, draft, try the draft's reads."""
        async with self.prober:
            try:
                await self.read_identity()
                await self._read_family()
                draft = self._draft(name, area)
                if draft is not None:
                    await self.try_reads(draft)
            except ProbeRefusedError as refused:  # the budget, mostly
                self.result.notes.append(str(refused))
        self.result.requests = self.prober.sent
        return self.result

    async def identify(self) -> Learned:
        """Only who the host says it is (its family, identity and name): no draft."""
        async with self.prober:
            try:
                await self.read_identity()
            except ProbeRefusedError as refused:
                self.result.notes.append(str(refused))
        self.result.requests = self.prober.sent
        return self.result

    async def _json(self, path: str) -> Any:
        if path in self._documents:
            return self._documents[path]
        answer = await self.prober.get(path)
        self._note(answer)
        value = answer.json if answer.ok else None
        self._documents[path] = value
        if value is not None:
            for pointer, item in walk(value):
                if len(self.result.readings) < MAX_READINGS:
                    self.result.readings.append(Reading(f"GET {path}", pointer, item))
        return value

    def _note(self, answer: Answer) -> None:
        if answer.note is not None:
            self.result.notes.append(f"{answer.path}: {answer.note}")

    async def read_identity(self) -> None:
        """Who the host says it is, at the table's identity endpoints (prober open)."""
        result = self.result
        if self.location is not None:
            path = urlsplit(self.location).path or "/"
            if await self._upnp(path):
                return
        info = await self._json("/json/info")
        if isinstance(info, dict) and "leds" in info and "ver" in info:
            result.family = family("wled")
            result.identity = str(info.get("mac", ""))
            result.name = str(info.get("name", ""))
            return
        shelly = await self._json("/shelly")
        if isinstance(shelly, dict) and "mac" in shelly:
            gen = shelly.get("gen")
            result.family = family(
                "shelly_gen2" if isinstance(gen, int) and gen >= 2 else "shelly_gen1"
            )
            result.identity = str(shelly.get("id") or shelly.get("mac"))
            result.name = str(shelly.get("name") or "")
            return
        status = await self._json("/cm?cmnd=Status%200")
        if isinstance(status, dict) and "StatusNET" in status:
            result.family = family("tasmota")
            result.identity = str(status["StatusNET"].get("Mac", ""))
            return
        for root in UPNP_ROOTS:
            if await self._upnp(root):
                return
        result.notes.append("no known identity endpoint answered: not recognised")

    async def _upnp(self, path: str) -> bool:
        answer = await self.prober.document(path)
        if not answer.ok:
            self._note(answer)
            return False
        description = read_description(answer.body or b"")
        if description is None:
            return False
        result = self.result
        result.description = description
        result.identity = description.udn
        result.name = description.friendly_name
        result.family = next(
            (f for f in table().families if description.device_type in f.match.ssdp),
            family("upnp"),
        )
        for service in description.services:
            if not service.scpd.startswith("/"):
                continue
            scpd = await self.prober.document(service.scpd)
            if not scpd.ok:
                self._note(scpd)
                continue
            result.actions[service.service_type] = read_scpd(scpd.body or b"")
        return True

    async def _read_family(self) -> None:
        result = self.result
        if result.description is not None:
            await self._read_upnp()
            return
        if result.family is None:
            return
        for path in result.family.read_only:
            await self._json(path)

    async def _read_upnp(self) -> None:
        assert self.result.description is not None
        services = {s.service_type: s for s in self.result.description.services}
        for service_type, actions in self.result.actions.items():
            control = services[service_type].control
            for action in actions:
                if not action.name.startswith("Get") or action.inputs:
                    continue
                answer, values = await self.prober.soap_get(control, service_type, action.name)
                self._note(answer)
                for argument, value in values.items():
                    self.result.readings.append(Reading(f"SOAP {action.name}", argument, value))

    def _draft(self, name: str, area: str | None) -> Recipe | None:
        result = self.result
        label = name or result.name or f"Device at {result.host}"
        identity = identity_of(result.identity)
        if identity is None:
            result.notes.append("no stable identity (MAC, UDN, device id): nothing drafted")
            return None
        entity: RecipeEntity | None = None
        service: str | None = None
        control: str | None = None
        family_id = result.family.id if result.family is not None else None
        if isinstance(self._documents.get("/json/state"), dict):
            entity = _json_light(label, area, self._documents["/json/state"])
        elif isinstance(self._documents.get("/rpc/Switch.GetStatus?id=0"), dict):
            entity = _shelly_switch(label, area)
        elif result.description is not None:
            service, entity = _upnp_pairs(label, area, result)
            control = next(
                (s.control for s in result.description.services if s.service_type == service),
                None,
            )
        if entity is None:
            result.notes.append("no common shape found (on/bri JSON, a Switch, Get/Set pairs)")
            return None
        return Recipe(
            name=label,
            family=family_id,
            identity=identity,
            host=result.host,
            port=result.port,
            upnp_service=service,
            upnp_control=control,
            poll_interval=10.0,
            entities=[entity],
        )

    async def try_reads(self, draft: Recipe) -> None:
        """Every read of the draft, tried now: a read that fails drops the draft."""
        for entity in draft.entities:
            for key, read in entity.reads.items():
                try:
                    value = await self.read(draft, read)
                except (KeyError, ValueError) as error:
                    self.result.notes.append(f"the draft's read {entity.key}.{key} failed: {error}")
                    return
                self.result.tried[f"{entity.key}.{key}"] = value
        self.result.draft = draft

    async def read(self, recipe: Recipe, read: Read) -> Any:
        """One read of a recipe, through the prober (so within the rules and the budget)."""
        if read.path is not None:
            answer = await self.prober.get(read.path)
            if not answer.ok:
                raise ValueError(answer.note or f"HTTP {answer.status}")
            assert read.pointer is not None
            return typed(resolve(answer.json, read.pointer), read.type)
        assert read.soap_action is not None
        assert read.argument is not None
        assert recipe.upnp_service is not None
        assert recipe.upnp_control is not None
        answer, values = await self.prober.soap_get(
            recipe.upnp_control, recipe.upnp_service, read.soap_action
        )
        if read.argument not in values:
            raise ValueError(answer.note or f"{read.soap_action} gave no {read.argument}")
        return typed(values[read.argument], read.type)


def read_scpd(body: bytes) -> list[UpnpAction]:
    """The actions of an SCPD, each argument with its state variable's data type."""
    root = parse_xml(body)
    if root is None:
        return []
    types = {
        (v.findtext(f"{{{SCPD}}}name") or ""): (v.findtext(f"{{{SCPD}}}dataType") or "")
        for v in root.iter(f"{{{SCPD}}}stateVariable")
    }
    actions = []
    for action in root.iter(f"{{{SCPD}}}action"):
        inputs: list[tuple[str, str]] = []
        outputs: list[tuple[str, str]] = []
        for argument in action.iter(f"{{{SCPD}}}argument"):
            name = argument.findtext(f"{{{SCPD}}}name") or ""
            kind = types.get(argument.findtext(f"{{{SCPD}}}relatedStateVariable") or "", "")
            direction = (argument.findtext(f"{{{SCPD}}}direction") or "").strip()
            (inputs if direction == "in" else outputs).append((name, kind))
        actions.append(UpnpAction(action.findtext(f"{{{SCPD}}}name") or "", inputs, outputs))
    return actions


_ON_OFF = {"true": "on", "false": "off"}


def _json_light(name: str, area: str | None, state: dict[str, Any]) -> RecipeEntity | None:
    """A WLED-like JSON state: a boolean `on`, a 0-255 `bri`."""
    if not isinstance(state.get("on"), bool):
        return None
    reads = {"state": Read(path="/json/state", pointer="/on", type="bool", mapping=_ON_OFF)}
    commands = {
        "turn_on": Command(method="POST", path="/json/state", body={"on": True}),
        "turn_off": Command(method="POST", path="/json/state", body={"on": False}),
    }
    bri = state.get("bri")
    if isinstance(bri, int) and not isinstance(bri, bool):
        reads["brightness"] = Read(path="/json/state", pointer="/bri", type="int", scale=(0, 255))
        commands["turn_on"] = Command(
            method="POST",
            path="/json/state",
            body={"on": True, "bri": "$brightness"},
            params={"brightness": Parameter(type="int", minimum=0, maximum=255)},
        )
    domain = Domain.LIGHT if "bri" in state else Domain.SWITCH
    return RecipeEntity(
        key="main", domain=domain, name=name, area=area, reads=reads, commands=commands
    )


def _shelly_switch(name: str, area: str | None) -> RecipeEntity:
    """A Shelly Gen2 switch: `Switch.GetStatus` `output`, `Switch.Set` `on`."""
    set_on = {"id": 0, "method": "Switch.Set", "params": {"id": 0, "on": True}}
    set_off = {"id": 0, "method": "Switch.Set", "params": {"id": 0, "on": False}}
    return RecipeEntity(
        key="switch_0",
        domain=Domain.SWITCH,
        name=name,
        area=area,
        reads={
            "state": Read(
                path="/rpc/Switch.GetStatus?id=0", pointer="/output", type="bool", mapping=_ON_OFF
            )
        },
        commands={
            "turn_on": Command(method="POST", path="/rpc", body=set_on),
            "turn_off": Command(method="POST", path="/rpc", body=set_off),
        },
    )


def _upnp_pairs(
    name: str, area: str | None, result: Learned
) -> tuple[str | None, RecipeEntity | None]:
    """A UPnP service with a boolean Get/Set pair (the state) and a number pair (a level)."""
    for service_type, actions in result.actions.items():
        by_name = {a.name: a for a in actions}
        pairs = [
            (get, by_name[f"Set{get.name[3:]}"])
            for get in actions
            if get.name.startswith("Get")
            and not get.inputs
            and len(get.outputs) == 1
            and f"Set{get.name[3:]}" in by_name
            and len(by_name[f"Set{get.name[3:]}"].inputs) == 1
        ]
        power = next((p for p in pairs if p[0].outputs[0][1] == "boolean"), None)
        if power is None:
            continue
        get, put = power
        argument = put.inputs[0][0]
        assert result.description is not None
        control = next(
            s.control for s in result.description.services if s.service_type == service_type
        )
        reads = {
            "state": Read(
                soap_action=get.name,
                argument=get.outputs[0][0],
                type="bool",
                mapping={"true": "on", "false": "off"},
            )
        }
        commands = {
            "turn_on": Command(
                method="SOAP", path=control, soap_action=put.name, body={argument: "1"}
            ),
            "turn_off": Command(
                method="SOAP", path=control, soap_action=put.name, body={argument: "0"}
            ),
        }
        level = next(
            (p for p in pairs if p[0].outputs[0][1] in ("ui1", "ui2", "ui4", "i4", "int")), None
        )
        if level is not None:  # Dobby has no fan domain: a switch, with its level read too
            reads["level"] = Read(
                soap_action=level[0].name, argument=level[0].outputs[0][0], type="int"
            )
            commands["set_level"] = Command(
                method="SOAP",
                path=control,
                soap_action=level[1].name,
                body={level[1].inputs[0][0]: "$level"},
                params={"level": Parameter(type="int", minimum=0, maximum=100)},
            )
        entity = RecipeEntity(
            key="main", domain=Domain.SWITCH, name=name, area=area, reads=reads, commands=commands
        )
        return service_type, entity
    return None, None


def dumps(learned: Learned) -> str:
    """The report as JSON text."""
    return json.dumps(learned.as_json(), ensure_ascii=False)
