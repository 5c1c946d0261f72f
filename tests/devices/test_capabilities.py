"""The capability model: typed commands, features and refusals before anything is sent."""

from __future__ import annotations

import pytest

from devices.capabilities import (
    STATE_MODELS,
    ClimateState,
    Commands,
    Domain,
    HVACMode,
    LightState,
    NumberState,
    validate_command,
)
from devices.errors import (
    DeviceAuthError,
    DeviceConnectionError,
    DeviceError,
    DeviceRefusedError,
    DeviceResponseError,
    DeviceTimeoutError,
    DeviceUnavailableError,
    UnsupportedCommandError,
)


def test_every_domain_has_a_state_model_and_the_controllable_ones_have_commands() -> None:
    assert set(STATE_MODELS) == set(Domain)
    read_only = {Domain.SENSOR, Domain.BINARY_SENSOR}
    for domain in set(Domain) - read_only:
        assert Commands.of(domain), f"{domain} has no commands"
    for domain in read_only:
        assert Commands.of(domain) == []


def test_error_hierarchy_is_pinned() -> None:
    # A caller catching DeviceError must catch every device error (python-wled's slip).
    for error in (
        DeviceConnectionError,
        DeviceTimeoutError,
        DeviceResponseError,
        DeviceRefusedError,
        DeviceUnavailableError,
        DeviceAuthError,
        UnsupportedCommandError,
    ):
        assert issubclass(error, DeviceError)
    assert issubclass(DeviceTimeoutError, DeviceConnectionError)
    assert not issubclass(DeviceResponseError, DeviceConnectionError)


def test_params_are_typed_and_bounded() -> None:
    spec, params = validate_command(
        "media_player.kitchen",
        Domain.MEDIA_PLAYER,
        frozenset({"volume_set"}),
        "media_player.set_volume",
        {"volume": "30"},
    )
    assert spec.name == "media_player.set_volume"
    assert params.model_dump() == {"volume": 30}
    with pytest.raises(UnsupportedCommandError, match="less than or equal to 100"):
        validate_command(
            "media_player.kitchen",
            Domain.MEDIA_PLAYER,
            frozenset({"volume_set"}),
            "media_player.set_volume",
            {"volume": 150},
        )


def test_missing_feature_is_refused_with_the_feature_named() -> None:
    with pytest.raises(UnsupportedCommandError, match="no brightness support"):
        validate_command(
            "light.plain", Domain.LIGHT, frozenset(), "light.turn_on", {"brightness": 50}
        )
    # Plain on needs no feature at all.
    validate_command("light.plain", Domain.LIGHT, frozenset(), "light.turn_on", {})


def test_command_of_another_domain_is_refused() -> None:
    with pytest.raises(UnsupportedCommandError, match="is a light"):
        validate_command("light.x", Domain.LIGHT, frozenset(), "media_player.play", {})
    with pytest.raises(UnsupportedCommandError, match="no command called"):
        validate_command("light.x", Domain.LIGHT, frozenset(), "light.explode", {})


def test_unknown_parameter_is_refused() -> None:
    with pytest.raises(UnsupportedCommandError, match="extra inputs"):
        validate_command("light.x", Domain.LIGHT, frozenset(), "light.turn_off", {"speed": 3})


def test_colour_temperature_outside_the_bulbs_range_is_refused() -> None:
    state = LightState(state="on", min_color_temp_kelvin=2200, max_color_temp_kelvin=6500)
    features = frozenset({"color_temp"})
    with pytest.raises(UnsupportedCommandError, match="2200 K to 6500 K, not 1800 K"):
        validate_command(
            "light.x",
            Domain.LIGHT,
            features,
            "light.turn_on",
            {"color_temp_kelvin": 1800},
            state=state,
        )
    validate_command(
        "light.x", Domain.LIGHT, features, "light.turn_on", {"color_temp_kelvin": 2700}, state=state
    )


def test_a_number_is_set_on_its_steps_and_read_back_as_its_value() -> None:
    state = NumberState(state="2500", min=450, max=3450, step=10, unit_of_measurement="RPM")
    spec, params = validate_command(
        "number.pump",
        Domain.NUMBER,
        frozenset(),
        "number.set_value",
        {"value": "2800"},
        state=state,
    )
    assert (spec.name, spec.idempotent, params.model_dump()) == (
        "number.set_value",
        True,
        {"value": 2800},
    )
    assert spec.expect is not None
    assert spec.expect(params) == {"state": ("2800",)}
    with pytest.raises(UnsupportedCommandError, match="steps of 10 RPM from 450 RPM, so not 2805"):
        validate_command(
            "number.pump",
            Domain.NUMBER,
            frozenset(),
            "number.set_value",
            {"value": 2805},
            state=state,
        )
    assert state.value == 2500
    assert NumberState(state="unknown", min=0, max=100).value is None


def test_climate_mode_the_device_lacks_is_refused() -> None:
    state = ClimateState(state=HVACMode.HEAT, hvac_modes=[HVACMode.OFF, HVACMode.HEAT])
    with pytest.raises(UnsupportedCommandError, match="not cool"):
        validate_command(
            "climate.pool",
            Domain.CLIMATE,
            frozenset({"hvac_mode"}),
            "climate.set_hvac_mode",
            {"hvac_mode": "cool"},
            state=state,
        )


def test_temperature_range_must_be_whole_and_ordered() -> None:
    features = frozenset({"target_temperature", "target_temperature_range"})
    for params, message in (
        ({}, "give a temperature"),
        ({"target_temp_low": 20}, "needs both"),
        ({"target_temp_low": 24, "target_temp_high": 20}, "must not be above"),
        ({"temperature": 21, "target_temp_low": 19, "target_temp_high": 23}, "not both"),
    ):
        with pytest.raises(UnsupportedCommandError, match=message):
            validate_command(
                "climate.t", Domain.CLIMATE, features, "climate.set_temperature", params
            )


def test_state_attributes_leave_out_unknowns() -> None:
    state = LightState(state="on", brightness=40)
    assert state.attributes() == {"brightness": 40}
