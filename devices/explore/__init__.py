"""The device explorer: what is on the network, what it is, and how to learn it safely.

- `devices.explore.ranges`: which addresses exploring may ever reach (local ranges only)
- `devices.explore.rules`: what a read-only probe may send (no commanding words)
- `devices.explore.probe`: `Prober`, one host, a request budget, bounded time and size
- `devices.explore.fingerprints`: the signature table (`fingerprints.yaml`) and matching
- `devices.explore.scan`: `explore()`, every host that answers discovery, recognised
"""
