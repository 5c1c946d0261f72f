"""Trying a draft's commands, each only after the household approved it, read back.

    client = RecipeClient(recipe, record=audit)
    tried = await trial(client, approve)      # approve(question) -> bool, per command
    tried.recipe                              # only the verified commands, marked verified

A command is sent only to the recipe's own host and port (an address in the local
ranges), with its body built from data: a string that is exactly `$name` becomes the typed
value of parameter `name` (checked against its minimum and maximum); nothing else is
substituted. After each command the state is read back until it shows what the command
should have done, for up to `READ_BACK_WITHIN` seconds; a command that was not confirmed
is left out of the recipe. Locks, alarm panels and garage doors are `sensitive`: saving
them needs a second confirmation.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import aiohttp

from devices.capabilities import Domain
from devices.entities import slugify
from devices.explore.learn import resolve, typed
from devices.explore.probe import SOAP_ENVELOPE, Prober, ProbeRecord
from devices.explore.ranges import local_address
from devices.recipe import RECIPES_DIR, Command, Parameter, Read, Recipe, RecipeEntity, dump_recipe

READ_BACK_WITHIN = 3.0
TRIAL_VALUES = {"brightness": 200, "level": 60}
"""The value a parameter is tried with (then read back); others take their midpoint."""
SENSITIVE_DOMAINS = frozenset({Domain.LOCK, Domain.ALARM_PANEL})
SENSITIVE_CLASSES = frozenset({"garage", "gate", "pool_heater", "spa_heater"})
"""Besides locks and alarms: garage doors, gates and heaters need a second confirmation."""

Approve = Callable[[str], Awaitable[bool]]


class RecipeCommandError(Exception):
    """A command the device did not take (an HTTP error, a SOAP fault, no answer)."""


class RecipeUnreachableError(RecipeCommandError):
    """A command that got no answer at all (refused, unreachable, timed out)."""


class RecipeClient:
    """The reads and commands of one recipe, to its host only."""

    def __init__(
        self,
        recipe: Recipe,
        *,
        timeout: float = 3.0,
        record: Callable[[ProbeRecord], None] | None = None,
    ) -> None:
        self.recipe = recipe
        self.host = str(local_address(recipe.host))
        self.timeout = timeout
        self._record = record

    async def read(self, read: Read) -> Any:
        """One read (through the read-only prober); KeyError or ValueError if it fails."""
        async with Prober(
            self.host, self.recipe.port, budget=1, timeout=self.timeout, record=self._record
        ) as probe:
            if read.path is not None:
                answer = await probe.get(read.path)
                if not answer.ok:
                    raise ValueError(answer.note or f"HTTP {answer.status}")
                assert read.pointer is not None
                return typed(resolve(answer.json, read.pointer), read.type)
            assert read.soap_action is not None
            assert self.recipe.upnp_service is not None
            assert self.recipe.upnp_control is not None
            answer, values = await probe.soap_get(
                self.recipe.upnp_control, self.recipe.upnp_service, read.soap_action
            )
            if read.argument not in values:
                raise ValueError(answer.note or f"{read.soap_action} gave nothing")
            return typed(values[read.argument], read.type)

    async def send(self, command: Command, values: dict[str, Any]) -> None:
        """Carry out one command with typed parameter values; `RecipeCommandError`."""
        body = fill(command.body or {}, command.params, values)
        host = f"[{self.host}]" if ":" in self.host else self.host
        url = f"http://{host}:{self.recipe.port}{command.path}"
        headers: dict[str, str] = {}
        data: bytes | None = None
        method = command.method
        if command.method == "SOAP":
            service, action = self.recipe.upnp_service or "", command.soap_action or ""
            arguments = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in body.items())
            data = (
                f'<?xml version="1.0"?>\n<s:Envelope xmlns:s="{SOAP_ENVELOPE}" '
                's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
                f'<u:{action} xmlns:u="{escape(service)}">{arguments}</u:{action}>'
                "</s:Body></s:Envelope>"
            ).encode()
            headers = {
                "Content-Type": 'text/xml; charset="utf-8"',
                "SOAPACTION": f'"{service}#{action}"',
            }
            method = "POST"
        elif command.method in ("POST", "PUT"):
            data = json.dumps(body).encode()
            headers = {"Content-Type": "application/json"}
        status: int | None = None
        try:
            async with (
                aiohttp.ClientSession(
                    trust_env=False, timeout=aiohttp.ClientTimeout(total=self.timeout)
                ) as session,
                session.request(
                    method, url, data=data, headers=headers, allow_redirects=False
                ) as response,
            ):
                status = response.status
                await response.content.read(64 * 1024)
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise RecipeUnreachableError(f"could not be reached ({type(error).__name__})") from None
        finally:
            if self._record is not None:
                self._record(ProbeRecord(self.host, method, command.path, status, None))
        if not 200 <= status < 300:
            raise RecipeCommandError(f"{method} {command.path} answered HTTP {status}")


def fill(body: Any, params: dict[str, Parameter], values: dict[str, Any]) -> Any:
    """The body with every `$name` replaced by the parameter's checked value."""
    if isinstance(body, str) and body.startswith("$"):
        name = body[1:]
        spec = params[name]
        value = typed(values[name], spec.type)
        if spec.minimum is not None and value < spec.minimum:
            raise ValueError(f"{name} {value} is below {spec.minimum:g}")
        if spec.maximum is not None and value > spec.maximum:
            raise ValueError(f"{name} {value} is above {spec.maximum:g}")
        return value
    if isinstance(body, dict):
        return {key: fill(item, params, values) for key, item in body.items()}
    if isinstance(body, list):
        return [fill(item, params, values) for item in body]
    return body


def trial_values(command: Command) -> dict[str, Any]:
    """The values a command is tried with."""
    values: dict[str, Any] = {}
    for name, spec in command.params.items():
        if name in TRIAL_VALUES:
            values[name] = TRIAL_VALUES[name]
        elif spec.type == "bool":
            values[name] = True
        else:
            low, high = spec.minimum or 0, spec.maximum if spec.maximum is not None else 100
            values[name] = int((low + high) / 2) if spec.type == "int" else (low + high) / 2
    return values


def expected(entity: RecipeEntity, name: str, values: dict[str, Any]) -> dict[str, Any]:
    """What the reads should show after the command (read key: device value)."""
    wanted: dict[str, Any] = {}
    state = entity.reads["state"]
    on = {v: k for k, v in state.mapping.items()}
    if name == "turn_on":
        wanted["state"] = typed(on.get("on", "true"), state.type)
    elif name == "turn_off":
        wanted["state"] = typed(on.get("off", "false"), state.type)
    wanted.update({param: value for param, value in values.items() if param in entity.reads})
    return wanted


def is_sensitive(entity: RecipeEntity) -> bool:
    """A lock, an alarm panel, a garage door or gate, a heater."""
    return entity.domain in SENSITIVE_DOMAINS or entity.device_class in SENSITIVE_CLASSES


@dataclass
class Tried:
    """How each command went, and the recipe with only the verified ones."""

    recipe: Recipe
    results: dict[str, str] = field(default_factory=dict)

    @property
    def verified(self) -> list[str]:
        """The `entity.command` names that were confirmed."""
        return [k for k, v in self.results.items() if v == "verified"]


_ASK = {
    "en": "May I test {command} on {name}{shown}?",
    "de": "Darf ich an {name} „{command}“ testen{shown}?",
}
"""The question before each command, by language."""
_WORDS_DE = {
    "turn_on": "einschalten",
    "turn_off": "ausschalten",
    "toggle": "umschalten",
    "open": "öffnen",
    "close": "schließen",
    "stop": "anhalten",
    "set_position": "Position setzen",
    "lock": "abschließen",
    "unlock": "aufschließen",
    "set_temperature": "Temperatur setzen",
    "brightness": "Helligkeit",
    "position": "Position",
    "temperature": "Temperatur",
    "speed": "Geschwindigkeit",
}
"""Command and parameter names in German questions (others as they are, `_` as spaces)."""


def command_word(language: str, key: str) -> str:
    """A command's or parameter's name as a person says it ("turn on", "einschalten")."""
    return (_WORDS_DE.get(key) if language == "de" else None) or key.replace("_", " ")


def question(language: str, command: str, name: str, values: dict[str, Any]) -> str:
    """The question before trying a command, in English or German: "May I test turn on on
    Desk Strip (brightness 200)?"."""
    shown = ", ".join(f"{command_word(language, k)} {v}" for k, v in values.items())
    template = _ASK.get(language, _ASK["en"])
    return template.format(
        command=command_word(language, command), name=name, shown=f" ({shown})" if shown else ""
    )


async def trial(
    client: RecipeClient,
    approve: Approve,
    *,
    within: float = READ_BACK_WITHIN,
    language: str = "en",
) -> Tried:
    """Ask before each command (in `language`), send it, read back; keep only what was
    verified."""
    recipe = client.recipe
    results: dict[str, str] = {}
    entities = []
    for entity in recipe.entities:
        kept: dict[str, Command] = {}
        for name, command in entity.commands.items():
            key = f"{entity.key}.{name}"
            values = trial_values(command)
            if not await approve(question(language, name, entity.name, values)):
                results[key] = "not approved"
                continue
            try:
                await client.send(command, values)
            except (RecipeCommandError, ValueError) as error:
                results[key] = f"failed: {error}"
                continue
            if await _confirmed(client, entity, expected(entity, name, values), within):
                kept[name] = command.model_copy(update={"verified": True})
                results[key] = "verified"
            else:
                results[key] = "not confirmed: the device did not show the change"
        entities.append(entity.model_copy(update={"commands": kept}))
    sensitive = recipe.sensitive or any(is_sensitive(e) for e in recipe.entities)
    return Tried(recipe.model_copy(update={"entities": entities, "sensitive": sensitive}), results)


async def _confirmed(
    client: RecipeClient, entity: RecipeEntity, wanted: dict[str, Any], within: float
) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            seen = {key: await client.read(entity.reads[key]) for key in wanted}
        except (KeyError, ValueError):
            seen = {}
        if seen == wanted:
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.2)


def save_recipe(config_dir: Path, recipe: Recipe, *, second_confirmation: bool = False) -> Path:
    """Write a recipe with verified commands only to `<config>/recipes/<name>.yaml`.

    A sensitive recipe (a lock, an alarm, a garage door) needs `second_confirmation`.
    """
    if recipe.sensitive and not second_confirmation:
        raise PermissionError(f"{recipe.name} is a lock, alarm or garage door: confirm twice")
    unverified = [
        f"{e.key}.{n}" for e in recipe.entities for n, c in e.commands.items() if not c.verified
    ]
    if unverified:
        raise ValueError(f"only verified commands are saved, not {', '.join(unverified)}")
    path = recipe_path(config_dir, recipe)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_recipe(recipe), encoding="utf-8")
    return path


def recipe_path(config_dir: Path, recipe: Recipe) -> Path:
    """Where a recipe is saved: `<config>/recipes/<name>.yaml`."""
    return config_dir / RECIPES_DIR / f"{slugify(recipe.name)}.yaml"
