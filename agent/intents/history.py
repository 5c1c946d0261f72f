"""Questions about the past, answered from the audit log: Dobby's own intents.

- DobbyWhy: "why did the kitchen lights go off?" → "Sleepy time turned them off at 22:31;
  Alice asked in Telegram."
- DobbyWhoDid: "who unlocked the front door today?" → "Alice unlocked it at 08:12 in
  Telegram; Bob approved."
- DobbyWhatHappened: "what happened last night?" → "Last night: 22:31 Sleepy time (Alice, in
  Telegram); 23:10 Front Door unlocked at the device."
- DobbyRoutineReport: "what did sleepy time do?" → "Sleepy time ran at 22:31; Alice asked in
  Telegram. 14 of 14 actions done."

A change made at the device (a wall switch, the vendor's app) is answered as one: "Kitchen
Pendant was changed at the device at 22:40, not through Dobby." The facts come from
`skills.history.History`; the words are here, in English and German.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta

from agent.intents.base import IntentRequest, IntentResult, IntentSpec, Phrases, join_names
from agent.intents.targets import everything, select
from devices.capabilities import Domain
from skills.actions import ROUTINES_FILE
from skills.audit import AuditEntry
from skills.history import STATES, Event, History, period

_ALL = frozenset(Domain)
_LISTED = 4
"""Events named in one answer; the rest are counted."""

PHRASES: Phrases = {
    "en": {
        "no_log": "I keep no record of what happened here.",
        "why_dobby": "{actor} {did} {when}; {who} asked {channel}.",
        "why_schedule": "{actor} {did} {when}, on a schedule {who} made.",
        "why_own_schedule": "{actor} {did} {when}, on its schedule.",
        "why_device": "{names} {was} {verb} at the device {when}, not through Dobby.",
        "why_none": "I have no record of {names} being {state}.",
        "approved": " {approver} approved.",
        "who_one": "{who} {did} {when} {channel}.",
        "who_none": "Nobody {verb} {names} {span}.",
        "happened": "{span}: {items}.",
        "happened_none": "Nothing happened {span}.",
        "item_run": "{clock} {routine} ({who}, {channel}{failed})",
        "item_action": "{clock} {who} {verb} {names}{failed}",
        "item_device": "{clock} {names} {verb} at the device",
        "more": "and {count} more",
        "failed": ", {count} failed",
        "routine_ran": (
            "{routine} ran {when}; {who} asked {channel}. {done} of {total} actions done."
        ),
        "routine_failed": " Failed: {failures}.",
        "routine_never": "{routine} has not run yet.",
        "it": "it",
        "them": "them",
        "was": "was",
        "were": "were",
        "at": "at {clock}",
        "yesterday": "yesterday at {clock}",
        "on_day": "on {day} at {clock}",
        "today": "today",
        "span_yesterday": "yesterday",
        "span_last_night": "last night",
        "span_this_morning": "this morning",
        "span_this_evening": "this evening",
        "span_all": "so far",
        "Span_today": "Today",
        "Span_yesterday": "Yesterday",
        "Span_last_night": "Last night",
        "Span_this_morning": "This morning",
        "Span_this_evening": "This evening",
        "Span_all": "Lately",
        "a_schedule": "A schedule",
        "telegram": "in Telegram",
        "whatsapp": "in WhatsApp",
        "web": "on the web page",
        "terminal": "at the terminal",
        "mcp": "through MCP",
        "other": "",
        "s_off": "off",
        "s_on": "on",
        "s_open": "open",
        "s_closed": "closed",
        "s_locked": "locked",
        "s_unlocked": "unlocked",
        "s_armed": "armed",
        "s_disarmed": "disarmed",
        "s_playing": "playing",
        "s_paused": "paused",
        "s_stopped": "stopped",
        "s_changed": "changed",
        "v_off": "turned off",
        "v_on": "turned on",
        "v_open": "opened",
        "v_closed": "closed",
        "v_locked": "locked",
        "v_unlocked": "unlocked",
        "v_armed": "armed",
        "v_disarmed": "disarmed",
        "v_playing": "started",
        "v_paused": "paused",
        "v_stopped": "stopped",
        "v_changed": "changed",
        "d_off": "turned {them} off",
        "d_on": "turned {them} on",
        "d_open": "opened {them}",
        "d_closed": "closed {them}",
        "d_locked": "locked {them}",
        "d_unlocked": "unlocked {them}",
        "d_armed": "armed {them}",
        "d_disarmed": "disarmed {them}",
        "d_playing": "started {them}",
        "d_paused": "paused {them}",
        "d_stopped": "stopped {them}",
        "d_changed": "changed {them}",
    },
    "de": {
        "no_log": "Ich führe hier kein Protokoll darüber, was passiert ist.",
        "why_dobby": "{actor} hat {them} {when} {verb}; {who} hat {channel} gefragt.",
        "why_schedule": "{actor} hat {them} {when} {verb}, nach einem Zeitplan von {who}.",
        "why_own_schedule": "{actor} hat {them} {when} {verb}, nach ihrem Zeitplan.",
        "why_device": "{names} {was} {when} am Gerät {verb} worden, nicht über Dobby.",
        "why_none": "Ich habe keinen Eintrag, dass {names} {state} wurde.",
        "approved": " {approver} hat zugestimmt.",
        "who_one": "{who} hat {them} {when} {channel} {verb}.",
        "who_none": "Niemand hat {names} {span} {verb}.",
        "happened": "{span}: {items}.",
        "happened_none": "{Span} ist nichts passiert.",
        "item_run": "{clock} {routine} ({who}, {channel}{failed})",
        "item_action": "{clock} {who}: {names} {verb}{failed}",
        "item_device": "{clock} {names} am Gerät {verb}",
        "more": "und {count} weitere",
        "failed": ", {count} fehlgeschlagen",
        "routine_ran": (
            "{routine} lief {when}; {who} hat {channel} gefragt. "
            "{done} von {total} Aktionen erledigt."
        ),
        "routine_failed": " Fehlgeschlagen: {failures}.",
        "routine_never": "{routine} ist noch nicht gelaufen.",
        "it": "es",
        "them": "sie",
        "was": "ist",
        "were": "sind",
        "at": "um {clock}",
        "yesterday": "gestern um {clock}",
        "on_day": "am {day} um {clock}",
        "today": "heute",
        "span_yesterday": "gestern",
        "span_last_night": "letzte Nacht",
        "span_this_morning": "heute Morgen",
        "span_this_evening": "heute Abend",
        "span_all": "bisher",
        "Span_today": "Heute",
        "Span_yesterday": "Gestern",
        "Span_last_night": "Letzte Nacht",
        "Span_this_morning": "Heute Morgen",
        "Span_this_evening": "Heute Abend",
        "Span_all": "Zuletzt",
        "a_schedule": "Ein Zeitplan",
        "telegram": "in Telegram",
        "whatsapp": "in WhatsApp",
        "web": "auf der Webseite",
        "terminal": "am Terminal",
        "mcp": "über MCP",
        "other": "",
        "s_off": "ausgeschaltet",
        "s_on": "eingeschaltet",
        "s_open": "geöffnet",
        "s_closed": "geschlossen",
        "s_locked": "abgeschlossen",
        "s_unlocked": "aufgeschlossen",
        "s_armed": "scharf geschaltet",
        "s_disarmed": "unscharf geschaltet",
        "s_playing": "gestartet",
        "s_paused": "pausiert",
        "s_stopped": "gestoppt",
        "s_changed": "verändert",
        "v_off": "ausgeschaltet",
        "v_on": "eingeschaltet",
        "v_open": "geöffnet",
        "v_closed": "geschlossen",
        "v_locked": "abgeschlossen",
        "v_unlocked": "aufgeschlossen",
        "v_armed": "scharf geschaltet",
        "v_disarmed": "unscharf geschaltet",
        "v_playing": "gestartet",
        "v_paused": "pausiert",
        "v_stopped": "gestoppt",
        "v_changed": "verändert",
    },
}

_VERB_OF_COMMAND = {
    "turn_off": "off",
    "turn_on": "on",
    "open": "open",
    "close": "closed",
    "lock": "locked",
    "unlock": "unlocked",
    "arm": "armed",
    "disarm": "disarmed",
    "play": "playing",
    "pause": "paused",
    "stop": "stopped",
}
"""A command's verb as the state it brings, for the words of `v_<state>`."""


def _title(name: str) -> str:
    """A routine's name at the start of a sentence: "Sleepy time"."""
    return name[:1].upper() + name[1:]


def _state_of(command: str) -> str:
    """The state a command brings, as the phrases name it."""
    return _VERB_OF_COMMAND.get(command.split(".", 1)[-1], "changed")


def _state_word(device_state: str) -> str:
    """A device's state (`armed_night`) as the phrases name it (`armed`)."""
    if device_state in STATES:
        return device_state
    return next((k for k, v in STATES.items() if device_state in v), "changed")


class _Words:
    """The phrases of one request, with the helpers every answer needs."""

    def __init__(self, request: IntentRequest, history: History) -> None:
        self.request, self.history = request, history

    def __call__(self, key: str, **values: object) -> str:
        text = self.request.say(PHRASES, key, **values)
        return re.sub(r" +([.;,:])", r"\1", re.sub(r"  +", " ", text))

    def when(self, at: datetime) -> str:
        """ "at 22:31", "yesterday at 22:31", "on 03.11. at 22:31"."""
        clock = f"{at:%H:%M}"
        today = self.history.now().date()
        if at.date() == today:
            return self("at", clock=clock)
        if at.date() == today - timedelta(days=1):
            return self("yesterday", clock=clock)
        day = f"{at:%d.%m.}" if self.request.language == "de" else f"{at:%a %d %b}"
        return self("on_day", day=day, clock=clock)

    def channel(self, entry: AuditEntry) -> str:
        key = entry.channel if entry.channel in ("telegram", "whatsapp", "web", "mcp") else ""
        if not key and entry.requester == "terminal":
            key = "terminal"
        return self(key or "other")

    def who(self, entry: AuditEntry) -> str:
        return entry.name or entry.requester

    def names(self, entity_ids: list[str]) -> str:
        return join_names([self.history.name(e) for e in entity_ids], self.request.language, most=3)

    def verb(self, command: str) -> str:
        """ "turned off", "unlocked": what a command did."""
        return self(f"v_{_state_of(command)}")

    def did(self, command: str, them: str) -> str:
        """ "turned them off", "unlocked it": what a command did to them."""
        return self(f"d_{_state_of(command)}", them=them)

    def them(self, entity_ids: list[str]) -> str:
        return self("them") if len(entity_ids) > 1 else self("it")

    def approved(self, entry: AuditEntry) -> str:
        approver = entry.approver_name or entry.approved_by
        if not approver or entry.approved_by in (entry.requester, ROUTINES_FILE):
            return ""  # a routine's standing approval is not news
        return self("approved", approver=approver)

    def was(self, entity_ids: list[str]) -> str:
        return self("were") if len(entity_ids) > 1 else self("was")

    def span(self, key: str | None, *, capital: bool = False) -> str:
        name = key or "all"
        if name == "today" and not capital:
            return self("today")
        return self(f"{'Span' if capital else 'span'}_{name}")


def _history(request: IntentRequest) -> History | IntentResult:
    if request.history is None:
        return request.result(request.say(PHRASES, "no_log"))
    return request.history


def _targets(request: IntentRequest) -> list[str] | IntentResult:
    targets = select(request, _ALL, everything)
    if not targets.entities:
        reply = targets.question or targets.problem or ""
        return request.result(reply, [], targets.question)
    return [e.entity_id for e in targets.entities]


def _dobby_sentence(words: _Words, event: Event, entity_ids: list[str]) -> str:
    """ "Sleepy time turned them off at 22:31; Alice asked in Telegram." """
    first = event.first
    touched = [e for e in event.entity_ids if e in entity_ids] or event.entity_ids
    them = words.them(touched if len(entity_ids) > 1 else touched[:1])
    values = {
        "actor": _title(first.routine) if first.routine else words.who(first),
        "verb": words.verb(first.command),
        "them": them,
        "did": words.did(first.command, them),
        "when": words.when(event.at),
        "who": words.who(first),
        "channel": words.channel(first),
    }
    if first.path == "schedule":
        if first.requester == "routines.yaml" and first.routine:
            return words("why_own_schedule", **values)
        if not first.routine:
            values["actor"] = words("a_schedule")
        return words("why_schedule", **values)
    # Without a routine the person did it themselves: "Alice turned it off at 22:31".
    text = words("why_dobby" if first.routine else "who_one", **values)
    return text + words.approved(first)


def _device_sentence(words: _Words, event: Event) -> str:
    """ "Kitchen Pendant was turned off at the device at 22:40, not through Dobby." """
    assert event.change is not None
    return words(
        "why_device",
        names=words.names(event.entity_ids),
        was=words.was(event.entity_ids),
        verb=words(f"v_{_state_word(event.change.new_state)}"),
        when=words.when(event.at),
    )


def _about(request: IntentRequest) -> tuple[_Words, list[str]] | IntentResult:
    """The words to answer in and the entities asked about, or the answer already (no
    record kept, no such device, which one?)."""
    history = _history(request)
    if isinstance(history, IntentResult):
        return history
    found = _targets(request)
    if isinstance(found, IntentResult):
        return found
    return _Words(request, history), found


def _why(request: IntentRequest) -> IntentResult:
    about = _about(request)
    if isinstance(about, IntentResult):
        return about
    (words, found), state = about, str(request.slots.get("state", "changed"))
    event = words.history.why(found, state)
    if event is None:
        reply = words("why_none", names=words.names(found), state=words(f"s_{state}"))
        return request.result(reply)
    if event.change is not None:
        return request.result(_device_sentence(words, event))
    return request.result(_dobby_sentence(words, event, found))


def _who(request: IntentRequest) -> IntentResult:
    about = _about(request)
    if isinstance(about, IntentResult):
        return about
    (words, found), state = about, str(request.slots.get("state", "changed"))
    history = words.history
    key = request.slots.get("period")
    since, until = period(str(key), history.now()) if key else (None, None)
    events = history.who(found, state, since, until)
    if not events:
        reply = words(
            "who_none", verb=words(f"v_{state}"), names=words.names(found), span=words.span(key)
        )
        return request.result(reply)
    sentences = []
    for event in events[:_LISTED]:
        if event.change is not None:
            sentences.append(_device_sentence(words, event))
        else:
            sentences.append(_dobby_sentence(words, event, found))
    if len(events) > _LISTED:
        sentences.append(words("more", count=len(events) - _LISTED) + ".")
    return request.result(" ".join(sentences))


def _item(words: _Words, event: Event) -> str:
    clock = f"{event.at:%H:%M}"
    if event.change is not None:
        verb = words(f"v_{_state_word(event.change.new_state)}")
        return words("item_device", clock=clock, names=words.names(event.entity_ids), verb=verb)
    first, failed = event.first, len(event.failed)
    failures = words("failed", count=failed) if failed else ""
    if first.routine:
        return words(
            "item_run",
            clock=clock,
            routine=_title(first.routine),
            who=words.who(first),
            channel=words.channel(first),
            failed=failures,
        )
    return words(
        "item_action",
        clock=clock,
        who=words.who(first),
        verb=words.verb(first.command),
        names=words.names(event.entity_ids),
        failed=failures,
    )


def _happened(request: IntentRequest) -> IntentResult:
    history = _history(request)
    if isinstance(history, IntentResult):
        return history
    words = _Words(request, history)
    key = request.slots.get("period")
    name = str(key) if key else "today"
    since, until = period(name, history.now())
    entity_ids = None
    if "name" in request.slots or "area" in request.slots:
        found = _targets(request)
        if isinstance(found, IntentResult):
            return found
        entity_ids = found
    events = list(reversed(history.events(entity_ids=entity_ids, since=since, until=until)))
    if not events:
        return request.result(
            words("happened_none", span=words.span(name), Span=words.span(name, capital=True))
        )
    items = [_item(words, e) for e in events[:_LISTED]]
    if len(events) > _LISTED:
        items.append(words("more", count=len(events) - _LISTED))
    listed = "; ".join(items)
    return request.result(words("happened", span=words.span(name, capital=True), items=listed))


def _routine_report(request: IntentRequest) -> IntentResult:
    history = _history(request)
    if isinstance(history, IntentResult):
        return history
    words = _Words(request, history)
    said = str(request.slots.get("name", ""))
    known = {p.casefold(): r.name for r in request.routines for p in (r.name, *r.phrases)}
    routine = known.get(said.casefold(), said)
    shown = _title(routine)
    event = history.last_run(routine)
    if event is None:
        return request.result(words("routine_never", routine=shown))
    first = event.first
    done = sum(1 for e in event.entries if e.ok)
    reply = words(
        "routine_ran",
        routine=shown,
        when=words.when(event.at),
        who=words.who(first),
        channel=words.channel(first),
        done=done,
        total=len(event.entries),
    )
    failed = Counter(f"{history.name(e.entity_id)} ({e.error})" for e in event.failed)
    if failed:
        reply += words("routine_failed", failures="; ".join(failed))
    return request.result(reply)


HANDLERS: dict[str, IntentSpec] = {
    "DobbyWhy": IntentSpec(_ALL, _why),
    "DobbyWhoDid": IntentSpec(_ALL, _who),
    "DobbyWhatHappened": IntentSpec(_ALL, _happened),
    "DobbyRoutineReport": IntentSpec(_ALL, _routine_report),
}
"""The questions about the past and how each is answered."""
