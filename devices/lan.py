"""Device traffic stays on the local network: it never goes through an HTTP proxy.

Client libraries built on `requests` (SoCo) honour HTTP_PROXY and HTTPS_PROXY, so a proxy
set for the internet (to reach a model's API, say) would also carry Dobby's commands to
the speakers on the LAN, and fail there. At start Dobby adds the loopback, private and
link-local networks to NO_PROXY, keeping whatever the environment lists already. With
them listed, `requests` also sees at once that a device's address bypasses proxies,
instead of reading the whole environment twice on every request.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import MutableMapping, Sequence

import ifaddr

LOCAL_NETWORKS = (
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "localhost",
    "::1",
)


def keep_device_traffic_local(environ: MutableMapping[str, str] | None = None) -> None:
    """List the local networks in NO_PROXY and no_proxy (both spellings, same value)."""
    env = os.environ if environ is None else environ
    listed: list[str] = []
    for key in ("no_proxy", "NO_PROXY"):
        for entry in env.get(key, "").split(","):
            if entry.strip() and entry.strip() not in listed:
                listed.append(entry.strip())
    merged = ",".join([*listed, *(n for n in LOCAL_NETWORKS if n not in listed)])
    for key in ("no_proxy", "NO_PROXY"):
        env[key] = merged


def interface_addresses(wanted: Sequence[str]) -> list[str]:
    """The IPv4 addresses of these interfaces, each given as an IPv4 address of this
    machine or an interface name (`eth0`). ValueError naming the first that is neither."""
    adapters = {
        adapter.nice_name: [ip.ip for ip in adapter.ips if isinstance(ip.ip, str)]
        for adapter in ifaddr.get_adapters()
    }
    mine = {address for addresses in adapters.values() for address in addresses}
    found: list[str] = []
    for entry in wanted:
        text = entry.strip()
        try:
            address = str(ipaddress.IPv4Address(text))
        except ValueError:
            address = None
        if address is not None and address in mine:
            found.append(address)
        elif address is not None:
            raise ValueError(f"{text} is not an address of this machine ({_listed(adapters)})")
        elif adapters.get(text):
            found.extend(adapters[text])
        elif text in adapters:
            raise ValueError(f"the interface {text} has no IPv4 address ({_listed(adapters)})")
        else:
            raise ValueError(
                f"{text!r} is neither an IPv4 address nor an interface of this machine "
                f"({_listed(adapters)})"
            )
    return list(dict.fromkeys(found))


def _listed(adapters: dict[str, list[str]]) -> str:
    return "; ".join(
        f"{name}: {', '.join(addresses) or 'no IPv4 address'}"
        for name, addresses in adapters.items()
    )
