"""A number on the page (the pool pump's speed, the chlorinator's output): a slider within
the range the device and the household allow, in the device's steps and unit, set through
the one form and the one policy; a guest sees it and cannot use it.

The cards are read from `Glance` over a registry of their own; the rest runs the demo
house behind `dobby run`'s Service in a real headless Chromium, and checks the emulated
ScreenLogic gateway itself.
"""

from __future__ import annotations

from typing import Any

import pytest

from agent.channels.web.testing import chromium_missing
from agent.channels.web.views import Button, Card, Glance
from devices.capabilities import Domain, NumberState
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry
from skills.actions import Requester, Role
from skills.policy import NumberBounds, Policy, PolicyConfig
from tests.agent.channels.web.test_web_browser import button, card, signed_in

MISSING = chromium_missing()
ALICE, BOB, GUS = "telegram:1001", "telegram:1002", "telegram:1003"
PUMP = "number.pool_pump_target_speed"
CHLORINATOR = "number.pool_chlorinator_output"


def in_chromium(test: Any) -> Any:
    """A test on the demo house's page in Chromium (one house for the module's tests)."""
    for mark in (
        pytest.mark.asyncio(loop_scope="module"),
        pytest.mark.timeout(180),  # the first test starts the house (and waits for LIFX's port)
        pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
    ):
        test = mark(test)
    return test


# -- the card, from Glance --------------------------------------------------------------------


def pool(rpm: str = "2500", percent: str = "80") -> Registry:
    """A pool controller's two numbers, as the ScreenLogic adapter reads them."""
    registry = Registry()
    registry.upsert_device(
        "screenlogic",
        DeviceInfo(unique_id="controller", name="Pentair"),
        [
            EntitySpec(
                "speed",
                Domain.NUMBER,
                "Pool Pump Target Speed",
                state=NumberState(state=rpm, min=450, max=3450, step=10, unit_of_measurement="RPM"),
            ),
            EntitySpec(
                "output",
                Domain.NUMBER,
                "Pool Chlorinator Output",
                state=NumberState(state=percent, min=0, max=100, unit_of_measurement="%"),
            ),
        ],
    )
    return registry


def card_for(registry: Registry, entity_id: str, role: Role, **policy: Any) -> Card:
    glance = Glance(registry, Policy(registry, PolicyConfig(**policy)))
    person = Requester("telegram:1", role, "Ann", "web")
    return glance.card(registry.entity(entity_id), glance.permissions(person))


def test_a_number_has_a_slider_over_the_devices_range_in_its_steps_and_unit() -> None:
    pump = card_for(pool(), PUMP, Role.MEMBER)
    assert (pump.state, pump.detail) == ("2500 RPM", "")
    [slider] = pump.buttons
    assert slider == Button(
        "value",
        "Set to",
        allowed=True,
        slider=True,
        value=2500,
        low=450,
        high=3450,
        step=10,
        unit="RPM",
    )


def test_the_households_bounds_narrow_the_slider_onto_the_devices_steps() -> None:
    bounds = {PUMP: NumberBounds(min=455, max=3001), CHLORINATOR: NumberBounds(max=60)}
    [pump] = card_for(pool(), PUMP, Role.MEMBER, numbers=bounds).buttons
    assert (pump.low, pump.high, pump.step) == (460, 3000, 10)  # 455 and 3001 are off-step
    # The chlorinator is at 80 %, above the household's 60 %: it may still be turned down.
    [output] = card_for(pool(), CHLORINATOR, Role.MEMBER, numbers=bounds).buttons
    assert (output.low, output.high, output.value, output.unit) == (0, 60, 80, "%")
    assert output.allowed


def test_a_guest_sees_a_number_and_may_not_set_it() -> None:
    pump = card_for(pool(), PUMP, Role.GUEST)
    [slider] = pump.buttons
    assert not slider.allowed
    assert pump.refused == "a guest may not control Pool Pump Target Speed"


def test_a_number_whose_range_is_not_known_has_no_slider() -> None:
    registry = Registry()
    registry.upsert_device(
        "screenlogic",
        DeviceInfo(unique_id="controller", name="Pentair"),
        [EntitySpec("speed", Domain.NUMBER, "Pool Pump Target Speed")],
    )
    assert card_for(registry, PUMP, Role.MEMBER).buttons == []


# -- the page, in Chromium -----------------------------------------------------------------


def pump_at_device(site: Any) -> int:
    """The pool preset's speed in the emulated gateway, in RPM."""
    [preset] = site.pool.equipment.presets[0]
    assert preset.rpm
    return int(preset.speed)


@in_chromium
@pytest.mark.parametrize("javascript", [False, True], ids=["plain-form", "script"])
async def test_a_member_sets_the_pump_speed_from_the_page(browser, site, javascript) -> None:
    await site.set(PUMP, "number.set_value", value=2500)
    context = await browser.new_context(java_script_enabled=javascript)
    page = await context.new_page()
    await page.goto(site.link(BOB))
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(f"{site.url}/")
    slider = page.locator(f"{card(PUMP)} input[type=range]")
    assert [await slider.get_attribute(a) for a in ("min", "max", "step", "value")] == [
        "450",
        "3450",
        "10",
        "2500",
    ]
    assert "RPM" in await page.inner_text(f"{card(PUMP)} label.slider")
    speed = 1800 if javascript else 3100
    await slider.fill(str(speed))  # with the script, sent on change
    if not javascript:
        await page.click(button(PUMP, "value"))  # a plain form post, then the page again
        await page.wait_for_url(f"{site.url}/")
    await page.wait_for_selector(f"{card(PUMP)}[data-state='{speed} RPM']")
    assert pump_at_device(site) == speed
    entry = site.dobby.audit.query(entity_ids=[PUMP], limit=1)[0]
    assert (entry.requester, entry.path, entry.command, entry.params) == (
        BOB,
        "web",
        "number.set_value",
        {"value": speed},
    )
    await context.close()


@in_chromium
async def test_a_value_outside_the_range_is_refused_with_the_range(browser, site) -> None:
    await site.set(PUMP, "number.set_value", value=2500)
    page = await signed_in(browser, site, BOB)
    answer = await post_control(page, PUMP, "value", 5000)
    assert "5000 RPM is outside the allowed range" in answer["message"]
    assert "(450 RPM to 3450 RPM)" in answer["message"]
    assert pump_at_device(site) == 2500


@in_chromium
async def test_a_guests_page_shows_the_pump_and_refuses_it(browser, site) -> None:
    await site.set(PUMP, "number.set_value", value=2500)
    page = await signed_in(browser, site, GUS)
    pump = card(PUMP)
    assert await page.locator(f"{pump} input[type=range]").is_disabled()
    assert await page.locator(button(PUMP, "value")).is_disabled()
    assert "guest may not control Pool Pump Target Speed" in await page.inner_text(pump)
    before = len(site.dobby.audit.query(entity_ids=[PUMP]))
    # Sent anyway, around the disabled slider: the policy refuses it all the same.
    answer = await post_control(page, PUMP, "value", 1200)
    assert "guest may not control Pool Pump Target Speed" in answer["message"]
    assert pump_at_device(site) == 2500
    assert len(site.dobby.audit.query(entity_ids=[PUMP])) == before


async def post_control(page: Any, entity_id: str, key: str, value: float) -> Any:
    """What the page's one form posts for a control and its slider, sent from the page
    with its CSRF token (around whatever the page shows), answered as JSON."""
    do = f"{entity_id}:{key}"
    return await page.evaluate(
        """async ([doing, value]) => {
            const csrf = document.querySelector('meta[name=csrf]').content;
            const body = new URLSearchParams({do: doing, csrf, [doing]: value});
            const r = await fetch('/control', {method: 'POST', body,
                                               headers: {Accept: 'application/json'}});
            return await r.json();
        }""",
        [do, str(value)],
    )
