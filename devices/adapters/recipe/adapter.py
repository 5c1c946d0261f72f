"""The `recipe` adapter: each saved recipe (`config/recipes/*.yaml`) is a device.

A recipe's device is set up at the address it was last seen, and only once it says it is
the same device (the MAC, UDN or id at its identity endpoint, read-only, as the explorer
read it); it is keyed by that identity. A device that is not there (its address answers
nothing, or another device answers) is looked for on the network by that identity
(`devices.explore.locate`), in the background, from the start and then every `look_again`
seconds while it is missing; found elsewhere, it is set up there and its recipe file takes
the new address.

Its entities are the recipe's: each state is read by the recipe's reads (a GET and a JSON
pointer, or a SOAP `Get...` action) and mapped by the recipe's value mapping and scale; each
command is the recipe's verified command of the same name, its `$parameters` filled from the
command's own parameters (scaled to the device's range) or, where the command leaves one
unchanged, from the device's current reading. Nothing is guessed: an answer the recipe does
not describe (a 404, a missing pointer, a value of another type or one the mapping does not
know) makes the device unavailable with the reason, until it answers as its recipe says
again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from devices.adapters.recipe.manifest import MANIFEST, RecipeConfig
from devices.background import Background
from devices.capabilities import STATE_MODELS, Commands, CommandSpec, Domain, Params, State
from devices.capabilities.light import LightFeature
from devices.coordinator import DeviceLink, Devices
from devices.entities import DeviceInfo, Entity, EntitySpec
from devices.errors import (
    DeviceConnectionError,
    DeviceResponseError,
    DeviceTimeoutError,
    UnsupportedCommandError,
)
from devices.explore.learn import Learner, resolve, typed
from devices.explore.locate import IDENTIFY_BUDGET, Place, identity_at, locate
from devices.explore.probe import Answer, Prober
from devices.explore.trial import (
    RecipeClient,
    RecipeCommandError,
    RecipeUnreachableError,
    recipe_path,
)
from devices.plugin import Adapter, AdapterConfig, AdapterContext
from devices.recipe import (
    RECIPES_DIR,
    Command,
    Read,
    Recipe,
    RecipeEntity,
    RecipeError,
    dump_recipe,
    identity_of,
    load_recipe,
)

_LOGGER = logging.getLogger(__name__)
MARK = "/"
"""Between the device's identity and the recipe entity's key in an entity's unique id."""
NOT_AS_ITS_RECIPE = "no longer answers as its recipe says"


class RecipeLink(DeviceLink):
    """One learned device, driven by its recipe."""

    def __init__(self, recipe: Recipe, address: str, *, timeout: float) -> None:
        super().__init__(address)
        self.recipe = recipe.model_copy(update={"host": address})
        self.timeout = timeout
        self.client = RecipeClient(self.recipe, timeout=timeout)
        self._states: Mapping[str, State] = {}
        self._log = logging.getLogger(f"{__name__}[{address}]")

    # -- who it is --------------------------------------------------------------------

    async def connect(self) -> None:
        """Ask the device who it is (read-only); it must be the recipe's device."""
        learner = Learner(
            self.client.host,
            self.recipe.port,
            budget=IDENTIFY_BUDGET,
            timeout=self.timeout,
            location=None,
        )
        seen = await learner.identify()
        reported = identity_of(seen.identity)
        if reported is None:
            reason = "; ".join(seen.notes) or "it did not say who it is"
            unreached = [n for n in seen.notes if "could not be reached" in n or "no answer" in n]
            if unreached:
                raise DeviceConnectionError(f"cannot be reached ({unreached[0]}).")
            raise DeviceResponseError(f"{NOT_AS_ITS_RECIPE}: {reason}.")
        if reported.key.lower() != self.recipe.identity.key.lower():
            raise DeviceResponseError(
                f"the device at {self.address} is not {self.recipe.name} any more"
                f" (it says it is {reported.key}, the recipe is for {self.recipe.identity.key})."
            )
        self.unique_id = self.recipe.identity.key

    async def ready(self) -> None:
        """Read every entity once, so that they are published with their state."""
        self._states = await self.read()

    def describe(self) -> Sequence[tuple[DeviceInfo, Sequence[EntitySpec]]]:
        """The recipe's device and its entities."""
        recipe = self.recipe
        info = DeviceInfo(
            unique_id=self.unique_id,
            name=recipe.name,
            host=self.address,
            model=recipe.family,
            suggested_area=next((e.area for e in recipe.entities if e.area), None),
        )
        specs = [
            EntitySpec(
                unique_id=f"{self.unique_id}{MARK}{entity.key}",
                domain=entity.domain,
                name=entity.name,
                features=features(entity),
                device_class=entity.device_class,
                state=self._states.get(f"{self.unique_id}{MARK}{entity.key}"),
                suggested_area=entity.area,
            )
            for entity in recipe.entities
        ]
        return [(info, specs)]

    # -- reading ----------------------------------------------------------------------

    async def read(self) -> Mapping[str, State]:
        """Every entity's state, by its recipe's reads (one GET per path)."""
        reads = [read for entity in self.recipe.entities for read in entity.reads.values()]
        answers: dict[str, Answer] = {}
        async with Prober(
            self.client.host, self.recipe.port, budget=len(reads), timeout=self.timeout
        ) as probe:
            states: dict[str, State] = {}
            for entity in self.recipe.entities:
                values = {
                    key: dobby_value(key, read, await self._raw(probe, read, answers))
                    for key, read in entity.reads.items()
                }
                states[f"{self.unique_id}{MARK}{entity.key}"] = state_of(entity, values)
        return states

    async def _raw(self, probe: Prober, read: Read, answers: dict[str, Answer]) -> Any:
        """One read's value as the device gives it (typed as the recipe declares)."""
        if read.path is not None:
            answer = answers.get(read.path)
            if answer is None:
                answer = answers[read.path] = await probe.get(read.path)
            where = f"GET {read.path}"
            _check(answer, where)
            assert read.pointer is not None
            try:
                raw = resolve(answer.json, read.pointer)
            except KeyError:
                raise DeviceResponseError(
                    f"{NOT_AS_ITS_RECIPE}: {where} has no {read.pointer}."
                ) from None
            where = f"{where} {read.pointer}"
        else:
            assert read.soap_action is not None
            assert read.argument is not None
            assert self.recipe.upnp_service is not None
            assert self.recipe.upnp_control is not None
            answer, values = await probe.soap_get(
                self.recipe.upnp_control, self.recipe.upnp_service, read.soap_action
            )
            where = read.soap_action
            _check(answer, where)
            if read.argument not in values:
                raise DeviceResponseError(f"{NOT_AS_ITS_RECIPE}: {where} gave no {read.argument}.")
            raw = values[read.argument]
        try:
            return typed(raw, read.type)
        except ValueError:
            raise DeviceResponseError(
                f"{NOT_AS_ITS_RECIPE}: {where} is {raw!r}, not a {read.type}."
            ) from None

    # -- commands ---------------------------------------------------------------------

    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        """The recipe's verified command of the same name, its parameters filled in."""
        entity = self._entity(unique_id)
        taught = entity.commands.get(command.verb)
        if taught is None or not taught.verified:
            raise UnsupportedCommandError(
                f"{entity.name} was not taught to {command.verb.replace('_', ' ')}."
            )
        values = await self._values(entity, taught, params)
        try:
            await self.client.send(taught, values)
        except RecipeUnreachableError as error:
            raise DeviceConnectionError(f"{error}.") from None
        except RecipeCommandError as error:
            raise DeviceResponseError(f"{NOT_AS_ITS_RECIPE}: {error}.") from None
        except ValueError as error:  # a value outside the recipe's bounds
            raise UnsupportedCommandError(f"{error}.") from None

    async def _values(
        self, entity: RecipeEntity, taught: Command, params: Params
    ) -> dict[str, Any]:
        """Each `$parameter`: the command's own value (in the device's range), else what
        the device reads now (a turn_on that leaves the brightness as it is)."""
        given = params.model_dump()
        values: dict[str, Any] = {}
        for name, spec in taught.params.items():
            read = entity.reads.get(name)
            value = given.get(name)
            if value is None and name == "brightness" and given.get("brightness_step") is not None:
                current = self._states.get(f"{self.unique_id}{MARK}{entity.key}")
                level = getattr(current, "brightness", None)
                if level is None:
                    raise DeviceResponseError("did not say how bright it is.")
                value = max(0, min(100, level + given["brightness_step"]))
            if value is not None:
                values[name] = device_value(read, value, spec.type)
            elif read is not None:
                async with Prober(
                    self.client.host, self.recipe.port, budget=1, timeout=self.timeout
                ) as probe:
                    values[name] = await self._raw(probe, read, {})
            else:
                raise UnsupportedCommandError(
                    f"its recipe's {taught.path} needs {name}, which this command does not give."
                )
        return values

    def _entity(self, unique_id: str) -> RecipeEntity:
        key = unique_id.rpartition(MARK)[2]
        entity = next((e for e in self.recipe.entities if e.key == key), None)
        if entity is None:
            raise UnsupportedCommandError("its recipe no longer has this entity.")
        return entity


def _check(answer: Answer, where: str) -> None:
    """An answer that is no answer (unreachable, silent) or not the one the recipe reads."""
    if answer.status is None:
        note = answer.note or "no answer"
        if note.startswith("no answer"):
            raise DeviceTimeoutError(f"{where}: {note}.")
        raise DeviceConnectionError(f"{where}: {note}.")
    if not answer.ok:
        raise DeviceResponseError(
            f"{NOT_AS_ITS_RECIPE}: {where} answered {answer.note or f'HTTP {answer.status}'}."
        )


def features(entity: RecipeEntity) -> frozenset[str]:
    """What the entity can do beyond its domain's plain commands, from its verified ones."""
    verified = {name for name, c in entity.commands.items() if c.verified}
    found = {
        spec.feature
        for spec in Commands.of(entity.domain)
        if spec.feature is not None and spec.verb in verified
    }
    turn_on = entity.commands.get("turn_on")
    if (
        entity.domain == Domain.LIGHT
        and turn_on is not None
        and turn_on.verified
        and "brightness" in turn_on.params
        and "brightness" in entity.reads
    ):
        found.add(LightFeature.BRIGHTNESS.value)
    return frozenset(found)


def dobby_value(key: str, read: Read, value: Any) -> Any:
    """A device value as Dobby's: through the recipe's mapping, or its scale to percent."""
    if read.mapping:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if text not in read.mapping:
            raise DeviceResponseError(
                f"{NOT_AS_ITS_RECIPE}: its {key} is {text!r}, which the recipe does not map."
            )
        return read.mapping[text]
    if read.scale is not None:
        low, high = read.scale
        return max(0, min(100, round((float(value) - low) * 100 / (high - low))))
    return value


def device_value(read: Read | None, value: Any, kind: str) -> Any:
    """Dobby's value (a percent, where the read has a scale) in the device's range."""
    if read is not None and read.scale is not None:
        low, high = read.scale
        value = low + float(value) * (high - low) / 100
    if kind == "int":
        return round(value)
    if kind == "float":
        return float(value)
    return value


def state_of(entity: RecipeEntity, values: Mapping[str, Any]) -> State:
    """The entity's state from its reads (those its domain's state has a field for)."""
    model = STATE_MODELS[entity.domain]
    try:
        return model.model_validate({k: v for k, v in values.items() if k in model.model_fields})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DeviceResponseError(
            f"{NOT_AS_ITS_RECIPE}: its {where} is {first.get('input')!r} ({first['msg']})."
        ) from None


class RecipeAdapter(Adapter):
    """The devices of `config/recipes/`, one coordinator each."""

    manifest = MANIFEST
    poll_interval = 30.0

    config: RecipeConfig

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        self.devices: Devices[RecipeLink] = Devices(context, timeout=self.config.request_timeout)
        self.recipes: list[Recipe] = []
        self._files: dict[str, Path] = {}
        """Each recipe's file, by its identity key (where a new address is written)."""
        self._read: dict[Path, int] = {}
        """The recipe files read, with their modification times then."""
        self._looked = 0.0
        """When the network was last looked at for missing devices (monotonic seconds)."""
        self._looking = Background()

    async def start(self) -> None:
        """Load every recipe (one that does not validate is logged and left out) and set
        up its device, looking for those that are not where they were; one that is not
        found is looked for again later."""
        await self.add(*self._read_folder())

    def _read_folder(self) -> list[Recipe]:
        """The recipes of `<config>/recipes/` that are new or changed since it was last read
        (saved by `dobby explore` in a terminal while Dobby runs); one that does not
        validate is logged, once, and left out."""
        directory = self.context.config_dir
        folder = directory / RECIPES_DIR if directory is not None else None
        if folder is None or not folder.is_dir():
            return []
        fresh: list[Recipe] = []
        for path in sorted(folder.glob("*.yaml")):
            try:
                stamp = path.stat().st_mtime_ns
            except OSError:  # removed meanwhile
                continue
            if self._read.get(path) == stamp:
                continue
            self._read[path] = stamp
            try:
                recipe = load_recipe(path)
            except (RecipeError, OSError) as error:
                _LOGGER.error("Recipe left out: %s", error)
                continue
            self._files[recipe.identity.key] = path
            fresh.append(recipe)
        return fresh

    async def add(self, *recipes: Recipe) -> None:
        """Set up the devices of these recipes (a new one, or one learned again, saved while
        Dobby runs); those that are not where their recipes say are looked for in the
        background (`looked`)."""
        changed: list[Recipe] = []
        for recipe in recipes:
            known = next((r for r in self.recipes if r.identity.key == recipe.identity.key), None)
            if known == recipe:
                continue
            if known is not None:
                self.recipes[self.recipes.index(known)] = recipe
            else:
                self.recipes.append(recipe)
            changed.append(recipe)
        if not changed:
            return
        self.poll_interval = min(r.poll_interval for r in self.recipes)
        await asyncio.gather(
            *(self.devices.set_up(r.host, partial(self._link, r)) for r in changed)
        )
        self._look()

    def _look(self) -> None:
        """Look for the devices that do not answer (one look at a time)."""
        self._looked = time.monotonic()
        self._looking.once("look", lambda: self._look_for(list(self.recipes)))

    async def looked(self) -> None:
        """Wait until the look under way, if any, is over."""
        await self._looking.finish()

    def _link(self, recipe: Recipe, address: str) -> RecipeLink:
        return RecipeLink(recipe, address, timeout=self.config.request_timeout)

    def _answers(self, recipe: Recipe) -> bool:
        coordinator = self.devices.coordinators.get(recipe.identity.key)
        return coordinator is not None and coordinator.available and not coordinator.failures

    async def _here(self, recipe: Recipe) -> bool:
        """Whether the recipe's device says it is at the recipe's address (it may answer
        its reads wrongly there: then it is unavailable with that reason, not moved)."""
        said = await identity_at(Place(recipe.host, recipe.port), self.config.request_timeout)
        return said == recipe.identity.key.lower()

    async def _look_for(self, recipes: Sequence[Recipe]) -> None:
        """Find the devices of these recipes that are not where they were, by identity."""
        candidates = [r for r in recipes if not self._answers(r)]
        # One never set up was asked who it is at its address by its set-up (at start, or
        # at the last poll): only those set up once and failing since are asked again.
        set_up = [r for r in candidates if r.identity.key in self.devices.coordinators]
        here = await asyncio.gather(*(self._here(r) for r in set_up))
        stayed = {r.identity.key for r, there in zip(set_up, here, strict=True) if there}
        missing = [r for r in candidates if r.identity.key not in stayed]
        if not missing:
            return
        places = await locate(
            missing,
            interfaces=self.context.interfaces,
            only_hosts=self.context.only_hosts,
            seconds=self.config.look_for,
            request_timeout=self.config.request_timeout,
        )
        for recipe in missing:
            place = places.get(recipe.identity.key.lower())
            if place is None:
                _LOGGER.info(
                    "%s is not at %s and was not heard on the network; looking again later",
                    recipe.name,
                    recipe.host,
                )
            elif place != Place(recipe.host, recipe.port):
                await self._move(recipe, place)

    async def _move(self, recipe: Recipe, place: Place) -> None:
        """Drive the recipe's device where it answers now, and remember it there."""
        moved = recipe.model_copy(update={"host": place.host, "port": place.port})
        _LOGGER.info(
            "%s (%s) moved from %s:%d to %s:%d",
            recipe.name,
            recipe.identity.key,
            recipe.host,
            recipe.port,
            place.host,
            place.port,
        )
        self.recipes[self.recipes.index(recipe)] = moved
        self.devices.forget(recipe.host)
        directory = self.context.config_dir
        path = self._files.get(recipe.identity.key) or (
            recipe_path(directory, recipe) if directory is not None else None
        )
        if path is not None and path.is_file():
            try:
                path.write_text(dump_recipe(moved), encoding="utf-8")
            except OSError as error:
                _LOGGER.warning("%s: the new address is not saved (%s)", path, error)
        await self.devices.set_up(moved.host, partial(self._link, moved))

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        """Carry out a command through the device's coordinator."""
        await self.devices.execute(entity, command, params)

    async def refresh(self) -> None:
        """Read every learned device (the coordinators keep track of who answers), take up
        recipes saved meanwhile, and every `look_again` seconds look for the devices that
        do not answer."""
        await self.add(*self._read_folder())
        await self.devices.refresh()
        if time.monotonic() - self._looked >= self.config.look_again:
            self._look()

    async def stop(self) -> None:
        """Stop looking, close every device."""
        await self._looking.cancel()
        await self.devices.close()
