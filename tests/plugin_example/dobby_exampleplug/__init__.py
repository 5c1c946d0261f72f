"""An example third-party adapter: a smart plug with a tiny HTTP API.

The plug answers `GET /relay` with `{"ison": true, "name": "Desk Plug", "room": ...}`,
`GET /relay?turn=on|off`, and `GET /pair` with a token (`dobby pair exampleplug ADDRESS`).
It announces itself as `_exampleplug._tcp.local.`. The entry point names the manifest
(manifest.py); Dobby imports the adapter (adapter.py) when a plug is found.
"""
