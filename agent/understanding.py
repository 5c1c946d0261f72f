"""Understanding: what a sentence asks for, as a plan, before anything is done.

Routine phrases first, then Home Assistant's sentence templates (offline, milliseconds),
then the LLM agent if one is configured, and otherwise a helpful answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from agent.intents import IntentReader
from devices.registry import Registry
from skills.actions import Action, Requester
from skills.routines import Routine, expand, match_phrase

if TYPE_CHECKING:
    from agent.llm.agent import HouseAgent

Source = Literal["routine", "intent", "llm", "none"]


class Understanding(BaseModel):
    """What Dobby made of a sentence: the shape `dobby understand --json` prints."""

    text: str
    source: Source
    intent: str | None = None
    slots: dict[str, Any] = {}
    routine: str | None = None
    actions: list[Action] = []
    needs_confirmation: bool = False
    reply: str = ""
    notes: list[str] = Field(default=[], exclude=True)
    """What was left out (a routine step with nothing to act on in this house)."""


class Understander:
    """Turns sentences into plans, local paths first."""

    def __init__(
        self,
        registry: Registry,
        routines: Sequence[Routine],
        *,
        language: str = "en",
        temperature_unit: str = "°C",
        llm: HouseAgent | None = None,
    ) -> None:
        self.registry = registry
        self.routines = list(routines)
        self.intents = IntentReader(
            registry, language, temperature_unit=temperature_unit, routines=self.routines
        )
        self.llm = llm
        """The LLM path, when a model is configured."""

    async def understand(self, text: str, requester: Requester | None = None) -> Understanding:
        """Read one sentence; nothing is executed (the LLM path runs as a dry run)."""
        text = text.strip()
        local = await self.local(text)
        if local is not None:
            return local
        if self.llm is not None:
            turn = await self.llm.plan(text, requester or Requester.local_admin())
            return Understanding(text=text, source="llm", actions=turn.actions, reply=turn.reply)
        return Understanding(text=text, source="none", reply=self.help_text(text))

    async def local(self, text: str) -> Understanding | None:
        """Routine phrases, then sentence templates; None when neither understood the text.

        With `llm_first` configured, everything is left to the model.
        """
        text = text.strip()
        if self.llm is not None and self.llm.settings.llm_first:
            return None
        routine = match_phrase(self.routines, text)
        if routine is not None:
            actions, notes = expand(routine, self.registry)
            return Understanding(
                text=text,
                source="routine",
                routine=routine.name,
                actions=actions,
                notes=notes,
                reply=f"Running {routine.name}.",
            )
        found = self.intents.read(text)
        if found is not None:
            # A routine activated by name ("activate sleepy time") runs as its phrase does.
            return Understanding(
                text=text,
                source="routine" if found.routine else "intent",
                intent=found.intent,
                slots=found.slots,
                routine=found.routine,
                actions=found.actions,
                notes=found.notes,
                reply=found.question or found.reply,
            )
        return None

    def help_text(self, text: str) -> str:
        """What to say when nothing understood the sentence."""
        phrases = ", ".join(f'"{r.name}"' for r in self.routines)
        examples = (
            '"turn off the kitchen lights", "set the living room volume to 30", '
            '"close the bedroom blinds", "is the front door locked?"'
        )
        routines = f" Routines: {phrases}." if phrases else ""
        return (
            f'Sorry, I did not understand "{text}". I can control the lights, speakers, '
            f"shades and the rest of the house, for example {examples}.{routines} "
            "No language model is configured for anything else."
        )
