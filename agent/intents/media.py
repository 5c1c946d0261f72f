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
| HassMediaSearchAndPlay | media_player.select_source(source=S)        | the playing ones  |
| DobbyPlayTogether      | media_player.join, then play or select      | (two places)      |
| DobbyAnnounce          | media_player.announce(text=T, language=L)   | every speaker     |

HassMediaSearchAndPlay ("play my jazz playlist in the kitchen", "put the radio on") finds what
was asked for among the player's `source_list` (its favourites and playlists): the words as
said, then without "my"/"the" and the kind ("playlist", "station"), then the one name that
contains them. "the radio" is the first of its radio stations. A group plays it once,
through its coordinator. DobbyPlayTogether ("play jazz radio in the kitchen and the living
room together") groups the players of both places under the one that plays (or the first),
then plays there.

With no target and none busy, the only media player of the house is meant if there is one.

DobbyAnnounce ("announce dinner is ready in the kitchen", "say dinner is ready on all
speakers", "sag das Essen ist fertig in der Küche") speaks the text, in the language it was
said in, on the players of the place named, or on every player; a group hears it once,
through the player that leads it. Players that cannot announce are named in the reply.

DobbyWhatsPlaying ("what's playing in the bedroom") answers from the players' state, with no
action: the title and artist of what plays, else that nothing does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from agent.intents.base import (
    IntentRequest,
    IntentResult,
    IntentSpec,
    Phrases,
    common_phrase,
    find_targets,
    join_names,
    kind_of,
)
from agent.intents.base import phrase as _phrase
from devices.capabilities import Commands, Domain, MediaPlayerFeature, MediaPlayerState
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
        "HassMediaSearchAndPlay": "Playing {source} on {targets}.",
        "no_source": "{name} has no favourite or playlist called {query}.",
        "no_source_known": "{name} has no favourite or playlist called {query}; it has {known}.",
        "no_radio": "{name} has no radio station among its favourites.",
        "where_to_play": "Where should I play it: {players}?",
        "together": "Playing {source} on {targets} together.",
        "together_resume": "Playing on {targets} together.",
        "one_place": "The {area} and the {other} have only one speaker between them.",
        "DobbyAnnounce": "Announcing “{text}” on {targets}.",
        "cannot_announce": "{targets} cannot make announcements.",
        "no_announcers": "No speaker here can make announcements.",
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
        "HassMediaSearchAndPlay": "Spiele {source} auf {targets}.",
        "no_source": "{name} hat keinen Favoriten und keine Playlist namens {query}.",
        "no_source_known": "{name} hat keinen Favoriten und keine Playlist namens {query}; "
        "es gibt {known}.",
        "no_radio": "{name} hat keinen Radiosender unter den Favoriten.",
        "where_to_play": "Wo soll ich es spielen: {players}?",
        "together": "Spiele {source} auf {targets} zusammen.",
        "together_resume": "Spiele auf {targets} zusammen.",
        "one_place": "{area} und {other} haben zusammen nur einen Lautsprecher.",
        "DobbyAnnounce": "Durchsage „{text}“ auf {targets}.",
        "cannot_announce": "{targets} kann keine Durchsagen machen.",
        "no_announcers": "Kein Lautsprecher hier kann Durchsagen machen.",
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


_FILLER = frozenset({"my", "the", "our", "a", "some", "meine", "mein", "die", "den", "das"})
_KINDS = frozenset({"playlist", "favourite", "favorite", "station", "stream", "music", "radio"})
RADIO = "radio"
"""The `media_class` of "put the radio on": the player's first radio station."""


def _words(text: str, drop: frozenset[str]) -> str:
    return " ".join(w for w in text.casefold().split() if w not in drop)


def find_source(said: str, sources: list[str]) -> str | None:
    """The one source `said` names: as said, then without filler and kind words, then the
    one source whose name holds those words (None when none or several do)."""
    none: frozenset[str] = frozenset()
    stages = ((none, none), (_FILLER, _FILLER), (_FILLER | _KINDS, _FILLER))
    for said_drop, name_drop in stages:
        wanted = _words(said, said_drop)
        exact = [s for s in sources if wanted and _words(s, name_drop) == wanted]
        if exact:
            return exact[0]
    wanted = _words(said, _FILLER | _KINDS) or _words(said, _FILLER)
    holding = [s for s in sources if wanted and wanted in s.casefold()]
    return holding[0] if len(holding) == 1 else None


def _sources(entity: Entity) -> tuple[list[str], list[str]]:
    state = entity.state
    if not isinstance(state, MediaPlayerState):
        return [], []
    return list(state.source_list or ()), list(state.radio_sources or ())


def _wanted_source(request: IntentRequest, entity: Entity) -> tuple[str | None, str]:
    """What to play on `entity` and, when there is nothing to play, why not."""
    sources, radio = _sources(entity)
    query = str(request.slots.get("search_query", "")).strip()
    if not query and request.slots.get("media_class") == RADIO:
        if radio:
            return radio[0], ""
        return None, request.say(PHRASES, "no_radio", name=entity.name)
    found = find_source(query, sources)
    if found is None and request.slots.get("media_class") == RADIO:
        found = find_source(f"{query} radio", radio)
    if found is not None:
        return found, ""
    if not sources:
        return None, request.say(PHRASES, "no_source", name=entity.name, query=repr(query))
    known = join_names(sources, request.language, "or", most=6)
    return None, request.say(
        PHRASES, "no_source_known", name=entity.name, query=repr(query), known=known
    )


def _leaders(entities: list[Entity]) -> list[Entity]:
    """The players that lead their group among `entities` (a group plays once)."""
    ids = {e.entity_id for e in entities}
    leaders = []
    for entity in entities:
        state = entity.state
        group = state.group_members if isinstance(state, MediaPlayerState) else None
        if group and group[0] != entity.entity_id and group[0] in ids:
            continue
        leaders.append(entity)
    return leaders


def _search_and_play(request: IntentRequest) -> IntentResult:
    every = sorted(
        (e for e in request.registry.entities.values() if e.domain in _PLAYERS),
        key=lambda e: e.entity_id,
    )
    where = request.say(
        PHRASES,
        "where_to_play",
        players=join_names([e.name for e in every], request.language, "or"),
    )
    targets = find_targets(request, _PLAYERS, busy_states=_PLAYING, nothing=where)
    if not targets.entities:
        question = targets.question or (where if targets.problem == where else None)
        return request.result(targets.question or targets.problem or "", [], question)
    actions: list[Action] = []
    played: dict[str, list[str]] = {}
    problems: list[str] = []
    for entity in _leaders(targets.entities):
        source, problem = _wanted_source(request, entity)
        if source is None:
            problems.append(problem)
            continue
        actions.append(
            Action(
                entity_id=entity.entity_id,
                command="media_player.select_source",
                params={"source": source},
            )
        )
        played.setdefault(source, []).append(entity.name)
    lines = [
        request.say(
            PHRASES,
            "HassMediaSearchAndPlay",
            source=source,
            targets=join_names(names, request.language, most=5),
        )
        for source, names in played.items()
    ]
    return request.result(" ".join([*lines, *problems]), actions)


def _play_together(request: IntentRequest) -> IntentResult:
    places = [str(request.slots.get("area", "")), str(request.slots.get("other_area", ""))]
    players: list[Entity] = []
    for place in places:
        found = request.resolve(area=place, domains=_PLAYERS).entities
        if not found:
            kind = kind_of(_PLAYERS, request.language)
            problem = common_phrase(request.language, "none_in_area", kind=kind, area=place)
            return request.result(problem)
        players.extend(e for e in sorted(found, key=lambda e: e.entity_id) if e not in players)
    if len(players) < 2:
        return request.result(request.say(PHRASES, "one_place", area=places[0], other=places[1]))
    playing = [e for e in players if e.state is not None and e.state.state in _PLAYING]
    leader = playing[0] if playing else players[0]
    members = [e for e in players if e is not leader]
    join = {"members": [e.entity_id for e in members]}
    actions = [Action(entity_id=leader.entity_id, command="media_player.join", params=join)]
    names = join_names([e.name for e in (leader, *members)], request.language)
    if str(request.slots.get("search_query", "")).strip() or request.slots.get("media_class"):
        source, problem = _wanted_source(request, leader)
        if source is None:
            return request.result(problem)
        actions.append(
            Action(
                entity_id=leader.entity_id,
                command="media_player.select_source",
                params={"source": source},
            )
        )
        return request.result(
            request.say(PHRASES, "together", source=source, targets=names), actions
        )
    if leader not in playing:
        actions.append(Action(entity_id=leader.entity_id, command="media_player.play"))
    return request.result(request.say(PHRASES, "together_resume", targets=names), actions)


_QUOTES = "\"'\u201c\u201d\u201e\u201a\u2018\u2019\u00ab\u00bb"
"""Quotation marks a text to announce may come in, straight or typeset."""


def _announce(request: IntentRequest) -> IntentResult:
    text = str(request.slots.get("announcement", "")).strip().strip(_QUOTES).strip()
    if request.slots.get("everywhere"):
        players = sorted(
            (e for e in request.registry.entities.values() if e.domain in _PLAYERS and e.available),
            key=lambda e: e.entity_id,
        )
        if not players:
            return request.result(request.say(PHRASES, "no_announcers"))
    else:
        targets = find_targets(
            request,
            _PLAYERS,
            busy_states=_PLAYING,
            nothing=request.say(PHRASES, "no_announcers"),
        )
        if not targets.entities:
            return request.result(targets.question or targets.problem or "", [], targets.question)
        players = targets.entities
    able = [e for e in players if MediaPlayerFeature.ANNOUNCE in e.features]
    unable = [e.name for e in players if e not in able]
    lines = []
    actions = [
        Action(
            entity_id=e.entity_id,
            command="media_player.announce",
            params={"text": text, "language": request.language},
        )
        for e in _leaders(able)
    ]
    if able:
        names = join_names([e.name for e in able], request.language, most=5)
        lines.append(request.say(PHRASES, "DobbyAnnounce", text=text, targets=names))
    if unable:
        names = join_names(unable, request.language, most=5)
        key = "cannot_announce" if able else "no_announcers"
        lines.append(request.say(PHRASES, key, targets=names))
    return request.result(" ".join(lines), actions)


HANDLERS: dict[str, IntentSpec] = {
    "DobbyAnnounce": IntentSpec(_PLAYERS, _announce),
    "HassMediaSearchAndPlay": IntentSpec(_PLAYERS, _search_and_play),
    "DobbyPlayTogether": IntentSpec(_PLAYERS, _play_together),
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
