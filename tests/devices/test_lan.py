"""Device traffic never goes through an HTTP proxy set for the internet."""

from __future__ import annotations

import pytest
from requests.utils import get_environ_proxies

from devices.lan import LOCAL_NETWORKS, keep_device_traffic_local


def test_local_networks_join_what_no_proxy_already_lists() -> None:
    env = {"NO_PROXY": "example.org, 10.0.0.0/8", "no_proxy": "intranet.local"}
    keep_device_traffic_local(env)
    listed = env["NO_PROXY"].split(",")
    assert listed[:3] == ["intranet.local", "example.org", "10.0.0.0/8"]
    assert set(LOCAL_NETWORKS) <= set(listed)
    assert listed.count("10.0.0.0/8") == 1
    assert env["no_proxy"] == env["NO_PROXY"]
    keep_device_traffic_local(env)  # again: nothing added twice
    assert env["NO_PROXY"].split(",") == listed


def test_requests_sends_to_devices_directly_and_elsewhere_through_the_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    speaker = "http://192.168.1.23:1400/MediaRenderer/AVTransport/Control"
    assert get_environ_proxies(speaker)  # without Dobby: through the proxy
    env: dict[str, str] = {}
    keep_device_traffic_local(env)
    monkeypatch.setenv("NO_PROXY", env["NO_PROXY"])
    for url in (speaker, "http://127.0.0.5:1400/", "http://169.254.7.7/", "http://localhost/"):
        assert get_environ_proxies(url) == {}, url
    assert get_environ_proxies("http://api.example.com/v1")["http"] == "http://proxy.invalid:3128"
