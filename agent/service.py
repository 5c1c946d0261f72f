"""`dobby run`: the household's long-running service.

It starts what the config names (adapters, discovery, the scheduler when there is one,
the chat channels that have their secrets set), serves `/healthz`, the webhooks, the
MCP server (`/mcp`, `agent.channels.mcp`) and the household's web page
(`agent.channels.web`) on one aiohttp server, tells the household when a device goes
offline or comes back, and stops gracefully on SIGTERM: channels stop taking messages,
finish the ones in hand, then the house and its connections close.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import os
import secrets
import signal
import time
from collections.abc import Callable, Collection
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from agent.app import Dobby, collection_paused, freeze_startup_objects
from agent.channels.mcp.lazy import LazyMcpEndpoint
from agent.channels.members import Members
from agent.channels.redact import hide_secrets
from agent.channels.seen import SeenMessages
from agent.channels.telegram_import import telegram_channel
from agent.config import ChannelSettings, Config
from devices.announcements import Announcements
from devices.background import Background
from devices.plugin import LoadedAdapters
from devices.registry import Change, Registry
from devices.ssdp import ipv4_interfaces
from skills.database import database_path
from skills.notifications import Notice, NoticeKind, Notifications

if TYPE_CHECKING:
    from agent.channels.mcp.http import McpEndpoint
    from agent.channels.web.channel import WebChannel
    from agent.channels.whatsapp import Windows

_LOGGER = logging.getLogger(__name__)


class SettingsError(Exception):
    """A channel's settings are incomplete; the message names the missing variables."""


class PortTakenError(SettingsError):
    """The HTTP port the settings name is taken by another program."""


class Channel(Protocol):
    """What the service needs of a chat channel."""

    async def start(self) -> None:
        """Start taking messages."""

    async def stop(self) -> None:
        """Stop taking messages, finish the ones in hand."""

    web_link: Callable[[str], str] | None
    """Makes a member's one-time sign-in link for the web page (`/web` in chat)."""


class DeviceWatch:
    """Publishes a notice when a known device goes offline or comes back."""

    def __init__(self, registry: Registry, notifications: Notifications) -> None:
        self.registry, self.notifications = registry, notifications
        self._known: dict[str, bool] = {}
        self._notices = Background()
        self._stop = registry.listen(self._changed)

    def _changed(self, change: Change) -> None:
        device = self.registry.devices.get(change.entity.device_id)
        if device is None:
            return
        before = self._known.get(device.id)
        self._known[device.id] = device.available
        if before is None or before == device.available:
            return
        if device.available:
            text = f"{device.info.name} is back online."
        else:
            reason = f": {device.unavailable_reason}" if device.unavailable_reason else "."
            text = f"{device.info.name} went offline{reason}"
        self._notices.spawn(self.notifications.publish(Notice(NoticeKind.DEVICE, text)))

    async def close(self) -> None:
        """Stop watching; deliver the notices already on their way."""
        self._stop()
        await self._notices.finish()


class HeapFreezer:
    """Freezes the start-up heap once ready, and again once newly found devices settle.

    Setting up an adapter's first device loads its client library (many long-lived
    objects); freezing those too keeps later full collections short (`freeze_startup_objects`).
    """

    def __init__(self, registry: Registry, settle: float = 5.0) -> None:
        self.registry, self.settle = registry, settle
        self._seen = len(registry.devices)
        self._timer: asyncio.TimerHandle | None = None
        self._stop = registry.listen(self._changed)

    def freeze(self) -> None:
        """Collect once and freeze everything alive now."""
        self._timer = None
        freeze_startup_objects()

    def _changed(self, change: Change) -> None:
        if len(self.registry.devices) <= self._seen:
            return
        self._seen = len(self.registry.devices)
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(self.settle, self.freeze)

    def close(self) -> None:
        """Stop watching."""
        self._stop()
        if self._timer is not None:
            self._timer.cancel()


def secrets_of(settings: ChannelSettings) -> list[str]:
    """Every secret value in the settings, to keep out of logs."""
    values = [
        settings.telegram_token,
        settings.telegram_webhook_secret,
        settings.whatsapp_token,
        settings.whatsapp_app_secret,
        settings.whatsapp_verify_token,
    ]
    return [v.get_secret_value() for v in values if v is not None]


WEBHOOK_SECRET_FILE = "telegram-webhook-secret"  # noqa: S105 - a file name


def telegram_webhook_secret(settings: ChannelSettings, state_dir: Path) -> str:
    """The secret Telegram sends with every webhook update.

    `DOBBY_TELEGRAM_WEBHOOK_SECRET` if set; otherwise one made once and kept in the state
    dir (readable by its owner only), so webhook mode never runs without a secret.
    """
    if settings.telegram_webhook_secret is not None:
        return settings.telegram_webhook_secret.get_secret_value()
    path = state_dir / WEBHOOK_SECRET_FILE
    try:
        kept = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        kept = ""
    if kept:
        return kept
    state_dir.mkdir(parents=True, exist_ok=True)
    made = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(made)
    return made


EVERY_INTERFACE = ("", "0.0.0.0", "::")  # noqa: S104 - read, not bound


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def announce_base_url(settings: ChannelSettings, port: int, interfaces: list[str]) -> str:
    """Where speakers fetch announcements: `DOBBY_ANNOUNCE_URL`, else the address the service
    listens on, or the first interface discovery runs on when it listens on every one or on
    this machine only (speakers cannot fetch from a loopback address: the clips alone are
    then served there too, see `clip_host`)."""
    if settings.announce_url:
        return settings.announce_url
    host = settings.http_host
    if (host in EVERY_INTERFACE or is_loopback(host)) and interfaces:
        host = interfaces[0]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def clip_host(settings: ChannelSettings, interfaces: list[str]) -> str | None:
    """The address where announcement clips need a listener of their own: the first
    discovery interface when the service listens on this machine only (the web page and the
    webhooks stay there; a speaker on the LAN fetches its clip here). None when the service
    listens there already, or everywhere, or `DOBBY_ANNOUNCE_URL` says where clips are."""
    host = settings.http_host
    if settings.announce_url or not interfaces or not is_loopback(host):
        return None
    return None if interfaces[0] == host else interfaces[0]


class Service:
    """Dobby as a service: the house, the channels and the HTTP endpoints."""

    def __init__(
        self,
        config: Config,
        state_dir: Path,
        settings: ChannelSettings | None = None,
        *,
        interfaces: list[str] | None = None,
        loaded: LoadedAdapters | None = None,
        only_hosts: Collection[str] | None = None,
        serve_http: bool = True,
        any_port_if_taken: bool = False,
    ) -> None:
        self.config, self.state_dir = config, state_dir
        self.serve_http = serve_http
        """Listen on `DOBBY_HTTP_HOST`; off for `dobby mcp`, which talks over stdio."""
        self.any_port_if_taken = any_port_if_taken
        """Listen on any free port when `DOBBY_HTTP_PORT` is taken (the demo, on the
        default port: a second demo on one machine); else a taken port is `PortTakenError`."""
        self.settings = settings if settings is not None else ChannelSettings()
        self._options: dict[str, Any] = {
            "interfaces": interfaces,
            "loaded": loaded,
            "only_hosts": only_hosts,
        }
        self.dobby: Dobby | None = None
        self.members: Members | None = None
        self.channels: dict[str, Channel] = {}
        self.ready_after: float | None = None
        """Seconds from start() to ready."""
        self._state = "starting"
        self._watch: DeviceWatch | None = None
        self._freezer: HeapFreezer | None = None
        self._runner: web.AppRunner | None = None
        self._clip_runner: web.AppRunner | None = None
        """The announcement clips' own listener, where speakers reach Dobby (`clip_host`)."""
        self._serving = False
        self._seen: SeenMessages | None = None
        self._windows: Windows | None = None
        self.mcp: LazyMcpEndpoint | None = None
        self.web: WebChannel | None = None
        """The household's web page, unless `DOBBY_WEB=false`."""
        self.announcements: Announcements | None = None
        """The speakers' announcement clips, served beside `/healthz` (not without HTTP)."""
        if serve_http:
            self.announcements = Announcements(self.announce_url, language=config.home.language)
            self._options["announcements"] = self.announcements
        hidden = secrets_of(self.settings)
        self._telegram_secret: str | None = None
        if self.settings.telegram_token is not None and self.settings.telegram_webhook_url:
            self._telegram_secret = telegram_webhook_secret(self.settings, state_dir)
            hidden.append(self._telegram_secret)
        self._unhide = hide_secrets(hidden)

    @property
    def port(self) -> int:
        """The port `/healthz` and the webhooks listen on."""
        assert self._runner is not None
        return int(self._runner.addresses[0][1])

    def announce_url(self) -> str:
        """Where speakers reach this service for announcements (`DOBBY_ANNOUNCE_URL`)."""
        return announce_base_url(self.settings, self.port, self._interfaces())

    def _interfaces(self) -> list[str]:
        """The addresses discovery runs on (the first is where speakers reach Dobby)."""
        given: list[str] | None = self._options["interfaces"]
        return given or self.config.home.discovery.addresses() or ipv4_interfaces()

    async def start(self) -> None:
        """Start the HTTP server (answering 503 until ready), the house and the channels."""
        started = time.perf_counter()
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        if self.announcements is not None:
            self.announcements.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        # The house, the channels' libraries and what starting them makes: mostly
        # long-lived. Collections while they are made would only traverse them again and
        # again; one collection, then a freeze, follows ready (below).
        with collection_paused():
            await self._start(app)
        assert self.dobby is not None
        assert self._freezer is not None
        self._state = "ok"
        self.ready_after = time.perf_counter() - started
        # Collecting and freezing the start-up heap changes nothing a message can see, so it
        # runs just after ready rather than before it.
        asyncio.get_running_loop().call_soon(self._freezer.freeze)
        _LOGGER.warning(
            "Dobby is ready in %.2f s: %d adapters, channels: %s, /healthz and /mcp on port %s",
            self.ready_after,
            len(self.dobby.adapters),
            ", ".join(self.channels) or "none",
            self.port if self.serve_http else "none",
        )

    async def _start(self, app: web.Application) -> None:
        """Build the house and the channels, then start the server, the house and them."""
        assert self._runner is not None
        self.dobby = Dobby(self.config, self.state_dir, **self._options)
        self.members = self.dobby.members
        self._watch = DeviceWatch(self.dobby.registry, self.dobby.notifications)
        self._freezer = HeapFreezer(self.dobby.registry)
        self._make_channels(app)
        if self.serve_http:
            self._add_mcp(app)
            self._make_web(app)
        # Notices published before the channels are up (a missed schedule) wait for them.
        self.dobby.notifications.expect(self.channels)
        await self._runner.setup()
        self._serving = True
        if self.serve_http:
            await self._listen(self._runner)
            await self._listen_for_clips()
        if self.mcp is not None:
            await self.mcp.start()
        # adapters, discovery, pollers and the scheduled routines; the heap is frozen once ready
        await self.dobby.start(freeze=False)
        for name, channel in self.channels.items():
            try:
                await channel.start()
            except Exception:
                _LOGGER.exception("The %s channel failed to start; the rest goes on", name)
        if self.web is not None:
            await self.web.start()

    def _make_channels(self, app: web.Application) -> None:
        assert self.dobby is not None
        assert self.members is not None
        settings = self.settings
        if settings.telegram_token is None and settings.whatsapp_token is None:
            return
        self._seen = SeenMessages(database_path(self.state_dir))
        if settings.telegram_token is not None:
            try:
                telegram = telegram_channel()(
                    self.dobby, self.members, settings, self._seen, self._telegram_secret
                )
            except ValueError as error:
                raise SettingsError(str(error)) from None
            telegram.add_routes(app)
            self.channels["telegram"] = telegram
        if settings.whatsapp_token is not None:
            from agent.channels.whatsapp import WhatsAppChannel, Windows
            from agent.channels.whatsapp.voice import transcriber_from_environment

            self._windows = Windows(database_path(self.state_dir))
            try:
                whatsapp = WhatsAppChannel(
                    self.dobby,
                    self.members,
                    settings,
                    self._seen,
                    self._windows,
                    transcriber_from_environment(),
                )
            except ValueError as error:
                raise SettingsError(str(error)) from None
            whatsapp.add_routes(app)
            self.channels["whatsapp"] = whatsapp

    # -- the MCP server over HTTP (agent.channels.mcp) ------------------------------------

    def _add_mcp(self, app: web.Application) -> None:
        """`/mcp`: the house as an MCP server, for members with a bearer token (the SDK is
        loaded by the first request: agent/channels/mcp/lazy.py)."""
        dobby = self.dobby
        assert dobby is not None
        origins = [o.strip() for o in self.settings.mcp_allowed_origins.split(",") if o.strip()]

        def build() -> McpEndpoint:
            from agent.channels.mcp.http import McpEndpoint
            from agent.channels.mcp.server import HouseServer

            return McpEndpoint(HouseServer(dobby), dobby.members, allowed_origins=origins)

        self.mcp = LazyMcpEndpoint(build)
        self.mcp.add_routes(app)

    async def _stop_mcp(self) -> None:
        """End MCP sessions and streams first: the HTTP server waits for open requests."""
        if self.mcp is not None:
            await self.mcp.stop()

    # -- the web page (issue 16) ----------------------------------------------------------

    def _make_web(self, app: web.Application) -> None:
        """The household's page on this server; chat channels hand out its sign-in links."""
        assert self.dobby is not None
        assert self.members is not None
        if not self.settings.web:
            return
        from agent.channels.web.channel import WebChannel

        self.web = WebChannel(self.dobby, self.members, self.settings, port=lambda: self.port)
        self.web.add_routes(app)
        for channel in self.channels.values():
            channel.web_link = self.web.link

    def sign_in_link(self, member_id: str) -> str:
        """A one-time sign-in link to the web page (MembershipError for a stranger)."""
        assert self.web is not None, "the web page is off (DOBBY_WEB=false)"
        return self.web.link(member_id)

    # ------------------------------------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.Response:
        """200 with a summary when running; 503 while starting or stopping."""
        body: dict[str, Any] = {"status": self._state, "channels": sorted(self.channels)}
        if self.dobby is not None:
            entities = self.dobby.registry.entities.values()
            body["entities"] = len(entities)
            body["unavailable"] = sum(1 for e in entities if not e.available)
        return web.json_response(body, status=200 if self._state == "ok" else 503)

    async def stop(self) -> None:
        """Stop taking messages, finish what is in hand, close every connection."""
        self._state = "stopping"
        if self.web is not None:
            await self.web.stop()  # open pages' streams end, so the server can close
        for name, channel in self.channels.items():
            try:
                await channel.stop()
            except Exception:
                _LOGGER.exception("The %s channel did not stop cleanly", name)
        if self._watch is not None:
            await self._watch.close()
        if self._freezer is not None:
            self._freezer.close()
        await self._stop_mcp()
        if self.dobby is not None:
            await self.dobby.stop()
        if self._clip_runner is not None:
            await self._clip_runner.cleanup()
            self._clip_runner = None
        if self._runner is not None and self._serving:
            await self._runner.cleanup()
        if self._seen is not None:
            self._seen.close()
        if self._windows is not None:
            self._windows.close()
        self._unhide()

    async def _listen(self, runner: web.AppRunner) -> None:
        """Serve HTTP on `DOBBY_HTTP_HOST:DOBBY_HTTP_PORT` (see `any_port_if_taken`)."""
        host, port = self.settings.http_host, self.settings.http_port
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            if not self.any_port_if_taken:
                raise PortTakenError(
                    f"port {port} on {host} is taken by another program: stop it, or set"
                    " DOBBY_HTTP_PORT to a free port."
                ) from None
            await web.TCPSite(runner, host, 0).start()
            _LOGGER.info("Port %s on %s is taken; listening on %s instead", port, host, self.port)

    async def _listen_for_clips(self) -> None:
        """Serve the announcement clips alone where speakers reach Dobby, when the service
        listens on this machine only (see `clip_host`); a port taken there is one warning:
        everything else works, and announcements say why they failed."""
        host = clip_host(self.settings, self._interfaces())
        if self.announcements is None or host is None:
            return
        app = web.Application()
        self.announcements.add_routes(app)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, self.port).start()
        except OSError as error:
            await runner.cleanup()
            _LOGGER.warning(
                "Cannot serve announcements to the speakers on %s:%s (%s); set"
                " DOBBY_ANNOUNCE_URL to where they reach Dobby",
                host,
                self.port,
                error.strerror or error,
            )
            return
        self._clip_runner = runner
        _LOGGER.info("Announcements are served to the speakers on %s:%s", host, self.port)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Start, run until SIGTERM or SIGINT (or `stop` is set), then stop gracefully."""
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        try:
            # A stop asked for while starting (SIGTERM from systemd, Ctrl-C) is acted on at
            # once: start-up is cancelled where it is, and stop() closes what it opened.
            starting = asyncio.ensure_future(self.start())
            stopping = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not starting.done():
                    _LOGGER.warning("Stopping while starting: start-up cancelled")
                    starting.cancel()
                await asyncio.wait({starting})
                if not starting.cancelled():
                    starting.result()  # a start-up that failed fails the run
                await stopping
            finally:
                for task in (starting, stopping):
                    task.cancel()  # nothing, once done
                await asyncio.gather(starting, stopping, return_exceptions=True)
            _LOGGER.warning("Stopping: finishing what is in hand")
        finally:
            await self.stop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                with suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
