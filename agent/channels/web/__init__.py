"""The household's web page: the house at a glance, chat, routines and the audit trail.

Served by `dobby run` and `dobby demo` on the same aiohttp server as `/healthz`
(`agent.channels.web.channel.WebChannel`). Only household members get in: a one-time
sign-in link (`/web` in chat, `dobby members invite --web`) opens a session kept in an
HttpOnly, SameSite=Lax cookie; every control goes through the same policy as chat.

This module stays light (the command line imports it for the link): the page itself, with
Jinja2, loads only where it is served.
"""

from __future__ import annotations

import socket

from agent.config import ChannelSettings

SIGN_IN_PATH = "/signin/"


def base_url(settings: ChannelSettings, port: int | None = None) -> str:
    """Where the page is reached: `DOBBY_WEB_URL`, else this service's own address."""
    if settings.web_url:
        return settings.web_url.rstrip("/")
    host = settings.http_host
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - naming, not binding
        host = socket.gethostname()
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port if port is not None else settings.http_port}"


def sign_in_url(settings: ChannelSettings, secret: str, port: int | None = None) -> str:
    """The one-time sign-in link that carries `secret`."""
    return f"{base_url(settings, port)}{SIGN_IN_PATH}{secret}"
