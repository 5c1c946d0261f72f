"""What a read-only probe may send: checked before any request leaves."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.explore.ranges import OutsideLocalNetworkError, is_local, local_address
from devices.explore.rules import (
    COMMANDING_WORDS,
    ProbeRefusedError,
    check_document,
    check_path,
    check_soap_action,
    words,
)

READS = [
    "/json/info",
    "/json/state",
    "/shelly",
    "/rpc/Switch.GetStatus?id=0",
    "/rpc/Shelly.GetDeviceInfo",
    "/cm?cmnd=Status%200",
    "/description.xml",
    "/status",
]
COMMANDS = [
    "/cm?cmnd=Power%20On",  # Tasmota
    "/cm?cmnd=Power%20TOGGLE",
    "/relay/0?turn=on",  # Shelly Gen1
    "/settings?name=Kitchen",
    "/rpc/Switch.Set?id=0&on=true",  # Shelly Gen2
    "/rpc/Switch.Toggle?id=0",
    "/rpc/Shelly.Reboot",
    "/win&T=1",  # WLED's HTTP API
    "/win?T=1",
    "/reset",
    "/update",
    "/api/lights/1/state/on",
    "/light/0/turnOn",
    "http://192.168.1.1/json",
    "//192.168.1.1/json",
    "json/info",
    "/../etc/passwd",
    "/json/state?id=0&bri=255",
    "/rpc/Switch.GetStatus?id=0x0",
]


@pytest.mark.parametrize("path", READS)
def test_reads_pass(path: str) -> None:
    assert check_path(path) == path


@pytest.mark.parametrize("path", COMMANDS)
def test_commands_and_other_hosts_are_refused(path: str) -> None:
    with pytest.raises(ProbeRefusedError):
        check_path(path)


def test_words_split_at_case_and_punctuation() -> None:
    assert words("/rpc/Switch.GetStatus") == ["rpc", "switch", "get", "status"]
    assert words("/light/0/turnOn") == ["light", "0", "turn", "on"]


@given(
    before=st.from_regex(r"\A(/[a-z]{1,8}){0,3}\Z"),
    word=st.sampled_from(sorted(COMMANDING_WORDS)),
    after=st.from_regex(r"\A(/[a-z0-9]{1,8}){0,2}\Z"),
    capital=st.booleans(),
)
def test_a_commanding_word_anywhere_in_the_path_is_refused(
    before: str, word: str, after: str, capital: bool
) -> None:
    spelled = word.capitalize() if capital else word
    with pytest.raises(ProbeRefusedError):
        check_path(f"{before}/{spelled}{after}")


def test_only_get_actions_and_plain_documents() -> None:
    assert check_soap_action("GetPower") == "GetPower"
    for action in ("SetPower", "Getaway", "get", "GetPower<x/>"):
        with pytest.raises(ProbeRefusedError):
            check_soap_action(action)
    assert check_document("/upnp/PowerControl.xml") == "/upnp/PowerControl.xml"
    with pytest.raises(ProbeRefusedError):
        check_document("/scpd.xml?action=on")


@pytest.mark.parametrize(
    "address", ["192.168.1.40", "10.1.2.3", "172.31.0.9", "169.254.1.1", "127.4.5.6", "fd00::1"]
)
def test_local_ranges(address: str) -> None:
    assert is_local(address)


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "172.32.0.1", "100.64.0.1", "2001:db8::1", "example.com", "::ffff:1.1.1.1"],
)
def test_everything_else_is_refused(address: str) -> None:
    with pytest.raises(OutsideLocalNetworkError):
        local_address(address)
