"""The `dobby` command."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from agent.app import Dobby
from agent.config import Config, ConfigError, load_config
from skills.actions import Requester

if TYPE_CHECKING:
    from rich.console import Console

    from agent.understanding import Understanding
    from devices.plugin import Manifest, PairHook

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
"""The shipped config dir (the demo house), used when ./config does not exist."""

app = typer.Typer(
    help="Dobby runs a household from one chat.", no_args_is_help=True, add_completion=False
)
config_app = typer.Typer(help="Check the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")

_T = TypeVar("_T")

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Config dir (home.yaml, routines.yaml).")
]
StateOption = Annotated[Path, typer.Option("--state", help="State dir (the SQLite database).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
WaitOption = Annotated[float, typer.Option("--wait", help="Seconds to let discovery find devices.")]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")]


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _config_dir(option: Path | None) -> Path:
    if option is not None:
        return option
    return Path("config") if Path("config", "home.yaml").exists() else REPO_CONFIG


def _load(option: Path | None) -> Config:
    try:
        return load_config(_config_dir(option))
    except ConfigError as error:
        typer.echo(f"Config error: {error}", err=True)
        raise typer.Exit(2) from None


def _run(main: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    try:
        return asyncio.run(main())
    except ConfigError as error:
        typer.echo(f"Config error: {error}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False))


@asynccontextmanager
async def _running(config: Config, state: Path, wait: float) -> AsyncIterator[Dobby]:
    """Dobby started, given `wait` seconds to discover the house, and stopped afterwards."""
    dobby = Dobby(config, state)
    try:
        await dobby.start()
        await asyncio.sleep(wait)
        yield dobby
    finally:
        await dobby.stop()


@app.command()
def demo(
    say: Annotated[
        list[str] | None, typer.Option("--say", help="Say this and exit (repeatable).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only plan; change nothing.")] = False,
    alarm: Annotated[
        str, typer.Option("--alarm", help="The demo's alarm panel: homekit or envisalink.")
    ] = "homekit",
    json_out: JsonOption = False,
    config: ConfigOption = None,
    state: StateOption = Path("data"),
    verbose: VerboseOption = False,
) -> None:
    """Run the virtual house (emulators on loopback) and talk to it."""
    from agent.demo import run_demo

    _setup_logging(verbose)
    loaded = _load(config)
    if alarm not in ("homekit", "envisalink"):
        typer.echo(f"--alarm takes homekit or envisalink, not {alarm!r}.", err=True)
        raise typer.Exit(2)
    from devices.testing.addresses import AddressPoolError, PortTakenError

    try:
        code = _run(
            lambda: run_demo(
                loaded, state, say or [], dry_run=dry_run, json_out=json_out, alarm=alarm
            )
        )
    except (PortTakenError, AddressPoolError) as error:
        typer.echo(f"The virtual house cannot start: {error}.", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(code)


@app.command()
def understand(
    text: str,
    json_out: JsonOption = False,
    config: ConfigOption = None,
    state: StateOption = Path("data"),
    wait: WaitOption = 3.0,
    verbose: VerboseOption = False,
) -> None:
    """Show what Dobby would do with a sentence, without doing it."""
    _setup_logging(verbose)
    loaded = _load(config)

    async def main() -> None:
        async with _running(loaded, state, wait) as dobby:
            understood = await dobby.understand(text, Requester.local_admin())
        if json_out:
            _print_json(understood.model_dump(mode="json"))
        else:
            for line in understanding_lines(understood):
                typer.echo(line)

    _run(main)


def understanding_lines(understood: Understanding) -> list[str]:
    """What `dobby understand` prints: the reply (refusals first), then each action with
    what the policy says of it."""
    verdicts = understood.verdicts or [""] * len(understood.actions)
    lines = [understood.reply]
    for action, verdict in zip(understood.actions, verdicts, strict=True):
        lines.append(f"  {action.describe()}{f'  ({verdict})' if verdict else ''}")
    return lines


@app.command()
def say(
    text: str,
    json_out: JsonOption = False,
    config: ConfigOption = None,
    state: StateOption = Path("data"),
    wait: WaitOption = 3.0,
    verbose: VerboseOption = False,
) -> None:
    """Say one sentence to Dobby and carry it out."""
    _setup_logging(verbose)
    loaded = _load(config)

    async def main() -> None:
        async with _running(loaded, state, wait) as dobby:
            reply = await dobby.handle(text, Requester.local_admin())
        if json_out:
            _print_json(reply.model_dump(mode="json"))
        else:
            typer.echo(reply.reply)

    _run(main)


@app.command()
def chat(
    config: ConfigOption = None,
    state: StateOption = Path("data"),
    wait: WaitOption = 3.0,
    verbose: VerboseOption = False,
) -> None:
    """Talk to Dobby in this terminal."""
    from agent.channels.terminal import chat as terminal_chat

    _setup_logging(verbose)
    loaded = _load(config)

    async def main() -> None:
        async with _running(loaded, state, wait) as dobby:
            await terminal_chat(dobby, Requester.local_admin())

    _run(main)


@app.command()
def devices(
    json_out: JsonOption = False,
    config: ConfigOption = None,
    state: StateOption = Path("data"),
    wait: WaitOption = 3.0,
    verbose: VerboseOption = False,
) -> None:
    """List every device Dobby finds, with its state."""
    _setup_logging(verbose)
    loaded = _load(config)

    async def main() -> list[dict[str, Any]]:
        async with _running(loaded, state, wait) as dobby:
            return dobby.states()

    states = _run(main)
    if json_out:
        _print_json(states)
        return
    from agent.tables import print_states

    print_states(states)


@app.command()
def discover(
    json_out: JsonOption = False,
    config: ConfigOption = None,
    seconds: Annotated[float, typer.Option(help="How long to listen.")] = 3.0,
    interface: Annotated[
        list[str] | None, typer.Option(help="Interface address to discover on (repeatable).")
    ] = None,
    verbose: VerboseOption = False,
) -> None:
    """List the installed adapters, and what answered on the network."""
    from agent.discover import scan

    _setup_logging(verbose)
    loaded = _load(config)
    report = _run(lambda: scan(loaded, seconds, interface))
    if json_out:
        _print_json(report)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    adapters = Table("adapter", "title", "domains", "mDNS", "SSDP", title="Installed adapters")
    for item in report["adapters"]:
        adapters.add_row(
            item["name"],
            item["title"],
            ", ".join(item["domains"]),
            "\n".join(item["mdns_types"]),
            "\n".join(item["ssdp_targets"]),
        )
    console.print(adapters)
    for problem in report["problems"]:
        console.print(f"[red]Plugin {problem['entry_point']} {problem['reason']}[/]")
    found = Table("source", "type", "host", "name", "adapter", title="What answered")
    for item in report["found"]:
        found.add_row(
            item["source"], item["type"], item["host"], item["name"], item["adapter"] or "unknown"
        )
    console.print(found)
    broker = report.get("broker")
    if broker is not None:
        _print_broker(console, broker)


def _print_broker(console: Console, broker: dict[str, Any]) -> None:
    """The configured MQTT broker and what it announced."""
    state = "reached" if broker["connected"] else f"not reached: {broker['problem']}"
    console.print(f"MQTT broker {broker['address']}: {state}")
    zigbee = broker["zigbee2mqtt"]
    online = {True: "online", False: "offline", None: "not heard"}[zigbee["online"]]
    from rich.table import Table

    devices = Table(
        "friendly name",
        "ieee",
        "model",
        "entities",
        title=f"Zigbee2MQTT ({zigbee['base_topic']}, {online})",
    )
    for item in zigbee["devices"]:
        model = " ".join(str(p) for p in (item["vendor"], item["model"]) if p)
        devices.add_row(item["friendly_name"], item["ieee"], model, ", ".join(item["entities"]))
    console.print(devices)
    found = broker["discovery"]
    entities = Table(
        "topic", "domain", "name", title=f"Home Assistant discovery ({found['prefix']})"
    )
    for item in found["entities"]:
        entities.add_row(item["key"], item["domain"], item["name"])
    console.print(entities)


@app.command()
def explore(
    host: Annotated[
        str | None,
        typer.Argument(help="Learn this host (ADDRESS or ADDRESS:PORT; in the demo, a name)."),
    ] = None,
    json_out: JsonOption = False,
    demo: Annotated[
        bool, typer.Option("--demo", help="Run the virtual house and explore only it.")
    ] = False,
    seconds: Annotated[float, typer.Option(help="How long to listen.")] = 4.0,
    interface: Annotated[
        list[str] | None, typer.Option(help="Interface address to explore on (repeatable).")
    ] = None,
    budget: Annotated[int, typer.Option(help="At most this many requests to HOST.")] = 40,
    area: Annotated[str | None, typer.Option(help="The area of the learned device.")] = None,
    draft_only: Annotated[
        bool, typer.Option("--draft-only", help="Show the draft; try no command.")
    ] = False,
    config: ConfigOption = None,
    state: StateOption = Path("data"),
    verbose: VerboseOption = False,
) -> None:
    """What is on the local network and what Dobby makes of it; or, with HOST, probe that
    host read-only, draft a recipe, and ask before trying each of its commands (with
    `--json` or `--draft-only`, nothing is switched); verified ones are saved."""
    from agent import explore as exploring
    from devices.explore.ranges import OutsideLocalNetworkError

    _setup_logging(verbose)
    loaded = _load(config)
    if host is None:
        hosts = _run(
            lambda: exploring.scan_network(
                loaded, state, seconds=seconds, interfaces=interface, demo=demo
            )
        )
        if json_out:
            _print_json(exploring.host_rows(hosts))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table("host", "name", "what", "identity", "Dobby", title="On the network")
        for found in hosts:
            name = found.names[0] if found.names else ""
            table.add_row(found.address, name, found.what, found.identity, found.how)
        Console().print(table)
        return
    asks = not (json_out or draft_only)
    try:
        lesson = _run(
            lambda: exploring.learn_host(
                loaded,
                state,
                host,
                seconds=seconds,
                interfaces=interface,
                demo=demo,
                budget=budget,
                area=area,
                approve=_ask if asks else None,
                show=None if json_out else _print_learned,
            )
        )
    except (OutsideLocalNetworkError, ValueError) as error:
        typer.echo(f"Not explored: {error}.", err=True)
        raise typer.Exit(2) from None
    if json_out:
        _print_json(lesson.learned.as_json())
    elif lesson.tried is not None:
        for command, result in lesson.tried.results.items():
            typer.echo(f"  {command}: {result}")
        if lesson.saved is not None:
            typer.echo(
                f"Saved {lesson.saved}: a running Dobby drives it from its next poll"
                " (within 30 s), any other from its start."
            )
        else:
            typer.echo("Nothing saved: no command was verified (or saving was refused).")
    raise typer.Exit(0 if lesson.learned.draft is not None else 1)


async def _ask(question: str) -> bool:
    """Ask the person at the terminal; only a yes approves."""
    return await asyncio.to_thread(typer.confirm, question, default=False)


def _print_learned(learned: Any) -> None:
    from devices.recipe import dump_recipe

    what = learned.family.title if learned.family is not None else "a device I do not know"
    typer.echo(f"{learned.host}:{learned.port} is {what} ({learned.identity or 'no identity'}).")
    typer.echo(f"{learned.requests} read-only requests, each in the audit log.")
    for note in learned.notes:
        typer.echo(f"  note: {note}")
    if learned.draft is None:
        typer.echo("No recipe drafted.")
        return
    tried = ", ".join(f"{key} = {value!r}" for key, value in learned.tried.items())
    kind = learned.draft.entities[0].domain.value.replace("_", " ")
    typer.echo(f"I think {learned.host} is a {kind} ({learned.draft.name}).")
    typer.echo(f"Draft recipe (every read tried: {tried}); its commands are not tried yet:")
    typer.echo(dump_recipe(learned.draft))


def _pairing(adapter: str, *, unpair: bool) -> tuple[PairHook, Manifest]:
    """The adapter's pairing hook, from its manifest (the plugin API), or a clear exit."""
    from devices.plugin import load_adapters

    manifests = load_adapters().manifests
    manifest = manifests.get(adapter)
    if manifest is None:
        installed = ", ".join(sorted(manifests)) or "none"
        typer.echo(f"No adapter called {adapter!r} is installed ({installed}).", err=True)
        raise typer.Exit(2)
    hook = manifest.load_pair_hook(unpair=unpair)
    if hook is None:
        pairs = sorted(n for n, m in manifests.items() if m.load_pair_hook(unpair=unpair))
        verb = "unpair" if unpair else "pair"
        typer.echo(
            f"{manifest.title} has nothing to {verb}; adapters that do: {', '.join(pairs)}.",
            err=True,
        )
        raise typer.Exit(2)
    return hook, manifest


def _pair_with(
    adapter: str,
    target: str | None,
    code: str | None,
    wait: float,
    config: Path | None,
    state: Path,
    *,
    unpair: bool,
) -> int:
    from devices.plugin import PairingError, PairRequest

    loaded = _load(config)
    hook, manifest = _pairing(adapter, unpair=unpair)
    if manifest.pairing is not None and manifest.pairing.target_required and not target:
        typer.echo(f"Say which: {manifest.pairing.target}.", err=True)
        return 2
    if not unpair and manifest.pairing is not None and manifest.pairing.code and not code:
        typer.echo(f"{manifest.title} pairing needs the setup code: --code CODE.", err=True)
        return 2
    request = PairRequest(
        target, code, state, loaded.home.discovery.addresses(), wait, say=typer.echo
    )

    async def main() -> int:
        try:
            said = await hook(request)
        except PairingError as error:
            typer.echo(str(error), err=True)
            return 1
        typer.echo(said)
        return 0

    return _run(main)


TargetArgument = Annotated[
    str | None,
    typer.Argument(help="Which device: an accessory's name, a bridge's address (per adapter)."),
]


@app.command()
def pair(
    adapter: Annotated[str, typer.Argument(help="The adapter: hue, homekit, ...")],
    target: TargetArgument = None,
    code_argument: Annotated[
        str | None, typer.Argument(metavar="[CODE]", help="The setup code (or --code).")
    ] = None,
    code: Annotated[
        str | None, typer.Option("--code", help="The setup code printed on the device.")
    ] = None,
    host: Annotated[str | None, typer.Option("--host", help="Same as TARGET.")] = None,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for a button to be pressed.")
    ] = 30.0,
    config: ConfigOption = None,
    state: StateOption = Path("data"),
    verbose: VerboseOption = False,
) -> None:
    """Pair Dobby with a device of this adapter, as its manifest says (hue, homekit, ...)."""
    _setup_logging(verbose)
    raise typer.Exit(
        _pair_with(
            adapter, target or host, code or code_argument, wait, config, state, unpair=False
        )
    )


@app.command()
def unpair(
    adapter: Annotated[str, typer.Argument(help="The adapter: homekit, ...")],
    target: TargetArgument = None,
    config: ConfigOption = None,
    state: StateOption = Path("data"),
    verbose: VerboseOption = False,
) -> None:
    """Forget a paired device (and remove the pairing on it, if it answers)."""
    _setup_logging(verbose)
    raise typer.Exit(_pair_with(adapter, target, None, 0.0, config, state, unpair=True))


routines_app = typer.Typer(help="List, show, run and delete routines.", no_args_is_help=True)
app.add_typer(routines_app, name="routines")


@routines_app.command("list")
def routines_list(json_out: JsonOption = False, config: ConfigOption = None) -> None:
    """List the routines: names, phrases and schedules."""
    rows = [
        {"name": r.name, "phrases": r.phrases, "schedules": [s.describe() for s in r.schedules]}
        for r in _load(config).routines.routines
    ]
    if json_out:
        _print_json(rows)
        return
    for row in rows:
        schedules = f"  [{'; '.join(row['schedules'])}]" if row["schedules"] else ""
        typer.echo(f"{row['name']}: {', '.join(row['phrases']) or '-'}{schedules}")


@routines_app.command("show")
def routines_show(name: str, json_out: JsonOption = False, config: ConfigOption = None) -> None:
    """Show one routine's steps and schedules."""
    from skills.routines import find_routine

    routine = find_routine(_load(config).routines.routines, name)
    if routine is None:
        typer.echo(f"There is no routine called {name!r}.", err=True)
        raise typer.Exit(1)
    if json_out:
        _print_json(routine.model_dump(mode="json", exclude_defaults=True))
        return
    typer.echo(f"{routine.name}: {routine.description}".rstrip(": "))
    for number, step in enumerate(routine.steps, 1):
        typer.echo(f"  {number}. {step.describe()}")
    for schedule in routine.schedules:
        typer.echo(f"  schedule: {schedule.describe()}")


@routines_app.command("run")
def routines_run(
    name: str,
    json_out: JsonOption = False,
    config: ConfigOption = None,
    state: StateOption = Path("data"),
    wait: WaitOption = 3.0,
    verbose: VerboseOption = False,
) -> None:
    """Run a routine now, as the person at this terminal."""
    from skills.runner import RoutineError

    _setup_logging(verbose)
    loaded = _load(config)

    async def main() -> int:
        async with _running(loaded, state, wait) as dobby:
            try:
                report = await dobby.routines.run(name, Requester.local_admin())
            except RoutineError as error:
                typer.echo(str(error), err=True)
                return 1
        if json_out:
            results = [r.as_json() for r in report.results]
            _print_json({"routine": report.routine, "results": results, "notes": report.notes})
        else:
            typer.echo(report.summary())
        return 1 if report.failed else 0

    raise typer.Exit(_run(main))


@routines_app.command("delete")
def routines_delete(name: str, config: ConfigOption = None) -> None:
    """Delete a routine from routines.yaml (comments and other routines stay)."""
    from skills.routine_store import RoutineStore, RoutineStoreError

    loaded = _load(config)
    try:
        RoutineStore(loaded.directory / "routines.yaml").delete(name)
    except RoutineStoreError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Deleted routine {name!r}.")


@app.command()
def scheduled(json_out: JsonOption = False, state: StateOption = Path("data")) -> None:
    """What will run later: who asked, when, what. Read from the state database's job
    store as it is, without starting a scheduler (safe while `dobby run` is running)."""
    from skills.database import DATABASE_NAME
    from skills.jobstore import stored_jobs

    jobs = stored_jobs(state / DATABASE_NAME)
    rows = [
        {
            "id": job.id,
            "when": job.next_run.astimezone().isoformat(timespec="minutes")
            if job.next_run is not None
            else None,
            "what": job.title,
            "asked_by": job.asked_by,
            "trigger": job.trigger,
        }
        for job in jobs
    ]
    if json_out:
        _print_json(rows)
        return
    if not rows:
        typer.echo("Nothing is scheduled.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("when", "what", "asked by", "repeats", "id")
    for row in rows:
        repeats = "once" if str(row["id"]).startswith("once:") else str(row["trigger"])
        table.add_row(
            str(row["when"] or "paused"),
            str(row["what"]),
            str(row["asked_by"]),
            repeats,
            str(row["id"]),
        )
    Console(width=160).print(table)


@config_app.command("check")
def config_check(config: ConfigOption = None) -> None:
    """Check home.yaml and routines.yaml; say what is wrong, with file, line and field.

    With WhatsApp set up, also which of its templates are missing or not approved (exit 1).
    """
    from agent.app import enabled_adapters
    from agent.config import ChannelSettings
    from devices.plugin import load_adapters
    from devices.recipe import RecipeError, load_recipes

    loaded = _load(config)
    try:
        enabled_adapters(loaded, load_adapters())
        recipes = load_recipes(loaded.directory)
    except (ConfigError, RecipeError) as error:
        typer.echo(f"Config error: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"{loaded.directory}: OK ({len(loaded.home.areas)} areas, "
        f"{len(loaded.routines.routines)} routines, {len(recipes)} recipes)"
    )
    settings = ChannelSettings()
    uses_whatsapp = settings.whatsapp_token is not None or "whatsapp" in loaded.home_doc.data
    if not uses_whatsapp:
        return
    from agent.channels.whatsapp.templates import check_templates

    report = _run(lambda: check_templates(loaded.home.whatsapp, settings))
    for note in report.notes:
        typer.echo(f"WhatsApp: {note}")
    for problem in report.problems:
        typer.echo(f"WhatsApp: missing: {problem}", err=True)
    if report.problems:
        raise typer.Exit(1)


@app.command()
def run(
    config: ConfigOption = None,
    state: StateOption = Path("data"),
    only_host: Annotated[
        list[str] | None, typer.Option("--only-host", hidden=True, help="Talk only to these.")
    ] = None,
    verbose: VerboseOption = False,
) -> None:
    """Run Dobby as a service: devices, schedules, chat channels and /healthz."""
    from pydantic import ValidationError

    from agent.config import ChannelSettings
    from agent.service import Service, SettingsError

    _setup_logging(verbose)
    loaded = _load(config)
    try:
        settings = ChannelSettings()
    except ValidationError as error:
        problems = "; ".join(
            f"DOBBY_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()
        )
        typer.echo(f"Settings error: {problems}", err=True)
        raise typer.Exit(2) from None
    try:
        _run(lambda: Service(loaded, state, settings, only_hosts=only_host).run())
    except SettingsError as error:
        typer.echo(f"Settings error: {error}", err=True)
        raise typer.Exit(2) from None


@app.command()
def mcp(
    member: Annotated[str, typer.Option("--member", help="Act as this member (id or name).")],
    config: ConfigOption = None,
    state: StateOption = Path("data"),
    interface: Annotated[
        list[str] | None, typer.Option("--interface", hidden=True, help="Discover only here.")
    ] = None,
    only_host: Annotated[
        list[str] | None, typer.Option("--only-host", hidden=True, help="Talk only to these.")
    ] = None,
    verbose: VerboseOption = False,
) -> None:
    """Serve the house over MCP on stdin/stdout, as one household member."""
    from pydantic import ValidationError

    from agent.channels.mcp.stdio import find_member, serve_stdio
    from agent.config import ChannelSettings

    _setup_logging(verbose)
    loaded = _load(config)
    found = find_member(loaded, state, member)
    if found is None:
        typer.echo(f"No member {member!r} (see `dobby members list`).", err=True)
        raise typer.Exit(2)
    try:
        settings = ChannelSettings()
    except ValidationError as error:
        typer.echo(f"Settings error: {error}", err=True)
        raise typer.Exit(2) from None
    _run(
        lambda: serve_stdio(
            loaded, state, settings, found, interfaces=interface, only_hosts=only_host
        )
    )


members_app = typer.Typer(
    help="Household members: invite, list, remove; MCP tokens; web sign-in links and sessions.",
    no_args_is_help=True,
)
app.add_typer(members_app, name="members")


def _members(config: Config, state: Path) -> Any:
    from agent.channels.members import Members
    from skills.database import database_path

    return Members(database_path(state), config.home.members)


@members_app.command("invite")
def members_invite(
    role: Annotated[str, typer.Option("--role", help="admin, member or guest.")] = "member",
    name: Annotated[str, typer.Option("--name", help="Who the code is for.")] = "",
    web: Annotated[
        str | None,
        typer.Option(
            "--web",
            help="Instead: a one-time sign-in link to the web page for this member "
            "(telegram:<id>, whatsapp:<phone>, or terminal for the admin at this machine).",
        ),
    ] = None,
    config: ConfigOption = None,
    state: StateOption = Path("data"),
) -> None:
    """Make a one-time pairing code (valid one hour) for a new person to send to the bot,
    or with --web a one-time sign-in link to the web page for a member."""
    from skills.actions import Role

    if web is not None:
        _web_link(_load(config), state, web)
        return
    try:
        chosen = Role(role)
    except ValueError:
        typer.echo(f"Unknown role {role!r}: use admin, member or guest.", err=True)
        raise typer.Exit(2) from None
    members = _members(_load(config), state)
    try:
        invite = members.invite(chosen, name)
    finally:
        members.close()
    typer.echo(
        f"Pairing code {invite.code} ({chosen.value}), valid one hour, once. "
        "Send it to the bot; an admin approves in the chat."
    )


def _web_link(config: Config, state: Path, member_id: str) -> None:
    from agent.channels.members import SIGN_IN_TTL, MembershipError
    from agent.channels.web import sign_in_url
    from agent.config import ChannelSettings

    members = _members(config, state)
    try:
        secret = members.web_link(member_id)
    except MembershipError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    finally:
        members.close()
    url = sign_in_url(ChannelSettings(), secret)
    typer.echo(
        f"{url}\nA sign-in link for {member_id}: it works once, within "
        f"{SIGN_IN_TTL / 60:g} minutes, while `dobby run` serves the page."
    )


@members_app.command("sessions")
def members_sessions(
    revoke: Annotated[
        str | None, typer.Option("--revoke", help="End the session with this id.")
    ] = None,
    json_out: JsonOption = False,
    config: ConfigOption = None,
    state: StateOption = Path("data"),
) -> None:
    """List who is signed in to the web page, or end a session."""
    members = _members(_load(config), state)
    try:
        if revoke is not None:
            if not members.revoke_session(revoke):
                typer.echo(f"No session {revoke}.", err=True)
                raise typer.Exit(1)
            typer.echo(f"Ended session {revoke}.")
            return
        sessions = members.web_sessions()
    finally:
        members.close()
    rows = [
        {
            "id": s.id,
            "member": s.member_id,
            "name": s.name,
            "role": s.role.value,
            "since": _when(s.created_at),
            "seen": _when(s.seen_at),
            "expires": _when(s.expires_at),
            "browser": s.agent,
        }
        for s in sessions
    ]
    if json_out:
        _print_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "member", "name", "role", "since", "seen", "expires", "browser")
    for row in rows:
        table.add_row(*(str(v)[:40] for v in row.values()))
    Console().print(table)


def _when(seconds: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(seconds).astimezone().isoformat(timespec="minutes")


@members_app.command("list")
def members_list(
    json_out: JsonOption = False, config: ConfigOption = None, state: StateOption = Path("data")
) -> None:
    """List the household members and their roles."""
    members = _members(_load(config), state)
    try:
        everyone = members.all()
    finally:
        members.close()
    rows = [
        {
            "id": m.id,
            "name": m.name,
            "role": m.role.value,
            "from": "home.yaml" if m.configured else "pairing",
        }
        for m in everyone
    ]
    if json_out:
        _print_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "name", "role", "from")
    for row in rows:
        table.add_row(*row.values())
    Console().print(table)


@members_app.command("remove")
def members_remove(
    member_id: Annotated[str, typer.Argument(help="telegram:<user id> or whatsapp:<phone>.")],
    config: ConfigOption = None,
    state: StateOption = Path("data"),
) -> None:
    """Remove a member who joined with a pairing code."""
    from agent.channels.members import MembershipError

    members = _members(_load(config), state)
    try:
        removed = members.remove(member_id)
    except MembershipError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    finally:
        members.close()
    if not removed:
        typer.echo(f"No member {member_id} joined by pairing.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Removed {member_id}.")


@members_app.command("token")
def members_token(
    who: Annotated[str, typer.Argument(help="The member's id or name.")],
    config: ConfigOption = None,
    state: StateOption = Path("data"),
) -> None:
    """Issue a bearer token for the MCP server, acting as this member (shown once)."""
    members = _members(_load(config), state)
    try:
        member = members.lookup(who)
        if member is None:
            typer.echo(f"No member {who!r} (see `dobby members list`).", err=True)
            raise typer.Exit(1)
        token = members.issue_token(member.id)
    finally:
        members.close()
    typer.echo(token)
    typer.echo(
        f"A token for {member.name} ({member.role.value}), shown only now. Revoke it with "
        f"`dobby members revoke {member.name}`.",
        err=True,
    )


@members_app.command("tokens")
def members_tokens(
    json_out: JsonOption = False, config: ConfigOption = None, state: StateOption = Path("data")
) -> None:
    """List the MCP tokens issued (never the tokens themselves)."""
    from datetime import UTC, datetime

    members = _members(_load(config), state)
    try:
        rows = [
            {
                "id": t.id,
                "member": t.member_id,
                "issued": datetime.fromtimestamp(t.created_at, UTC).isoformat(timespec="seconds"),
                "revoked": t.revoked_at is not None,
            }
            for t in members.tokens()
        ]
    finally:
        members.close()
    if json_out:
        _print_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "member", "issued", "revoked")
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    Console().print(table)


@members_app.command("revoke")
def members_revoke(
    which: Annotated[str, typer.Argument(help="A token id (`dobby members tokens`), or a member.")],
    config: ConfigOption = None,
    state: StateOption = Path("data"),
) -> None:
    """Revoke an MCP token, or every token of a member."""
    members = _members(_load(config), state)
    try:
        revoked = members.revoke_tokens(which)
    finally:
        members.close()
    if not revoked:
        typer.echo(f"No open token matches {which!r}.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Revoked {revoked} token{'s' if revoked != 1 else ''}.")


def main() -> None:
    """The console entry point."""
    app()
