"""What a person reads after a request: a refusal leads, a sensitive request is asked as a
question before anything happens ("Unlock the Front Door? It needs a confirmation."), then
what was done, what failed and why, and what was left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from devices.registry import Registry
from skills.actions import Action, ActionResult
from skills.house import Outcome
from skills.policy import Review, Verdict

_ASK: dict[str, str] = {
    "lock.unlock": "unlock {names}",
    "lock.lock": "lock {names}",
    "alarm_panel.disarm": "disarm {names}",
    "alarm_panel.arm": "arm {names}",
    "cover.open": "open {names}",
    "cover.close": "close {names}",
    "cover.set_position": "move {names} to {position}%",
    "climate.set_temperature": "set {names} to {temperature}°",
    "climate.set_hvac_mode": "switch {names} to {hvac_mode}",
    "climate.turn_off": "turn off {names}",
    "climate.set_humidity": "set {names} to {humidity}% humidity",
    "climate.set_fan_mode": "set the fan of {names} to {fan_mode}",
    "switch.turn_on": "turn on {names}",
    "switch.turn_off": "turn off {names}",
    "light.turn_on": "turn on {names}",
    "light.turn_off": "turn off {names}",
    "media_player.play": "play {names}",
}
"""How to ask about a held command; others are asked by the command's own words."""


def ask_first(actions: Sequence[Action], registry: Registry) -> str:
    """The question about actions that wait for a confirmation, asked before anything
    happens: "Unlock the Front Door? It needs a confirmation."."""
    grouped: dict[tuple[str, tuple[tuple[str, object], ...]], list[str]] = {}
    for action in actions:
        entity = registry.entities.get(action.entity_id)
        name = f"the {entity.name}" if entity is not None else action.entity_id
        key = (action.command, tuple(sorted(action.params.items())))
        grouped.setdefault(key, []).append(name)
    clauses = []
    for (command, params), names in grouped.items():
        template = _ASK.get(command, command.split(".", 1)[-1].replace("_", " ") + " {names}")
        values = {k: getattr(v, "value", v) for k, v in params}
        clauses.append(template.format(names=_join(names), **values))
    question = _join(clauses)
    needs = "They need" if len(actions) > 1 else "It needs"
    return f"{question[:1].upper()}{question[1:]}? {needs} a confirmation."


def refusal_first(intro: str, review: Review) -> str:
    """A reply that leads with what the house rules refuse; the intro (what was understood)
    follows only if something else will still be done."""
    refused = review.with_verdict(Verdict.REFUSE)
    lines = [f"Not done: {d.reason}." for d in refused]
    if intro and len(refused) < len(review.decisions):
        lines.append(intro)
    return "\n".join(lines)


def reviewed(intro: str, review: Review, registry: Registry, *, done: str = "Now") -> str:
    """The reply to a plan the policy reviewed: refusals first; what waits for a
    confirmation as a question, with only the actions that go ahead named beside it."""
    held = [d.action for d in review.with_verdict(Verdict.CONFIRM)]
    if not held:
        return refusal_first(intro, review) if review.with_verdict(Verdict.REFUSE) else intro
    lines = [f"Not done: {d.reason}." for d in review.with_verdict(Verdict.REFUSE)]
    allowed = [d.action for d in review.with_verdict(Verdict.ALLOW)]
    if allowed:
        lines.append(f"{done}: {_names(allowed, registry)}.")
    lines.append(ask_first(held, registry))
    return "\n".join(lines)


def summarize(intro: str, outcome: Outcome, registry: Registry) -> str:
    """One short reply: what the rules refused, what waits for approval, what was done,
    what failed and why."""
    done = [r for r in outcome.results if r.ok]
    failed: list[ActionResult] = [r for r in outcome.results if not r.ok]
    lines = [reviewed(intro, outcome.review, registry, done="Done")]
    if failed:
        lines.append(f"Done {len(done)} of {len(done) + len(failed)}.")
        lines.extend(f"- {r.error}" for r in failed)
    lines.extend(outcome.plan.notes)
    return "\n".join(line for line in lines if line)


def _names(actions: Sequence[Action], registry: Registry) -> str:
    names = []
    for action in actions:
        entity = registry.entities.get(action.entity_id)
        names.append(entity.name if entity is not None else action.entity_id)
    return _join(list(dict.fromkeys(names)))


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
