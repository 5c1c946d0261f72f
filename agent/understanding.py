"""Understanding: what a sentence asks for, as a plan, before anything is done.

Routine phrases first, then Home Assistant's sentence templates (offline, milliseconds),
then the LLM agent if one is configured, and otherwise a helpful answer.

The household's own words are read the same way: the assistant's name, politeness and
framing are taken off first (`agent.wording`); a sentence nothing understood is read again
with its slips of the finger put right (`agent.intents.spelling`); and "close the blinds and
turn on the floor lamp" becomes one plan when every part is understood here, else the whole
sentence is the model's (never half of it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from agent.intents import IntentReader, IntentResult
from agent.intents.talk import greeting
from agent.wording import Wording
from devices.names import KIND_WORDS, normalize
from devices.registry import Registry
from skills.actions import Action, Requester
from skills.routines import Routine, expand, match_phrase
from skills.when import WhenError, parse_timed, parse_wait

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
    at: datetime | None = None
    """When to do it, for "in 20 minutes ..." and "at 10 pm ..."; None: now."""
    after: float | None = None
    """For "in 20 minutes ...": the seconds, counted from the moment it is scheduled."""
    wait: float | None = None
    """Seconds to wait, for "wait 3 seconds"."""
    needs_confirmation: bool = False
    refused: list[str] = []
    """What the house rules would refuse, and why (filled in by a dry run)."""
    verdicts: list[str] = []
    """What the policy says of each action, in order (filled in by a dry run): "allowed",
    "refused: <why>", "<what> needs a confirmation"."""
    reply: str = ""
    asks: bool = False
    """True when the reply is a question back ("Did you mean X or Y?") and nothing is done."""
    choices: list[str] = []
    """With a question back about a name: the entity ids asked about."""
    said: str | None = Field(default=None, exclude=True)
    """With `choices`: the words that named no one of them ("the big light")."""
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
        clock: Callable[[], datetime] | None = None,
        assistant: str = "Dobby",
    ) -> None:
        self.registry = registry
        self.wording = Wording(assistant, language)
        """How the household addresses its assistant: taken off before reading."""
        self.routines = list(routines)
        self.intents = IntentReader(
            registry, language, temperature_unit=temperature_unit, routines=self.routines
        )
        self.llm = llm
        """The LLM path, when a model is configured."""
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now().astimezone())
        """The time in the house's time zone, for "at 10 pm"."""

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
        """A wait, a time in front of a request, routine phrases, then sentence templates;
        None when none of them understood the text.

        With `llm_first` configured, everything else is left to the model. Something asked
        for later is scheduled only when understood here: the model has no clock, and
        handing it "in 20 minutes ..." would have it act now.
        """
        text = text.strip()
        plain = self.wording.plain(text)
        if not plain:  # the name alone: "Dobby?"
            reply = greeting(self.intents.language)
            return Understanding(text=text, source="intent", intent="DobbyGreet", reply=reply)
        seconds = parse_wait(plain)
        if seconds is not None:
            reply = f"Waiting {seconds:g} seconds."
            return Understanding(
                text=text, source="intent", intent="Wait", wait=seconds, reply=reply
            )
        with self.intents.one_sentence():  # nothing awaits in here
            found = self._later(text)
        if found is not None and found.text != text:
            found = found.model_copy(update={"text": text})
        return found

    def _later(self, text: str) -> Understanding | None:
        """A request with a time in front ("in 20 minutes ..."), or one for now."""
        try:
            timed = parse_timed(self.wording.plain(text), self.clock())
        except WhenError as error:
            return Understanding(text=text, source="none", reply=str(error))
        if timed is None:
            return None if self._llm_first else self._now(text)
        inner = self._now(timed.what)
        slots = {"when": timed.describe(), "what": timed.what}
        if inner is None or not (inner.actions or inner.routine):
            reply = (
                f"I can do things later only when I understand them myself, and I did not "
                f'understand "{timed.what}". Say it as a command, for example "in 20 minutes '
                'turn off the kitchen lights".'
            )
            return Understanding(
                text=text, source="none", intent="Schedule", slots=slots, reply=reply
            )
        slots = {**inner.slots, **slots}
        if timed.at is None:
            reply = (
                f"To run this {timed.describe()}, make it a routine with that schedule "
                '(for example: "every weekday at 6:30 run good morning").'
            )
            return Understanding(
                text=text, source="none", intent="Schedule", slots=slots, reply=reply
            )
        return inner.model_copy(
            update={
                "text": text,
                "at": timed.at,
                "after": timed.after,
                "intent": "Schedule",
                "slots": slots,
                "reply": f"Will do {timed.what!r} {timed.describe()}.",
            }
        )

    def _now(self, text: str) -> Understanding | None:
        """Something to do now: read as said, else with its slips put right, else (a
        sentence of several requests joined by "and") part by part.

        A sentence with several requests is read loosely as a whole (misspelt or loose
        names) only after its parts did not all read: the parts are sooner.
        """
        several = len(self.wording.parts(text)) > 1
        found = self._read(text, loose=False)
        corrected = self.intents.corrected(text) if found is None else None
        if corrected is not None:
            # Slips put right before names are read loosely: "the halway thermostat" is the
            # Hallway Thermostat, not every heat source of a place that sounds like it.
            found = self._read(corrected, loose=False)
        if found is None and not several:
            found = self._read(text, loose=True, strict=False)
        if found is None and several:
            found = self._compound(text) or self._read(text, strict=False)
        if found is None and corrected is not None:
            found = self._read(corrected, strict=False)
        if found is None and not several:
            found = self._about_kind(text)
        return found

    def _about_kind(self, text: str) -> Understanding | None:
        """Last: words that name no device here but a kind of device ("turn on the big
        light"), asked about ("Did you mean ...?"), so the answer can become an alias. Not
        for a sentence of several requests: that is the model's whole."""
        plain = self.wording.plain(text)
        if not set(normalize(plain).split()) & KIND_WORDS:
            return None
        found = self.intents.read(plain, kinds=True)
        return _from_intent(plain, found) if found is not None and found.question else None

    def _read(self, text: str, *, loose: bool = True, strict: bool = True) -> Understanding | None:
        """Routine phrases (in the forms people say them), then sentence templates (with
        `loose`, also with names that match no list exactly; without `strict`, only so)."""
        for form in self.wording.routine_forms(text):
            routine = match_phrase(self.routines, form)
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
        for form in self.wording.forms(text):
            found = self.intents.read(form, loose=loose, strict=strict)
            if found is not None:
                return _from_intent(text, found)
        return None

    def _compound(self, text: str) -> Understanding | None:
        """Several requests joined by "and": one plan when every part is a request
        understood here (with something to do), else None (the whole is the model's)."""
        parts = self.wording.parts(text)
        if len(parts) < 2:
            return None
        read: list[Understanding] = []
        for part in parts:
            if read and part.split()[0].casefold() in _DETERMINERS:
                found = self._borrowing(read[-1], part)  # "close the blinds and the shade"
            else:
                found = self._part(part)
            if found is None:
                return None
            read.append(found)
        return Understanding(
            text=text,
            source="intent",
            intent="Compound",
            slots={"parts": [u.model_dump(include={"intent", "slots"}) for u in read]},
            actions=[a for u in read for a in u.actions],
            notes=[n for u in read for n in u.notes],
            reply=" ".join(u.reply for u in read if u.reply),
        )

    def _borrowing(self, before: Understanding, part: str) -> Understanding | None:
        """A part without a verb, read with the verb of the part before it ("turn off the
        floor lamp and the ceiling light"); only when that reads as the same intent."""
        words = before.text.split()
        ends = [n for n, word in enumerate(words) if word.casefold() in _DETERMINERS]
        leads = dict.fromkeys([*ends[:1], 1, 2, 3])
        for lead in (n for n in leads if 0 < n < len(words)):
            found = self._part(" ".join((*words[:lead], part)))
            if found is not None and found.intent == before.intent:
                return found
        return None

    def _part(self, part: str) -> Understanding | None:
        """One part of a compound request, if it is a request with something to do."""
        found = self._read(part)
        if found is None:
            corrected = self.intents.corrected(part)
            found = self._read(corrected) if corrected is not None else None
        if found is None or found.source != "intent" or not found.actions:
            return None
        return found

    @property
    def _llm_first(self) -> bool:
        return self.llm is not None and self.llm.settings.llm_first

    def help_text(self, text: str) -> str:
        """What to say when nothing understood the sentence."""
        phrases = ", ".join(f'"{r.name}"' for r in self.routines)
        if self.intents.language.startswith("de"):
            examples = (
                '"mach das Licht in der Küche aus", "Lautstärke im Wohnzimmer auf 30", '
                '"schließe die Rollos im Schlafzimmer", "ist die Haustür abgeschlossen?"'
            )
            routines = f" Abläufe: {phrases}." if phrases else ""
            return (
                f"Entschuldige, „{text}“ habe ich nicht verstanden. Ich steuere Licht, "
                f"Lautsprecher, Rollos und den Rest des Hauses, zum Beispiel {examples}."
                f"{routines} Für alles andere ist kein Sprachmodell eingerichtet."
            )
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


_DETERMINERS = frozenset(
    {"the", "my", "our", "a", "an", "all", "every", "die", "der", "das", "den"}
)
"""Words a target starts with: what comes before them in a request is its verb."""


def _from_intent(text: str, found: IntentResult) -> Understanding:
    """What a recognised intent means; a routine run by name ("activate sleepy time") runs
    as its phrase does."""
    return Understanding(
        text=text,
        source="routine" if found.routine else "intent",
        intent=found.intent,
        slots=found.slots,
        routine=found.routine,
        actions=found.actions,
        notes=found.notes,
        reply=found.question or found.reply,
        asks=found.question is not None,
        choices=found.choice[1] if found.choice else [],
        said=found.choice[0] if found.choice else None,
    )
