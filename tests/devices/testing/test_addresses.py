"""The emulator kit's addresses: random loopback addresses, tried before they are handed out."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from devices.testing.addresses import (
    POOL_VARIABLE,
    AddressPoolError,
    HostAllocator,
    PortTakenError,
    bind,
    bind_first,
)


def test_addresses_are_loopback_distinct_and_not_127_0() -> None:
    hosts = HostAllocator()
    addresses = [hosts.allocate() for _ in range(50)]
    assert len(set(addresses)) == 50
    for address in addresses:
        assert ipaddress.IPv4Address(address).is_loopback
        assert not address.startswith("127.0.")  # 127.0.0.1, 127.0.0.53, 127.0.1.1 are others'
    assert hosts.allocated == frozenset(addresses)


def test_two_houses_draw_apart_and_each_has_its_own_broadcast_address() -> None:
    one, two = HostAllocator(), HostAllocator()
    first = {one.allocate() for _ in range(20)}
    second = {two.allocate() for _ in range(20)}
    assert not first & second
    assert one.broadcast == one.broadcast  # one per house, kept
    assert one.broadcast != two.broadcast
    assert one.broadcast in one.allocated
    assert one.broadcast not in first


def test_an_address_whose_port_is_taken_is_not_handed_out(monkeypatch) -> None:
    hosts = HostAllocator()
    holder = bind("127.0.0.1", 0)
    holder.listen()
    port = holder.getsockname()[1]
    try:
        # The first draw is the address whose port is held; the allocator must move on.
        draws = iter(["127.0.0.1", "127.0.0.1", *(f"127.9.9.{n}" for n in range(1, 50))])
        monkeypatch.setattr("devices.testing.addresses._draw", lambda _pool: next(draws))
        address = hosts.allocate(tcp=[port])
    finally:
        holder.close()
    assert address == "127.9.9.1"


def test_a_port_held_on_every_address_is_one_line_naming_it() -> None:
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind(("0.0.0.0", 0))  # a program holding the port on all addresses
    port = holder.getsockname()[1]
    try:
        with pytest.raises(PortTakenError) as caught:
            HostAllocator().allocate(udp=[port])
    finally:
        holder.close()
    message = str(caught.value)
    assert message == f"UDP port {port} on every loopback address tried is taken by another process"
    assert "\n" not in message
    assert caught.value.port == port


def test_binding_a_taken_port_names_the_address_and_port() -> None:
    host = HostAllocator().allocate()
    holder = bind(host, 0)
    holder.listen()
    port = holder.getsockname()[1]
    try:
        with pytest.raises(PortTakenError, match=rf"^{host}:{port} \(TCP\) is taken by another"):
            bind(host, port)
        sock, chosen = bind_first(host, [port, 0])  # the next port of the list instead
        sock.close()
        assert chosen not in (port, 0)
    finally:
        holder.close()


def test_a_pool_narrows_where_addresses_are_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(POOL_VARIABLE, "127.77.3.0/29")
    hosts = HostAllocator()
    drawn = [hosts.allocate() for _ in range(5)]
    assert len(set(drawn)) == 5
    assert set(drawn) <= {f"127.77.3.{n}" for n in range(1, 7)}  # not .0, not .7


@pytest.mark.parametrize("text", ["10.0.0.0/8", "127.0.0.1/31", "localhost", "127.1.2.300/24"])
def test_a_pool_that_is_not_loopback_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setenv(POOL_VARIABLE, text)
    with pytest.raises(AddressPoolError, match=f"^{POOL_VARIABLE}=.* is not a loopback network"):
        HostAllocator()
