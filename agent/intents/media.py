"""Media intents: pause, resume, next and previous track, volume, mute.

| Intent                 | Command                                     | No target means   |
|------------------------|---------------------------------------------|-------------------|
| HassMediaPause         | media_player.pause                          | the playing ones  |
| HassMediaUnpause       | media_player.play                           | the paused ones   |
| HassMediaNext          | media_player.next_track                     | the playing ones  |
| HassMediaPrevious      | media_player.previous_track                 | the playing ones  |
| HassSetVolume          | media_player.set_volume(volume=N)           | the playing ones  |
| HassSetVolumeRelative  | media_player.step_volume(delta=±N, def. 10) | the playing ones  |
| HassMediaPlayerMute    | media_player.mute(muted=True)               | the playing ones  |
| HassMediaPlayerUnmute  | media_player.mute(muted=False)              | the playing ones  |

With no target and none busy, the only media player of the house is meant if there is one.

DobbyWhatsPlaying ("what's playing in the bedroom") answers from the players' state, with no
action: the title and artist of what plays, else that nothing does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from agent.intents.base import IntentRequest, IntentResult, IntentSpec, Phrases, find_targets
from agent.intents.base import phrase as _phrase
from devices.capabilities import Commands, Domain, MediaPlayerState
from devices.entities import Entity
from skills.actions import Action

DEFAULT_VOLUME_STEP = 10
"""Percentage points for "volume up" when the sentence gives no amount."""

_PLAYERS = frozenset({Domain.MEDIA_PLAYER})
_PLAYING = frozenset({"playing"})
_PAUSED = frozenset({"paused"})

PHRASES: Phrases = {
    "en": {
        "HassMediaPause": "Paused {targets}.",
        "HassMediaUnpause": "Resumed {targets}.",
        "HassMediaNext": "Skipped to the next track on {targets}.",
        "HassMediaPrevious": "Went back to the previous track on {targets}.",
        "HassSetVolume": "Set the {targets} volume to {volume}%.",
        "volume_up": "Turned the {targets} volume up by {step}%.",
        "volume_down": "Turned the {targets} volume down by {step}%.",
        "HassMediaPlayerMute": "Muted {targets}.",
        "HassMediaPlayerUnmute": "Unmuted {targets}.",
        "nothing_playing": "Nothing is playing.",
        "nothing_paused": "Nothing is paused.",
        "playing": "{name}: {title}.",
        "playing_by": "{name}: {title} by {artist}.",
        "silent": "{name}: nothing is playing.",
    },
    "de": {
        "HassMediaPause": "Pausiere {targets}.",
        "HassMediaUnpause": "Setze die Wiedergabe auf {targets} fort.",
        "HassMediaNext": "Nächster Titel auf {targets}.",
        "HassMediaPrevious": "Vorheriger Titel auf {targets}.",
        "HassSetVolume": "Stelle die Lautstärke von {targets} auf {volume} %.",
        "volume_up": "Mache {targets} um {step} % lauter.",
        "volume_down": "Mache {targets} um {step} % leiser.",
        "HassMediaPlayerMute": "Schalte {targets} stumm.",
        "HassMediaPlayerUnmute": "Schalte die Stummschaltung von {targets} aus.",
        "nothing_playing": "Gerade spielt nichts.",
        "nothing_paused": "Gerade ist nichts pausiert.",
        "playing": "{name}: {title}.",
        "playing_by": "{name}: {title} von {artist}.",
        "silent": "{name}: gerade spielt nichts.",
    },
}

Params = Callable[[Mapping[str, Any]], dict[str, Any]]
Reply = Callable[[IntentRequest, str, dict[str, Any]], str]


def _no_params(slots: Mapping[str, Any]) -> dict[str, Any]:
    del slots
    return {}


def _by_intent(request: IntentRequest, targets: str, params: dict[str, Any]) -> str:
    return _phrase(PHRASES, request.language, request.intent, targets=targets, **params)


def _player_intent(
    command: str,
    *,
    params: Params = _no_params,
    reply: Reply = _by_intent,
    busy: frozenset[str] = _PLAYING,
    nothing: str = "nothing_playing",
) -> IntentSpec:
    """An intent that sends one media_player command to every player it means."""
    Commands.get(command)  # a misspelt command fails at import, not at the first sentence

    def handle(request: IntentRequest) -> IntentResult:
        targets = find_targets(
            request,
            _PLAYERS,
            busy_states=busy,
            nothing=_phrase(PHRASES, request.language, nothing),
        )
        if not targets.entities:
            return request.result(targets.question or targets.problem or "", [], targets.question)
        values = params(request.slots)
        actions = [
            Action(entity_id=e.entity_id, command=command, params=values) for e in targets.entities
        ]
        return request.result(reply(request, targets.names(request.language), values), actions)

    return IntentSpec(_PLAYERS, handle)


def _volume(slots: Mapping[str, Any]) -> dict[str, Any]:
    return {"volume": round(float(slots["volume_level"]))}


def _step(slots: Mapping[str, Any]) -> dict[str, Any]:
    """volume_step is "up", "down" or a signed number of percentage points."""
    step = slots.get("volume_step", "up")
    if step == "up":
        return {"delta": DEFAULT_VOLUME_STEP}
    if step == "down":
        return {"delta": -DEFAULT_VOLUME_STEP}
    return {"delta": max(-100, min(100, round(float(step))))}


def _step_reply(request: IntentRequest, targets: str, params: dict[str, Any]) -> str:
    delta = int(params["delta"])
    key = "volume_up" if delta >= 0 else "volume_down"
    return _phrase(PHRASES, request.language, key, targets=targets, step=abs(delta))


def _whats_playing(request: IntentRequest) -> IntentResult:
    nothing = _phrase(PHRASES, request.language, "nothing_playing")
    targets = find_targets(request, _PLAYERS, busy_states=_PLAYING, nothing=nothing)
    if not targets.entities:
        return request.result(targets.question or targets.problem or "", [], targets.question)
    return request.result(" ".join(_playing(request, e) for e in targets.entities))


def _playing(request: IntentRequest, entity: Entity) -> str:
    state = entity.state
    if not isinstance(state, MediaPlayerState) or state.state != "playing" or not entity.available:
        return request.say(PHRASES, "silent", name=entity.name)
    title = state.media_title or "?"
    if state.media_artist:
        return request.say(
            PHRASES, "playing_by", name=entity.name, title=title, artist=state.media_artist
        )
    return request.say(PHRASES, "playing", name=entity.name, title=title)


HANDLERS: dict[str, IntentSpec] = {
    "DobbyWhatsPlaying": IntentSpec(_PLAYERS, _whats_playing),
    "HassMediaPause": _player_intent("media_player.pause"),
    "HassMediaUnpause": _player_intent("media_player.play", busy=_PAUSED, nothing="nothing_paused"),
    "HassMediaNext": _player_intent("media_player.next_track"),
    "HassMediaPrevious": _player_intent("media_player.previous_track"),
    "HassSetVolume": _player_intent("media_player.set_volume", params=_volume),
    "HassSetVolumeRelative": _player_intent(
        "media_player.step_volume", params=_step, reply=_step_reply
    ),
    "HassMediaPlayerMute": _player_intent(
        "media_player.mute", params=lambda slots: {"muted": True}
    ),
    "HassMediaPlayerUnmute": _player_intent(
        "media_player.mute", params=lambda slots: {"muted": False}
    ),
}
"""The media intents and how each is handled."""
