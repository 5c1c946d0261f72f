"""Loading and checking the config dir: home.yaml and routines.yaml.

Every problem is reported as one message naming the file, the line and the field, and
saying what was expected. Secrets never live here: they come from the environment.
"""

from __future__ import annotations

import difflib
import locale
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from devices.capabilities import Domain
from devices.explore.portscan import TcpScanConfig, local_network
from devices.lan import interface_addresses
from skills.actions import Role
from skills.policy import PolicyConfig
from skills.routines import Duration, RoutinesFile, find_problems
from skills.scheduler import SchedulerSettings
from skills.sun import Location

HOME_FILE = "home.yaml"
ROUTINES_FILE = "routines.yaml"

_Model = TypeVar("_Model", bound=BaseModel)


class ConfigError(Exception):
    """A config file is wrong; the message names the file, the line and the field."""

    def __init__(self, file: Path, line: int | None, field: str, problem: str) -> None:
        self.file, self.line, self.field, self.problem = file, line, field, problem
        where = f"{file}:{line}" if line is not None else str(file)
        label = f" {field}:" if field else ""
        super().__init__(f"{where}:{label} {problem}")


class FloorConfig(BaseModel):
    """A floor of the house."""

    model_config = ConfigDict(extra="forbid")

    name: str
    aliases: list[str] = []
    level: int | None = None


class AreaConfig(BaseModel):
    """A room or part of the grounds."""

    model_config = ConfigDict(extra="forbid")

    name: str
    floor: str | None = None
    aliases: list[str] = []


class EntityConfig(BaseModel):
    """What the household says about one entity, over what its device proposed."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    area: str | None = None
    aliases: list[str] = []


class MemberConfig(BaseModel):
    """A household member: an id on a channel and a role."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """`telegram:<user id>`, `whatsapp:<phone number>`."""
    name: str
    role: Role = Role.MEMBER


class DiscoveryConfig(BaseModel):
    """Where to look for devices."""

    model_config = ConfigDict(extra="forbid")

    interfaces: list[str] | None = None
    """The interfaces to discover on, by IPv4 address or name (`eth0`); unset means every
    LAN interface."""

    @field_validator("interfaces")
    @classmethod
    def _exist(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            interface_addresses(value)  # ValueError names the one that does not exist
        return value

    def addresses(self) -> list[str] | None:
        """The IPv4 addresses of the configured interfaces (None: every LAN interface)."""
        return None if self.interfaces is None else interface_addresses(self.interfaces)


class ExploreConfig(BaseModel):
    """`explore:` in home.yaml: what `dobby explore` may do beyond listening."""

    model_config = ConfigDict(extra="forbid")

    tcp_scan: TcpScanConfig = TcpScanConfig()
    """A TCP connect scan of a few well-known ports on these subnets (off unless enabled;
    local ranges only, whatever is written here)."""

    @field_validator("tcp_scan")
    @classmethod
    def _local(cls, value: TcpScanConfig) -> TcpScanConfig:
        for subnet in value.subnets:
            local_network(subnet)  # OutsideLocalNetworkError (a ValueError) names it
        return value


class McpServerConfig(BaseModel):
    """An MCP server whose tools the LLM agent may use, under `mcp_servers:` in home.yaml.

    Its tools read the world (a weather forecast); they cannot change the house: every
    change still goes through Dobby's own tools and policy. Only the tools listed in
    `tools` are shown to the model.
    """

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    """A streamable-HTTP server: `http://127.0.0.1:8000/mcp`."""
    command: str | None = None
    """Or a program that serves MCP on stdio."""
    args: list[str] = []
    env: list[str] = []
    """Names of environment variables handed to the program (values stay out of YAML)."""
    token_env: str | None = None
    """An environment variable holding a bearer token for `url`."""
    tools: list[str] = Field(min_length=1)
    """The tools the model may call (an allow-list; the rest stay hidden)."""

    @model_validator(mode="after")
    def _one_way(self) -> McpServerConfig:
        if (self.command is None) == (self.url is None):
            raise ValueError("give either `url` or `command`")
        return self


class TemplateConfig(BaseModel):
    """A WhatsApp message template approved for the business number, by name and language."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[a-z0-9_]+$")
    """As submitted in WhatsApp Manager: lower case, digits and underscores."""
    language: str = Field(default="en", min_length=2)
    """The language code it was approved in (`en`, `en_US`, `de`)."""


class TemplatesConfig(BaseModel):
    """The templates Dobby sends to a member who has not written in the last 24 hours."""

    model_config = ConfigDict(extra="forbid")

    notice: TemplateConfig | None = None
    """One text parameter (`{{1}}`) that carries the notice: `dobby_notice`."""
    approval: TemplateConfig | None = None
    """One text parameter for the question, and two quick-reply buttons, Approve and Deny
    (in that order): `dobby_approval`."""

    def missing(self) -> list[str]:
        """The kinds of template not configured."""
        return [kind for kind in ("notice", "approval") if getattr(self, kind) is None]


class WhatsAppConfig(BaseModel):
    """How Dobby uses WhatsApp, under `whatsapp:` in home.yaml (its secrets stay in the
    environment)."""

    model_config = ConfigDict(extra="forbid")

    templates: TemplatesConfig = TemplatesConfig()
    alarm_delivered_within: Duration = Field(default=120.0, gt=0)
    """An alarm notice not delivered to anyone within this long is sent again as a template
    and to every other member (`2m`)."""


class AssistantConfig(BaseModel):
    """What the household calls its assistant."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="Dobby", min_length=1)
    """The name people address it by ("Dobby, it's sleepy time"); ignored when reading."""


class BusConfig(BaseModel):
    """The `bus` section of home.yaml: Dobby's entities on the MQTT broker."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    base_topic: str = "dobby"
    discovery_prefix: str = "homeassistant"
    member: str | None = None
    """The household member the bus acts as, by id (one of `members:`): their role says what
    a command from the bus may do, and the audit log names them. Required when enabled: with
    nobody named, every command from the bus is refused."""
    sensitive: Literal["refuse", "allow"] = "refuse"
    """Sensitive commands from the bus: refused (nobody can approve them there), or allowed."""
    domains: list[Domain] = [
        Domain.LIGHT,
        Domain.SWITCH,
        Domain.COVER,
        Domain.LOCK,
        Domain.SENSOR,
        Domain.BINARY_SENSOR,
        Domain.CLIMATE,
        Domain.ALARM_PANEL,
        Domain.MEDIA_PLAYER,
        Domain.NUMBER,
    ]
    """The kinds of entity published."""


class HomeConfig(BaseModel):
    """The shape of home.yaml."""

    model_config = ConfigDict(extra="forbid")

    name: str = "Home"
    assistant: AssistantConfig = AssistantConfig()
    language: str = "en"
    """The household's language: one of Home Assistant's sentence languages."""
    temperature_unit: Literal["°C", "°F"] = "°C"
    floors: list[FloorConfig] = []
    areas: list[AreaConfig] = []
    entities: dict[str, EntityConfig] = {}
    members: list[MemberConfig] = []
    discovery: DiscoveryConfig = DiscoveryConfig()
    explore: ExploreConfig = ExploreConfig()
    """The device explorer's optional TCP scan."""
    adapters: dict[str, dict[str, Any]] = {}
    """Settings per adapter, checked against each adapter's own config model."""
    policy: PolicyConfig = PolicyConfig()
    location: Location | None = None
    """Latitude, longitude and time zone: for sunrise/sunset and every schedule's clock."""
    schedules: SchedulerSettings = SchedulerSettings()
    """`grace`: how late a run missed while Dobby was down may still run."""
    model: str | None = None
    """The LLM for what local understanding misses, a pydantic-ai model string
    (`anthropic:claude-sonnet-4-5`, `openai:gpt-4o`, `ollama:llama3`); `DOBBY_MODEL` wins."""
    model_base_url: str | None = None
    """An OpenAI-compatible server for `model` (Ollama, llama.cpp, vLLM): `http://host:port/v1`."""
    llm_first: bool = False
    """Send every sentence to the model, not only what local understanding misses."""
    mcp_servers: dict[str, McpServerConfig] = {}
    """MCP servers whose allowed tools the LLM agent may use, by a short name."""
    whatsapp: WhatsAppConfig = WhatsAppConfig()
    """The approved templates for notices outside the 24-hour window, and the alarm's bound."""
    bus: BusConfig = BusConfig()
    """Dobby's own entities on the MQTT broker (agent.bus); off unless enabled."""

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        from home_assistant_intents import get_languages

        known: list[str] = get_languages()
        if value in known:
            return value
        same = {k.casefold(): k for k in known}
        if value.casefold() in same:
            return same[value.casefold()]
        named = locale.locale_alias.get(value.casefold(), "").split(".")[0].split("_")[0]
        nearest = [named] if named in known else []  # "english" → en, "deutsch" → de
        nearest += difflib.get_close_matches(value, known, n=4, cutoff=0.3)
        nearest = list(dict.fromkeys(nearest))[:4] or ["en", "de"]
        raise ValueError(
            f"Dobby has no sentences for {value!r}; the nearest it has: {', '.join(nearest)}"
        )


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The data of a YAML document and its node tree (for line numbers), read safely.

    libyaml's loader (C) where PyYAML has it: the same data and line marks, several times
    faster. Raises yaml.YAMLError.
    """
    loader = _SAFE_LOADER(text)
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), root
    finally:
        loader.dispose()


@dataclass
class YamlDocument:
    """A parsed YAML file that remembers where each value stood."""

    path: Path
    data: Any
    root: yaml.Node | None

    @classmethod
    def read(cls, path: Path) -> YamlDocument:
        """Parse a file, turning YAML syntax errors into a ConfigError."""
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise ConfigError(path, None, "", f"cannot be read: {error.strerror}") from None
        if b"\0" in raw:
            at = raw[: raw.index(b"\0")].count(b"\n") + 1
            raise ConfigError(path, at, "", "holds a NUL byte: it is not a text file")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            at = raw[: error.start].count(b"\n") + 1
            byte = raw[error.start]
            raise ConfigError(
                path, at, "", f"is not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8"
            ) from None
        try:
            data, root = parse_yaml(text)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark
            line = mark.line + 1 if mark is not None else None
            raise ConfigError(path, line, "", f"is not valid YAML: {error.problem}") from None
        except yaml.YAMLError as error:
            raise ConfigError(path, None, "", f"is not valid YAML: {error}") from None
        except RecursionError:
            raise ConfigError(path, None, "", "is nested too deeply to be read") from None
        return cls(path, data if data is not None else {}, root)

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """The line of the value at `loc` (or of its nearest parent that exists)."""
        node, line = self.root, 1
        for part in loc:
            if node is None:
                break
            line = node.start_mark.line + 1
            node = _child(node, part)
        if node is not None:
            line = node.start_mark.line + 1
        return line if self.root is not None else None

    def error(self, loc: Sequence[str | int], problem: str) -> ConfigError:
        """A ConfigError for the value at `loc`."""
        where = [part for part in loc if not _is_type_tag(part)]
        return ConfigError(self.path, self.line_of(where), _dotted(where), problem)

    def validate(self, model: type[_Model], loc: Sequence[str | int] = ()) -> _Model:
        """Validate the value at `loc` against a model; the first problem is raised."""
        value = self.data
        for part in loc:
            value = value[part]
        try:
            return model.model_validate(value)
        except ValidationError as error:
            first = error.errors()[0]
            where = [*loc, *first["loc"]]
            raise self.error(where, _explain(first)) from None


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        pairs: list[tuple[yaml.Node, yaml.Node]] = node.value
        for key, value in pairs:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return value
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        items: list[yaml.Node] = node.value
        return items[part] if 0 <= part < len(items) else None
    return None


_TYPE_TAG = re.compile(r"^(?:[a-z-]+\[.*\]|[a-z][a-z-]*)$")
_TYPE_NAMES = frozenset(
    {"str", "int", "float", "bool", "list", "dict", "none", "literal", "enum", "is-instance"}
)


def _is_type_tag(part: str | int) -> bool:
    """Whether a part of a pydantic error location names a member of a union (`literal[...]`,
    `function-before[...]`, `str`): pydantic's words, not the user's field."""
    if not isinstance(part, str):
        return False
    return ("[" in part and bool(_TYPE_TAG.match(part))) or part in _TYPE_NAMES


def _dotted(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        if _is_type_tag(part):
            continue
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _explain(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "is required but missing"
    expected = {
        "string_type": "a text",
        "int_parsing": "a whole number",
        "int_type": "a whole number",
        "float_parsing": "a number",
        "bool_parsing": "true or false",
        "list_type": "a list",
        "dict_type": "a mapping of names to values",
        "model_type": "a mapping of names to values",
        "enum": "one of the allowed values",
        "literal_error": "one of the allowed values",
    }.get(kind)
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"expected {expected} ({message})" if expected else message


@dataclass
class Config:
    """The whole config dir, checked."""

    directory: Path
    home: HomeConfig
    routines: RoutinesFile
    home_doc: YamlDocument


def load_config(directory: Path) -> Config:
    """Read and check home.yaml and routines.yaml in a config dir."""
    if not directory.is_dir():
        raise ConfigError(directory, None, "", "is not a directory")
    home_path = directory / HOME_FILE
    home_doc = (
        YamlDocument.read(home_path) if home_path.exists() else YamlDocument(home_path, {}, None)
    )
    if not isinstance(home_doc.data, dict):
        raise home_doc.error([], "expected a mapping of settings at the top")
    home = home_doc.validate(HomeConfig)
    _check_places(home, home_doc)
    _check_bus(home, home_doc)

    routines_path = directory / ROUTINES_FILE
    routines = RoutinesFile()
    if routines_path.exists():
        routines_doc = YamlDocument.read(routines_path)
        routines = routines_doc.validate(RoutinesFile)
        _check_routines(routines, routines_doc, home)
    return Config(directory, home, routines, home_doc)


def _names(items: Sequence[FloorConfig] | Sequence[AreaConfig]) -> set[str]:
    return {n.casefold() for item in items for n in (item.name, *item.aliases)}


def _check_places(home: HomeConfig, doc: YamlDocument) -> None:
    floors = _names(home.floors)
    for index, area in enumerate(home.areas):
        if area.floor is not None and area.floor.casefold() not in floors:
            known = ", ".join(f.name for f in home.floors) or "none defined"
            raise doc.error(
                ["areas", index, "floor"], f"unknown floor {area.floor!r} (floors: {known})"
            )
    areas = _names(home.areas)
    for entity_id, entity in home.entities.items():
        if entity.area is not None and entity.area.casefold() not in areas:
            known = ", ".join(a.name for a in home.areas) or "none defined"
            raise doc.error(
                ["entities", entity_id, "area"], f"unknown area {entity.area!r} (areas: {known})"
            )


def _check_bus(home: HomeConfig, doc: YamlDocument) -> None:
    """The bus acts as a household member of home.yaml: named, and one of `members:`."""
    if not home.bus.enabled:
        return
    known = ", ".join(m.id for m in home.members) or "none defined"
    if home.bus.member is None:
        raise doc.error(
            ["bus", "member"],
            "is required with the bus enabled: the id of the household member whose rights "
            f"apply to commands from MQTT (members: {known})",
        )
    if home.bus.member not in {m.id for m in home.members}:
        raise doc.error(["bus", "member"], f"unknown member {home.bus.member!r} (members: {known})")


def _check_routines(routines: RoutinesFile, doc: YamlDocument, home: HomeConfig) -> None:
    for problem in find_problems(routines.routines):
        raise doc.error(problem.loc, problem.message)
    for index, routine in enumerate(routines.routines):
        for number, schedule in enumerate(routine.schedules):
            if schedule.sun is not None and home.location is None:
                raise doc.error(
                    ["routines", index, "schedules", number, "sun"],
                    "sunrise and sunset need `location:` (latitude, longitude, time_zone) "
                    "in home.yaml",
                )


class ChannelSettings(BaseSettings):
    """The chat channels and the service's HTTP port, from the environment (or `.env`).

    Tokens and secrets live only here, never in YAML, and are never logged.
    """

    model_config = SettingsConfigDict(env_prefix="DOBBY_", env_file=".env", extra="ignore")

    telegram_token: SecretStr | None = Field(default=None, repr=False)
    """The bot token BotFather gave; Telegram is off without it."""
    telegram_base_url: str = "https://api.telegram.org/bot"
    """The Bot API (a local Bot API server, or a fake one in tests)."""
    telegram_chat_id: int | None = None
    """The household chat for notices; unset means every Telegram member's private chat."""
    telegram_webhook_url: str | None = None
    """Public URL of `/telegram` on this service; unset means polling."""
    telegram_webhook_secret: SecretStr | None = Field(default=None, repr=False)
    telegram_poll_timeout: float = Field(default=10.0, ge=0)
    """Seconds one long poll for updates waits."""
    whatsapp_token: SecretStr | None = Field(default=None, repr=False)
    """A Cloud API access token; WhatsApp is off without it."""
    whatsapp_app_secret: SecretStr | None = Field(default=None, repr=False)
    """Checks `X-Hub-Signature-256` on every delivery."""
    whatsapp_verify_token: SecretStr | None = Field(default=None, repr=False)
    """The token Meta sends in the webhook's verify handshake."""
    whatsapp_phone_number_id: str | None = None
    whatsapp_business_account_id: str | None = None
    """The WhatsApp Business Account's id: `dobby config check` reads which templates it
    has approved (optional)."""
    whatsapp_graph_url: str = "https://graph.facebook.com/v21.0"
    http_host: str = "127.0.0.1"
    """Where `/healthz` and the webhooks listen: this machine only, unless set otherwise
    (`0.0.0.0` for every interface); put a reverse proxy with HTTPS in front for webhooks."""
    http_port: int = Field(default=8790, ge=0, le=65535)
    announce_url: str | None = None
    """Where speakers fetch announcements from: this service as the speakers on the LAN
    reach it (`http://192.168.1.20:8790`). Unset: `DOBBY_HTTP_HOST` and the port, or, when
    that is every interface (`0.0.0.0`) or this machine only (the default), the first
    interface discovery runs on, where the clips alone are then served on the same port."""
    mcp_allowed_origins: str = ""
    """Origins besides this machine's whose pages may call `/mcp` (comma-separated,
    `https://dobby.example`); a request from any other origin is refused."""
    web: bool = True
    """Serve the household's web page (`DOBBY_WEB=false` turns it off)."""
    web_url: str | None = None
    """Where members reach the page, for sign-in links (`https://dobby.example.net`, behind
    a reverse proxy with HTTPS); unset means this service's own address. An https URL makes
    the session cookie Secure."""
