"""A remote's button runs a routine: pressed on the emulated remote, through Mosquitto, the
routine runs as the person who made it (never as an admin), and a second press of the same
button runs it again."""

from __future__ import annotations

from skills.actions import Requester, Role
from skills.executor import Executor
from skills.house import House
from skills.policy import Policy, PolicyConfig
from skills.routine_book import RoutineBook
from skills.routines import Routine

from .helpers import running_bus, until

GUEST = "telegram:2002"


class Household:
    """The household's members now: the routine's maker is a guest."""

    def current(self, who: Requester) -> Requester | None:
        return Requester(who.id, Role.GUEST, "Gus") if who.id == GUEST else None


def _routine(made_by: str) -> Routine:
    return Routine.model_validate(
        {
            "name": "hallway night",
            "made_by": made_by,
            "triggers": [{"device": "Hallway Remote", "action": "toggle"}],
            "steps": [
                {"command": "switch.turn_off", "target": {"area": "Hallway"}},
                {
                    "command": "climate.set_temperature",
                    "target": {"area": "Hallway"},
                    "params": {"temperature": 17},
                },
            ],
        }
    )


async def test_pressing_the_remote_runs_the_routine_as_its_maker() -> None:
    async with running_bus() as bus:
        registry = bus.registry
        executor = Executor(registry, {"mqtt": bus.adapter}, timeout=5)
        house = House(registry, Policy(registry, PolicyConfig()), executor)
        book = RoutineBook(house, [_routine(GUEST)])
        book.triggers.directory = Household()
        book.runner.directory = Household()
        await book.start()
        try:
            bridge = bus.zigbee.bridge
            plug, radiator = bridge.devices["Hallway/Plug"], bridge.devices["Hallway/Radiator"]
            assert plug.state["state"] == "ON"
            await bridge.press("Hallway/Remote", "toggle")
            assert await until(lambda: len(book.notices) == 1)
            await book.triggers.finish()
            assert plug.state["state"] == "OFF"  # at the device, through the broker
            assert radiator.state["occupied_heating_setpoint"] == 21  # a guest may not
            notice = book.notices[0]
            assert notice.to == GUEST  # told to the maker, in their own chat
            assert "1 of 1 actions done" in notice.text
            assert "a guest may not control Hallway Radiator" in notice.text

            await bridge.change("Hallway/Plug", state="ON")  # someone at the plug
            assert await bus.wait(lambda: bus.entity("switch.hallway_plug").state.state == "on")  # type: ignore[union-attr]
            await bridge.press("Hallway/Remote", "toggle")  # the same button again
            assert await until(lambda: len(book.notices) == 2)
            await book.triggers.finish()
            assert plug.state["state"] == "OFF"

            await bridge.press("Hallway/Remote", "arrow_left_click")  # another button
            await bridge.change("Hallway/Plug", state="ON")
            assert await bus.wait(lambda: bus.entity("switch.hallway_plug").state.state == "on")  # type: ignore[union-attr]
            await book.triggers.finish()
            assert len(book.notices) == 2
        finally:
            await book.stop()


async def test_a_routine_whose_maker_left_does_not_run() -> None:
    async with running_bus() as bus:
        registry = bus.registry
        executor = Executor(registry, {"mqtt": bus.adapter}, timeout=5)
        house = House(registry, Policy(registry, PolicyConfig()), executor)
        book = RoutineBook(house, [_routine("telegram:3003")])
        book.triggers.directory = Household()
        await book.start()
        try:
            await bus.zigbee.bridge.press("Hallway/Remote", "toggle")
            assert await until(lambda: len(book.notices) == 1)
            assert "no longer a member" in book.notices[0].text
            assert bus.zigbee.bridge.devices["Hallway/Plug"].state["state"] == "ON"
        finally:
            await book.stop()
