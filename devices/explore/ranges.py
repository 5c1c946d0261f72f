"""Where exploring may send: the local ranges only, whatever the configuration says.

RFC 1918 (10/8, 172.16/12, 192.168/16), IPv6 unique local (fc00::/7), link-local
(169.254/16, fe80::/10) and loopback (127/8, ::1). An address outside them is refused
before any socket is opened, even if a configured network or a device's redirect names it.
"""

from __future__ import annotations

import ipaddress

LOCAL_RANGES = tuple(
    ipaddress.ip_network(text)
    for text in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "127.0.0.0/8",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)


class OutsideLocalNetworkError(ValueError):
    """An address exploring must not reach."""


def local_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address `text` names, if it is a literal address inside the local ranges.

    Host names are refused too: a name may resolve anywhere, and resolving it already
    asks someone outside.
    """
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        raise OutsideLocalNetworkError(f"{text!r} is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not any(address in network for network in LOCAL_RANGES):
        raise OutsideLocalNetworkError(
            f"{address} is outside the local networks (RFC 1918, ULA, link-local, loopback)"
        )
    return address


def is_local(text: str) -> bool:
    """Whether exploring may reach `text`."""
    try:
        local_address(text)
    except OutsideLocalNetworkError:
        return False
    return True


def split_target(target: str) -> tuple[str, int | None]:
    """`192.168.1.40`, `192.168.1.40:8080` or `[fd00::5]:80` as (address, port or None);
    ValueError (OutsideLocalNetworkError) for anything outside the local ranges."""
    text = target.strip()
    port: int | None = None
    if text.startswith("["):
        address, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif text.count(":") == 1:
        address, _, port_text = text.partition(":")
        port = int(port_text)
    else:
        address = text
    return str(local_address(address)), port
