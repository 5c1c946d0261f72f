"""An emulator of a Philips Hue bridge (CLIP API v2 over HTTPS) that aiohue drives unchanged.

bridge = HueBridgeEmulator("127.0.0.10", [LightSpec("Desk", "Study", on=True)])
await bridge.start()          # HTTPS on 443 (or a free port), `_hue._tcp` on 127.0.0.1
bridge.press_link_button()    # pairing (POST /api) works for 30 s
bridge.set_light("Desk", on=False)
await bridge.stop()
"""

from devices.adapters.hue.emulator.core import HueBridgeEmulator, bridge_id_for
from devices.adapters.hue.emulator.model import ClipError, LightKind, LightSpec, SceneSpec

__all__ = ["ClipError", "HueBridgeEmulator", "LightKind", "LightSpec", "SceneSpec", "bridge_id_for"]
