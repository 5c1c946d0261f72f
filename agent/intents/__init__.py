"""Local understanding: Home Assistant's sentence templates read against this home.

`IntentReader(registry).read("pause the kitchen")` gives the intent, its slots, the actions
(on entity ids) and a reply, in milliseconds and offline; None when no handled intent matches.
Each intent family has its own module with a table of intent → handler: `media`, `onoff`
(HassTurnOn/Off, and routines by name), `light` (HassLightSet), `climate` (set and get
temperature), `cover` (HassSetPosition), `state` (HassGetState: questions, answered with no
actions), `security` (Dobby's own alarm and climate-mode intents) and `history` (Dobby's own
questions about the past: "why did ...", "who unlocked ...", answered from the audit log).
The reader (`reader`) merges the tables; the shared targeting lives in `base` and, for
domains, device classes and "no place given", in `targets`.
"""

from __future__ import annotations

from agent.intents.base import IntentRequest, IntentResult, IntentSpec
from agent.intents.reader import HANDLERS, IntentReader

__all__ = ["HANDLERS", "IntentReader", "IntentRequest", "IntentResult", "IntentSpec"]
