"""Emulators of devices Dobby has no adapter for: the demo house's "unknown" devices.

Each speaks its real device's public local API, written from that API's documentation,
on a loopback address of its own, announced as the real one announces itself:

- `devices.testing.unknown.wled`: a WLED strip (the JSON API, mDNS `_wled._tcp`)
- `devices.testing.unknown.shelly`: a Shelly Plus 1 relay (Gen2 RPC over HTTP, mDNS
  `_shelly._tcp`)
- `devices.testing.unknown.upnp_fan`: a ceiling fan with a UPnP service of its own
  (description, SCPD, SOAP; SSDP)

Every emulator keeps its own request log (`requests`): what really arrived, for tests
that prove what the explorer did and did not send.
"""
