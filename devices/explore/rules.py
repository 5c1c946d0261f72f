"""What a read-only probe may send: the rules, checked before any request leaves.

A GET is not always harmless: real devices switch on plain GETs (Tasmota's
`/cm?cmnd=Power%20On`, Shelly Gen1's `/relay/0?turn=on`, WLED's `/win&T=1`). So a probe's
path and query are split into words (at punctuation and at lower-to-upper case changes:
`Switch.Set` is `switch set`, `GetStatus` is `get status`) and refused when any word
commands. A query string is allowed only with the keys `id` (which component) and `cmnd`
(only a `Status` read). SOAP actions are allowed only when their name starts with `Get`.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

COMMANDING_WORDS = frozenset(
    {
        "turn",
        "toggle",
        "on",
        "off",
        "set",
        "cmnd",
        "command",
        "reboot",
        "reset",
        "restart",
        "update",
        "upgrade",
        "ota",
        "flash",
        "factory",
        "delete",
        "remove",
        "write",
        "save",
        "apply",
        "open",
        "close",
        "lock",
        "unlock",
        "arm",
        "disarm",
        "play",
        "stop",
        "pause",
        "next",
        "previous",
        "power",
        "win",
        "action",
        "trigger",
        "true",
        "false",
        "start",
        "shutdown",
        "format",
        "erase",
        "pair",
        "unpair",
        "login",
        "logout",
        "auth",
        "password",
        "calibrate",
        "reload",
        "enable",
        "disable",
        "activate",
        "run",
        "exec",
        "execute",
        "do",
        "go",
        "move",
        "dim",
        "brighten",
        "increase",
        "decrease",
        "up",
        "down",
        "mute",
        "unmute",
    }
)
"""Words that command in a path; `cmnd` is allowed only as a query key whose value reads
the status. Queries take only the keys `id` and `cmnd`: Shelly Gen1's `/settings?name=...`
writes with a key of its own."""

ALLOWED_QUERY_KEYS = frozenset({"id", "cmnd"})
_STATUS_READ = re.compile(r"^status( ?\d{1,2})?$", re.IGNORECASE)
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
MAX_PATH = 256


class ProbeRefusedError(ValueError):
    """A request a read-only probe must not send, and why."""


def words(text: str) -> list[str]:
    """The words of a path or a name, lower case (`Switch.GetStatus`: switch get status)."""
    return [w.lower() for w in _WORDS.findall(text)]


def check_path(path: str) -> str:
    """`path` if a read-only GET may send it; `ProbeRefusedError` saying why not.

    It must be a path on the same host (no scheme, no `//host`, no `..`), at most 256
    characters, with no commanding word and a query with allowed keys only.
    """
    if not path.startswith("/") or path.startswith("//"):
        raise ProbeRefusedError(f"{path!r} is not a path on this host")
    if len(path) > MAX_PATH:
        raise ProbeRefusedError(f"a path of {len(path)} characters is longer than {MAX_PATH}")
    if any(ord(c) < 0x21 or ord(c) > 0x7E for c in path):
        raise ProbeRefusedError(f"{path!r} has spaces or characters outside printable ASCII")
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or parts.fragment:
        raise ProbeRefusedError(f"{path!r} is not a path on this host")
    decoded = unquote(parts.path)
    if ".." in decoded.split("/") or "&" in decoded or "=" in decoded or ";" in decoded:
        raise ProbeRefusedError(f"{path!r} hides a command or leaves its folder")
    commanding = [w for w in words(decoded) if w in COMMANDING_WORDS]
    if commanding:
        raise ProbeRefusedError(f"{path!r} has words that command: {', '.join(commanding)}")
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        _check_query(path, key, value)
    return path


def _check_query(path: str, key: str, value: str) -> None:
    if key not in ALLOWED_QUERY_KEYS:
        raise ProbeRefusedError(f"{path!r}: a probe sends no query key {key!r} (only id, cmnd)")
    if key == "cmnd":
        if not _STATUS_READ.match(value):
            raise ProbeRefusedError(f"{path!r}: cmnd only reads the status here, not {value!r}")
        return
    if not value.isdigit() or len(value) > 3:
        raise ProbeRefusedError(f"{path!r}: id is a component number, not {value!r}")


def check_soap_action(action: str) -> str:
    """`action` if a probe may call it: a name starting with Get (`GetPower`)."""
    if not re.fullmatch(r"Get[A-Z][A-Za-z0-9]{0,62}", action):
        raise ProbeRefusedError(f"the SOAP action {action!r} does not read (only Get... actions)")
    return action


def check_document(path: str) -> str:
    """`path` if a probe may fetch it as a UPnP description or SCPD the device itself
    named: a path on the same host, with no query string."""
    parts = urlsplit(path)
    if not path.startswith("/") or path.startswith("//") or parts.scheme or parts.netloc:
        raise ProbeRefusedError(f"{path!r} is not a path on this host")
    if parts.query or parts.fragment or len(path) > MAX_PATH:
        raise ProbeRefusedError(f"{path!r} is not a plain document path")
    if ".." in unquote(parts.path).split("/"):
        raise ProbeRefusedError(f"{path!r} leaves its folder")
    return path
