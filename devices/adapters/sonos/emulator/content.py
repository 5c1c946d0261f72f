"""The ContentDirectory Browse action: a speaker's queue, the household's favourites (FV:2)
and Sonos playlists (SQ:); radio stations and shows (R:0/0, R:0/1) are empty.

The DIDL-Lite shapes follow what players answer (as the SoCo documentation and Home
Assistant's Sonos fixtures show them): a favourite is an item of class
object.itemobject.item.sonos-favorite whose r:resMD holds the escaped DIDL-Lite of what it
refers to (a station's audioBroadcast item, or a playlist container), and whose <res> is
what the player plays.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from devices.adapters.sonos.emulator.household import Household
from devices.adapters.sonos.emulator.services import REGISTRY, Arguments, Result, int_arg
from devices.adapters.sonos.emulator.state import Favourite, SpeakerState, UPnPError
from devices.adapters.sonos.emulator.templates import DIDL_NAMESPACES, attr, track_didl

EMPTY_CONTAINERS = ("R:0/0", "R:0/1")
"""Radio stations, radio shows: browsable, and empty."""
PLAYLIST_PROTOCOL = "file:*:audio/mpegurl:*"


def _didl(items: list[str]) -> str:
    return f"<DIDL-Lite {DIDL_NAMESPACES}>{''.join(items)}</DIDL-Lite>"


def _inner(didl: str) -> str:
    """The <item> of a one-item DIDL-Lite document."""
    return didl[didl.index("<item") : didl.rindex("</DIDL-Lite>")]


def _playlist_container(house: Household, number: int, *, playable: bool = True) -> str:
    """The playlist SQ:<number>; a favourite's r:resMD refers to it without its <res>."""
    playlist = house.playlists[number - 1]
    res = f'<res protocolInfo="{PLAYLIST_PROTOCOL}">{escape(house.playlist_uri(number))}</res>'
    return (
        f'<container id="SQ:{number}" parentID="SQ:" restricted="true">'
        f"<dc:title>{escape(playlist.title)}</dc:title>{res if playable else ''}"
        "<upnp:class>object.container.playlistContainer</upnp:class></container>"
    )


def _favourite_item(house: Household, number: int, favourite: Favourite) -> str:
    """One FV:2 item: what it refers to in r:resMD (escaped), what to play in <res>."""
    if favourite.playlist:
        playlist = house.playlist_number(favourite.playlist)
        referred = _playlist_container(house, playlist, playable=False)
        uri, protocol, kind = house.playlist_uri(playlist), PLAYLIST_PROTOCOL, "shortcut"
    else:
        referred = (
            f'<item id="F00092020{attr(favourite.title)}" parentID="L" restricted="true">'
            f"<dc:title>{escape(favourite.title)}</dc:title>"
            "<upnp:class>object.item.audioItem.audioBroadcast</upnp:class>"
            '<desc id="cdudn" nameSpace="urn:schemas-rinconnetworks-com:metadata-1-0/">'
            "SA_RINCON65031_</desc></item>"
        )
        scheme = favourite.stream_uri.split(":", 1)[0]
        uri, protocol, kind = favourite.stream_uri, f"{scheme}:*:*:*", "instantPlay"
    return (
        f'<item id="FV:2/{number}" parentID="FV:2" restricted="false">'
        f"<dc:title>{escape(favourite.title)}</dc:title>"
        "<upnp:class>object.itemobject.item.sonos-favorite</upnp:class>"
        f"<r:ordinal>{number - 1}</r:ordinal>"
        f'<res protocolInfo="{attr(protocol)}">{escape(uri)}</res>'
        f"<r:type>{kind}</r:type>"
        f"<r:description>{escape(favourite.description)}</r:description>"
        f"<r:resMD>{escape(_didl([referred]))}</r:resMD></item>"
    )


def _listing(items: list[str], args: Arguments) -> Result:
    start = max(0, int_arg(args, "StartingIndex"))
    count = int_arg(args, "RequestedCount")
    chosen = items[start : start + count] if count > 0 else items[start:]
    return {
        "Result": _didl(chosen),
        "NumberReturned": len(chosen),
        "TotalMatches": len(items),
        "UpdateID": 1,
    }


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
    if object_id == "FV:2" and flag == "BrowseDirectChildren":
        favourites = enumerate(house.favourites, start=1)
        return _listing([_favourite_item(house, n, f) for n, f in favourites], args)
    if object_id == "SQ:" and flag == "BrowseDirectChildren":
        numbers = range(1, len(house.playlists) + 1)
        return _listing([_playlist_container(house, n) for n in numbers], args)
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
