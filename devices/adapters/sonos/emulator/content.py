"""The ContentDirectory Browse action: a speaker's queue, and empty favourites and playlists."""

from __future__ import annotations

from devices.adapters.sonos.emulator.household import Household
from devices.adapters.sonos.emulator.services import REGISTRY, Arguments, Result, int_arg
from devices.adapters.sonos.emulator.state import SpeakerState, UPnPError
from devices.adapters.sonos.emulator.templates import DIDL_NAMESPACES, track_didl

EMPTY_CONTAINERS = ("FV:2", "R:0/0", "R:0/1", "SQ:")
"""Favourites, radio stations, radio shows, Sonos playlists: browsable, and empty."""


def _didl(items: list[str]) -> str:
    return f"<DIDL-Lite {DIDL_NAMESPACES}>{''.join(items)}</DIDL-Lite>"


def _inner(didl: str) -> str:
    """The <item> of a one-item DIDL-Lite document."""
    return didl[didl.index("<item") : didl.rindex("</DIDL-Lite>")]


@REGISTRY.action(
    "ContentDirectory",
    "Browse",
    ("ObjectID", "BrowseFlag", "Filter", "StartingIndex", "RequestedCount", "SortCriteria"),
    ("Result", "NumberReturned", "TotalMatches", "UpdateID"),
    variables={
        "ObjectID": "A_ARG_TYPE_ObjectID",
        "BrowseFlag": "A_ARG_TYPE_BrowseFlag",
        "Filter": "A_ARG_TYPE_Filter",
        "StartingIndex": "A_ARG_TYPE_Index",
        "RequestedCount": "A_ARG_TYPE_Count",
        "SortCriteria": "A_ARG_TYPE_SortCriteria",
        "Result": "A_ARG_TYPE_Result",
        "NumberReturned": "A_ARG_TYPE_Count",
        "TotalMatches": "A_ARG_TYPE_Count",
        "UpdateID": "A_ARG_TYPE_UpdateID",
    },
)
def _browse(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    object_id = args["ObjectID"].strip()
    flag = args["BrowseFlag"].strip()
    if flag not in ("BrowseDirectChildren", "BrowseMetadata"):
        raise UPnPError(720, f"cannot {flag}")
    if object_id in EMPTY_CONTAINERS:
        return {"Result": _didl([]), "NumberReturned": 0, "TotalMatches": 0, "UpdateID": 1}
    if object_id != "Q:0":
        raise UPnPError(701, f"no object {object_id}")
    queue = speaker.queue
    if flag == "BrowseMetadata":
        container = (
            f'<container id="Q:0" parentID="Q:" restricted="true" childCount="{len(queue)}">'
            "<dc:title>Queue Instance 0</dc:title>"
            "<upnp:class>object.container.playlistContainer</upnp:class></container>"
        )
        return {"Result": _didl([container]), "NumberReturned": 1, "TotalMatches": 1, "UpdateID": 1}
    start = max(0, int_arg(args, "StartingIndex"))
    count = int_arg(args, "RequestedCount")
    chosen = queue[start : start + count] if count > 0 else queue[start:]
    items = [
        _inner(track_didl(track, f"Q:0/{start + n + 1}", "Q:0")) for n, track in enumerate(chosen)
    ]
    return {
        "Result": _didl(items),
        "NumberReturned": len(items),
        "TotalMatches": len(queue),
        "UpdateID": 1,
    }
