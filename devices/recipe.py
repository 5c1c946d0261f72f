"""Recipes: a learned device, as data (`config/recipes/*.yaml`), never code.

A recipe names its device by a stable identity (a MAC, a Shelly id, a UPnP UDN), says
where it was last seen, and lists its entities: how to read each state (a GET and a JSON
pointer, or a SOAP `Get...` action and its out-argument, with a value mapping) and how to
carry out each command (a request whose body is JSON data or SOAP arguments, where a
string that is exactly `$name` stands for the command's typed parameter `name`; nothing
else is substituted and nothing is evaluated).

    recipe = load_recipe(path)      # RecipeError with file, line and field
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from devices.capabilities import BinarySensorDeviceClass, CoverDeviceClass, Domain
from devices.capabilities.climate import ClimateDeviceClass
from devices.explore.rules import check_path, check_soap_action

RECIPES_DIR = "recipes"
_PARAMETER = re.compile(r"^\$[a-z_][a-z0-9_]{0,31}$")
_POINTER = re.compile(r"^(/([^/~]|~[01])*)*$")

ValueType = Literal["bool", "int", "float", "string"]
DEVICE_CLASSES: dict[Domain, frozenset[str]] = {
    Domain.COVER: frozenset(CoverDeviceClass),
    Domain.CLIMATE: frozenset(ClimateDeviceClass),
    Domain.BINARY_SENSOR: frozenset(BinarySensorDeviceClass),
}
"""The device classes a recipe's entity of each domain may name."""


class RecipeError(ValueError):
    """A recipe that does not validate: file, line and field in the message."""


class Parameter(BaseModel):
    """A typed parameter of a command."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["bool", "int", "float"]
    minimum: float | None = None
    maximum: float | None = None


class Read(BaseModel):
    """How to read one value: a GET and a JSON pointer, or a SOAP Get action."""

    model_config = ConfigDict(extra="forbid")

    path: str | None = None
    """GET this path (read-only rules apply)."""
    pointer: str | None = None
    """JSON pointer (RFC 6901) into the answer: `/on`, `/seg/0/bri`."""
    soap_action: str | None = None
    """Or call this `Get...` action of the recipe's UPnP service."""
    argument: str | None = None
    """Its out-argument."""
    type: ValueType
    mapping: dict[str, str] = {}
    """Device value (as text: `true`, `1`) to Dobby's value (`on`)."""
    scale: tuple[float, float] | None = None
    """The device's range for a 0-100 percent (`[0, 255]` for WLED's `bri`)."""

    @model_validator(mode="after")
    def _one_way(self) -> Read:
        if self.path is not None:
            check_path(self.path)
            if self.pointer is None or not _POINTER.match(self.pointer):
                raise ValueError("a GET read needs a JSON pointer such as /on")
            if self.soap_action is not None:
                raise ValueError("a read is a GET or a SOAP action, not both")
        elif self.soap_action is not None:
            check_soap_action(self.soap_action)
            if not self.argument:
                raise ValueError("a SOAP read names its out-argument")
        else:
            raise ValueError("a read needs a path (GET) or a soap_action")
        return self


class Command(BaseModel):
    """How to carry out one command of the entity's domain."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["GET", "POST", "PUT", "SOAP"]
    path: str = Field(pattern=r"^/[!-~]*$", max_length=256)
    body: dict[str, Any] | None = None
    """JSON body (POST, PUT) or SOAP arguments; `"$name"` is the parameter `name`."""
    soap_action: str | None = None
    params: dict[str, Parameter] = {}
    verified: bool = False
    """Tried after the household approved, and read back as expected."""

    @model_validator(mode="after")
    def _parameters(self) -> Command:
        used = set(_parameters_in(self.body)) | set(_parameters_in(self.path))
        missing = used - set(self.params)
        if missing:
            raise ValueError(f"uses parameters it does not declare: {', '.join(sorted(missing))}")
        if (self.method == "SOAP") != (self.soap_action is not None):
            raise ValueError("a SOAP command names its soap_action, and only a SOAP command")
        return self


def _parameters_in(value: Any) -> list[str]:
    if isinstance(value, str):
        if value.startswith("$"):
            if not _PARAMETER.match(value):
                raise ValueError(f"{value!r} is not a parameter name ($brightness)")
            return [value[1:]]
        if "{" in value or "$" in value:
            raise ValueError(f"{value!r}: a recipe has no templates, only whole $parameters")
        return []
    if isinstance(value, dict):
        return [p for item in value.values() for p in _parameters_in(item)]
    if isinstance(value, list):
        return [p for item in value for p in _parameters_in(item)]
    return []


class RecipeEntity(BaseModel):
    """One entity the device exposes."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    domain: Domain
    name: str = Field(min_length=1)
    area: str | None = None
    device_class: str | None = None
    """What kind of cover, climate or binary sensor it is (`garage`, `pool_heater`,
    `door`): the policy's confirmations go by it, as for every other device."""
    reads: dict[str, Read] = Field(min_length=1)
    """`state` first; then attributes such as `brightness`."""
    commands: dict[str, Command] = {}

    @model_validator(mode="after")
    def _has_state(self) -> RecipeEntity:
        if "state" not in self.reads:
            raise ValueError("reads needs a `state`")
        if self.device_class is not None:
            classes = DEVICE_CLASSES.get(self.domain)
            if classes is None or self.device_class not in classes:
                known = ", ".join(sorted(classes or ())) or "none"
                raise ValueError(
                    f"a {self.domain.value} has no device class {self.device_class!r}"
                    f" (known: {known})"
                )
        return self


class Identity(BaseModel):
    """How the device is known, wherever its address moves."""

    model_config = ConfigDict(extra="forbid")

    mac: str | None = None
    udn: str | None = None
    device_id: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Identity:
        if not (self.mac or self.udn or self.device_id):
            raise ValueError("give a mac, udn or device_id")
        return self

    @property
    def key(self) -> str:
        """One string for it."""
        return self.mac or self.udn or self.device_id or ""


def identity_of(text: str) -> Identity | None:
    """The stable identity a device reported (a MAC in any spelling, a UDN, an id)."""
    if not text:
        return None
    if text.startswith("uuid:"):
        return Identity(udn=text)
    bare = text.replace(":", "").lower()
    if len(bare) == 12 and all(c in "0123456789abcdef" for c in bare):
        return Identity(mac=":".join(bare[i : i + 2] for i in range(0, 12, 2)))
    return Identity(device_id=text)


class Recipe(BaseModel):
    """A learned device."""

    model_config = ConfigDict(extra="forbid")

    recipe: Literal[1] = 1
    name: str = Field(min_length=1)
    family: str | None = None
    identity: Identity
    host: str
    port: int = Field(default=80, ge=1, le=65535)
    upnp_service: str | None = None
    """The UPnP service type its SOAP reads and commands use."""
    upnp_control: str | None = Field(default=None, pattern=r"^/[!-~]*$", max_length=256)
    """That service's control path."""
    poll_interval: float = Field(default=30.0, ge=2.0, le=3600.0)
    sensitive: bool = False
    """A lock, alarm or garage door: saved only after a second confirmation."""
    entities: list[RecipeEntity] = Field(min_length=1)

    @model_validator(mode="after")
    def _soap_needs_service(self) -> Recipe:
        uses_soap = any(r.soap_action for e in self.entities for r in e.reads.values()) or any(
            c.method == "SOAP" for e in self.entities for c in e.commands.values()
        )
        if uses_soap and not (self.upnp_service and self.upnp_control):
            raise ValueError("SOAP reads and commands need upnp_service and upnp_control")
        return self


def _line_of(text: str, location: tuple[int | str, ...]) -> int | None:
    """The line of the field at `location` in the YAML text, if it can be found."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for part in location:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            match = node.value[part] if part < len(node.value) else None
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1
    return line


def parse_recipe(text: str, where: str) -> Recipe:
    """A recipe from YAML text; `RecipeError` naming `where`, the line and the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None else ""
        raise RecipeError(f"{where}{at}: not YAML ({error})") from None
    try:
        return Recipe.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        location = tuple(first["loc"])
        field = ".".join(str(p) for p in location) or "(top)"
        found = _line_of(text, location)
        at = f":{found}" if found is not None else ""
        raise RecipeError(f"{where}{at}: {field}: {first['msg']}") from None


def load_recipe(path: Path) -> Recipe:
    """Read one recipe file."""
    return parse_recipe(path.read_text(encoding="utf-8"), str(path))


def load_recipes(config_dir: Path) -> list[Recipe]:
    """Every recipe of `<config>/recipes/` (none if the folder is absent)."""
    folder = config_dir / RECIPES_DIR
    if not folder.is_dir():
        return []
    return [load_recipe(path) for path in sorted(folder.glob("*.yaml"))]


def dump_recipe(recipe: Recipe) -> str:
    """The recipe as YAML, as it is saved."""
    data = recipe.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
