"""The policy decides by code: roles, bounds and confirmations, whatever asked."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.capabilities import ClimateState, Domain, HVACMode, LockState, NumberState
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry
from skills.actions import Action, Path, Plan, Requester, Role
from skills.policy import (
    NumberBounds,
    Policy,
    PolicyConfig,
    SensitiveRule,
    TemperatureBounds,
    Verdict,
)

ADMIN = Requester("a", Role.ADMIN)
GUEST = Requester("g", Role.GUEST)


def house() -> Registry:
    registry = Registry()
    registry.upsert_device(
        "t",
        DeviceInfo(unique_id="lock", name="Front Door"),
        [
            EntitySpec(
                unique_id="lock",
                domain=Domain.LOCK,
                name="Front Door",
                state=LockState(state="locked"),
            )
        ],
    )
    registry.upsert_device(
        "t",
        DeviceInfo(unique_id="th", name="Thermostat"),
        [
            EntitySpec(
                unique_id="th",
                domain=Domain.CLIMATE,
                name="Thermostat",
                state=ClimateState(state=HVACMode.HEAT, temperature=21),
            ),
            EntitySpec(unique_id="pool", domain=Domain.CLIMATE, name="Pool Heater"),
        ],
    )
    registry.upsert_device(
        "t",
        DeviceInfo(unique_id="garage", name="Garage"),
        [
            EntitySpec(
                unique_id="garage", domain=Domain.COVER, name="Garage", device_class="garage"
            ),
            EntitySpec(unique_id="shade", domain=Domain.COVER, name="Shade", device_class="shade"),
        ],
    )
    return registry


def verdict(
    policy: Policy,
    action: Action,
    who: Requester = ADMIN,
    approved_by: Requester | None = None,
    path: Path = Path.INTENT,
) -> Verdict:
    return policy.decide(action, Plan([action], who, path, approved_by=approved_by)).verdict


def test_sensitive_actions_need_an_approval_by_someone_who_may_confirm() -> None:
    policy = Policy(house(), PolicyConfig())
    unlock = Action(entity_id="lock.front_door", command="lock.unlock")
    assert verdict(policy, unlock) is Verdict.CONFIRM
    assert verdict(policy, unlock, approved_by=ADMIN) is Verdict.ALLOW
    assert verdict(policy, unlock, approved_by=GUEST) is Verdict.CONFIRM
    assert verdict(policy, Action(entity_id="lock.front_door", command="lock.lock")) is (
        Verdict.ALLOW
    )


def test_a_scheduled_run_without_an_approval_is_refused_not_held() -> None:
    """Nobody is there to press Approve when a schedule fires."""
    policy = Policy(house(), PolicyConfig())
    garage = Action(entity_id="cover.garage", command="cover.open")
    decision = policy.decide(garage, Plan([garage], ADMIN, Path.SCHEDULE))
    assert decision.verdict is Verdict.REFUSE
    assert decision.reason == (
        "opening the garage needs a confirmation, and no approval holds for it now"
    )
    assert verdict(policy, garage, approved_by=ADMIN, path=Path.SCHEDULE) is Verdict.ALLOW


def test_a_routines_standing_approval_covers_only_people_who_may_confirm() -> None:
    policy = Policy(house(), PolicyConfig())
    owner = Requester.routines_file()
    assert policy.standing_approval(ADMIN, owner) == owner
    assert policy.standing_approval(Requester("m", Role.MEMBER), owner) == owner
    assert policy.standing_approval(GUEST, owner) is None
    assert policy.standing_approval(ADMIN, Requester("demoted", Role.GUEST)) is None


def test_garage_needs_confirmation_but_a_shade_does_not() -> None:
    policy = Policy(house(), PolicyConfig())
    assert verdict(policy, Action(entity_id="cover.garage", command="cover.open")) is (
        Verdict.CONFIRM
    )
    assert verdict(policy, Action(entity_id="cover.shade", command="cover.open")) is Verdict.ALLOW


def test_setpoints_outside_bounds_are_refused_naming_the_bounds() -> None:
    policy = Policy(house(), PolicyConfig())
    action = Action(
        entity_id="climate.thermostat",
        command="climate.set_temperature",
        params={"temperature": 35},
    )
    decision = policy.decide(action, Plan([action], ADMIN, Path.LLM, approved_by=ADMIN))
    assert decision.verdict is Verdict.REFUSE
    assert decision.reason == "35° is outside the allowed range for Thermostat (10° to 30°)"
    ok = Action(
        entity_id="climate.thermostat",
        command="climate.set_temperature",
        params={"temperature": 22.5},
    )
    assert verdict(policy, ok) is Verdict.ALLOW


def test_per_entity_bounds_win() -> None:
    config = PolicyConfig(
        temperature_by_entity={"climate.pool_heater": TemperatureBounds(min=10, max=34)}
    )
    policy = Policy(house(), config)
    hot = Action(
        entity_id="climate.pool_heater",
        command="climate.set_temperature",
        params={"temperature": 33},
    )
    assert verdict(policy, hot) is Verdict.ALLOW
    hotter = hot.model_copy(update={"params": {"temperature": 35}})
    assert verdict(policy, hotter) is Verdict.REFUSE


def test_guests_may_not_touch_locks_or_climate() -> None:
    policy = Policy(house(), PolicyConfig())
    lock = Action(entity_id="lock.front_door", command="lock.lock")
    assert verdict(policy, lock, GUEST) is Verdict.REFUSE
    assert verdict(policy, lock, GUEST, approved_by=ADMIN) is Verdict.REFUSE
    assert verdict(policy, Action(entity_id="cover.shade", command="cover.close"), GUEST) is (
        Verdict.ALLOW
    )
    assert not policy.may_confirm(Role.GUEST)
    assert policy.may_confirm(Role.ADMIN)


def test_unknown_entity_is_refused() -> None:
    policy = Policy(house(), PolicyConfig())
    assert verdict(policy, Action(entity_id="lock.back_door", command="lock.lock")) is (
        Verdict.REFUSE
    )


def _pool(setpoint: float | None, mode: HVACMode) -> Registry:
    registry = Registry()
    registry.upsert_device(
        "test",
        DeviceInfo(unique_id="pool", name="Pool"),
        [
            EntitySpec(
                unique_id="heater",
                domain=Domain.CLIMATE,
                name="Pool Heater",
                device_class="pool_heater",
                state=ClimateState(state=mode, temperature=setpoint),
            )
        ],
    )
    return registry


RAISING = PolicyConfig(
    confirm=[
        SensitiveRule(
            command="climate.*",
            device_classes=["pool_heater"],
            reason="turning up the pool heater",
            when="raising",
        )
    ]
)


@settings(max_examples=60, deadline=None)
@given(
    present=st.floats(min_value=10, max_value=30),
    wanted=st.floats(min_value=10, max_value=30),
    mode=st.sampled_from([HVACMode.HEAT, HVACMode.OFF]),
    path=st.sampled_from(list(Path)),
)
def test_a_raising_rule_asks_only_when_the_heat_goes_up(
    present: float, wanted: float, mode: HVACMode, path: Path
) -> None:
    policy = Policy(_pool(present, mode), RAISING)
    member = Requester("m", Role.MEMBER)
    action = Action(
        entity_id="climate.pool_heater",
        command="climate.set_temperature",
        params={"temperature": wanted},
    )
    verdict = policy.decide(action, Plan([action], member, path)).verdict
    asks = Verdict.REFUSE if path in (Path.SCHEDULE, Path.TRIGGER) else Verdict.CONFIRM
    assert verdict is (asks if wanted > present else Verdict.ALLOW)
    for off in (
        Action(entity_id="climate.pool_heater", command="climate.turn_off"),
        Action(
            entity_id="climate.pool_heater",
            command="climate.set_hvac_mode",
            params={"hvac_mode": "off"},
        ),
        Action(
            entity_id="climate.pool_heater",
            command="climate.set_temperature",
            params={"temperature": wanted, "hvac_mode": "off"},
        ),
    ):
        assert policy.decide(off, Plan([off], member, path)).verdict is Verdict.ALLOW
    on = Action(
        entity_id="climate.pool_heater",
        command="climate.set_temperature",
        params={"temperature": min(wanted, present), "hvac_mode": "heat"},
    )
    turned_on = policy.decide(on, Plan([on], member, path)).verdict
    assert turned_on is (asks if mode is HVACMode.OFF else Verdict.ALLOW)


def test_a_raising_rule_asks_when_the_present_setpoint_is_unknown() -> None:
    policy = Policy(_pool(None, HVACMode.HEAT), RAISING)
    action = Action(
        entity_id="climate.pool_heater",
        command="climate.set_temperature",
        params={"temperature": 20},
    )
    plan = Plan([action], Requester("m", Role.MEMBER), Path.LLM)
    assert policy.decide(action, plan).verdict is Verdict.CONFIRM


WILDCARDS = PolicyConfig(
    confirm=[
        SensitiveRule(command="lock.*", reason="touching a lock"),
        SensitiveRule(
            command="cover.*", device_classes=["garage"], reason="the garage", when="raising"
        ),
        SensitiveRule(command="climate.set_*", reason="the heat", when="raising"),
    ]
)
COMMANDS = [
    ("lock.front_door", "lock.unlock", {}),
    ("lock.front_door", "lock.lock", {}),
    ("cover.garage", "cover.open", {}),
    ("cover.garage", "cover.close", {}),
    ("cover.garage", "cover.set_position", {"position": 40}),
    ("cover.shade", "cover.set_position", {"position": 90}),
    ("cover.shade", "cover.open", {}),
    ("climate.thermostat", "climate.set_temperature", {"temperature": 22}),
    ("climate.thermostat", "climate.set_temperature", {"temperature": 35}),
    ("climate.thermostat", "climate.set_hvac_mode", {"hvac_mode": "off"}),
    ("climate.pool_heater", "climate.set_temperature", {"temperature": 18}),
]


@settings(max_examples=80, deadline=None)
@given(
    config=st.sampled_from([PolicyConfig(), WILDCARDS]),
    role=st.sampled_from(list(Role)),
    path=st.sampled_from(list(Path)),
    asked=st.lists(st.sampled_from(COMMANDS), min_size=1, max_size=20),
)
def test_one_persons_permissions_answer_every_command_as_a_fresh_decision(
    config: PolicyConfig, role: Role, path: Path, asked: list[tuple[str, str, dict[str, int]]]
) -> None:
    """The web page asks one `Permissions` about every button of the house: what it has
    worked out for one command and entity never leaks into another's verdict."""
    policy = Policy(house(), config)
    who = Requester("p", role)
    permissions = policy.permissions(role, path)
    for entity_id, command, params in asked:
        action = Action(entity_id=entity_id, command=command, params=params)
        fresh = policy.decide(action, Plan([action], who, path))
        entity = policy.registry.entities[entity_id]
        assert permissions.verdict(entity, command, params) == (fresh.verdict, fresh.reason)


def pump_house() -> Registry:
    registry = Registry()
    speed = NumberState(state="2500", min=450, max=3450, step=10, unit_of_measurement="RPM")
    registry.upsert_device(
        "t",
        DeviceInfo(unique_id="pump", name="Pump"),
        [EntitySpec(unique_id="speed", domain=Domain.NUMBER, name="Pump Speed", state=speed)],
    )
    return registry


def test_a_number_outside_the_devices_range_is_refused_with_the_range_named() -> None:
    policy = Policy(pump_house(), PolicyConfig())
    fast = Action(entity_id="number.pump_speed", command="number.set_value", params={"value": 4000})
    decision = policy.decide(fast, Plan([fast], ADMIN, Path.LLM, approved_by=ADMIN))
    assert decision.verdict is Verdict.REFUSE, "an approval does not lift a bound"
    assert decision.reason == (
        "4000 RPM is outside the allowed range for Pump Speed (450 RPM to 3450 RPM)"
    )
    slow = fast.model_copy(update={"params": {"value": 400}})
    assert verdict(policy, slow) is Verdict.REFUSE
    assert verdict(policy, fast.model_copy(update={"params": {"value": 3450}})) is Verdict.ALLOW


def test_the_households_number_bounds_narrow_the_devices_range() -> None:
    config = PolicyConfig(numbers={"number.pump_speed": NumberBounds(max=3000)})
    policy = Policy(pump_house(), config)
    fast = Action(entity_id="number.pump_speed", command="number.set_value", params={"value": 3100})
    decision = policy.decide(fast, Plan([fast], ADMIN, Path.LLM))
    assert decision.reason == (
        "3100 RPM is outside the allowed range for Pump Speed (450 RPM to 3000 RPM)"
    )
    assert verdict(policy, fast.model_copy(update={"params": {"value": 3000}})) is Verdict.ALLOW


def test_a_raising_rule_on_a_number_asks_only_when_the_value_goes_up() -> None:
    rule = SensitiveRule(
        command="number.set_value", reason="running the pump faster", when="raising"
    )
    policy = Policy(pump_house(), PolicyConfig(confirm=[rule]))
    faster = Action(
        entity_id="number.pump_speed", command="number.set_value", params={"value": 3000}
    )
    assert verdict(policy, faster) is Verdict.CONFIRM
    slower = faster.model_copy(update={"params": {"value": 2000}})
    assert verdict(policy, slower) is Verdict.ALLOW


def test_guests_may_not_change_an_equipments_settings() -> None:
    policy = Policy(pump_house(), PolicyConfig())
    slower = Action(
        entity_id="number.pump_speed", command="number.set_value", params={"value": 2000}
    )
    assert verdict(policy, slower, GUEST) is Verdict.REFUSE
    assert verdict(policy, slower, GUEST, approved_by=ADMIN) is Verdict.REFUSE
    assert verdict(policy, slower) is Verdict.ALLOW
