"""The XML a ZonePlayer speaks: its description, SOAP envelopes, DIDL-Lite, group state.

Every value is escaped on the way in; nothing here parses requests except the DIDL-Lite
metadata a client enqueues.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from xml.sax.saxutils import escape

from devices.adapters.sonos.emulator.household import Household
from devices.adapters.sonos.emulator.services import SERVICES, Service, service_id
from devices.adapters.sonos.emulator.state import (
    SOFTWARE_VERSION,
    SpeakerState,
    Track,
    hms,
)

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"
DIDL_NAMESPACES = (
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/" '
    'xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/" '
    'xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/"'
)
_DC = "{http://purl.org/dc/elements/1.1/}"
_UPNP = "{urn:schemas-upnp-org:metadata-1-0/upnp/}"
_DIDL = "{urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/}"


def attr(value: object) -> str:
    """A value escaped for a double-quoted XML attribute."""
    return escape(str(value), {'"': "&quot;"})


def server_header(speaker: SpeakerState) -> str:
    """The SERVER header a player sends in HTTP and SSDP answers."""
    return f"Linux UPnP/1.0 Sonos/{SOFTWARE_VERSION} (ZP{speaker.model_number})"


def _service_xml(service: Service) -> str:
    return (
        f"<service><serviceType>{service.service_type}</serviceType>"
        f"<serviceId>{service_id(service)}</serviceId>"
        f"<controlURL>{service.control_url}</controlURL>"
        f"<eventSubURL>{service.event_url}</eventSubURL>"
        f"<SCPDURL>{service.scpd_url}</SCPDURL></service>"
    )


def _embedded_device(speaker: SpeakerState, kind: str, suffix: str) -> str:
    services = "".join(_service_xml(s) for s in SERVICES if s.device == kind)
    return (
        f"<device><deviceType>urn:schemas-upnp-org:device:{kind}:1</deviceType>"
        f"<friendlyName>{escape(speaker.name)} - {escape(speaker.model_name)} "
        f"{'Media Server' if kind == 'MediaServer' else 'Media Renderer'}</friendlyName>"
        "<manufacturer>Sonos, Inc.</manufacturer>"
        "<manufacturerURL>http://www.sonos.com</manufacturerURL>"
        f"<modelNumber>{escape(speaker.model_number)}</modelNumber>"
        f"<modelDescription>Sonos {escape(speaker.model_name)} {kind}</modelDescription>"
        f"<modelName>{escape(speaker.model_name)}</modelName>"
        f"<UDN>uuid:{speaker.uid}_{suffix}</UDN>"
        f"<serviceList>{services}</serviceList></device>"
    )


def device_description(speaker: SpeakerState) -> str:
    """/xml/device_description.xml: the ZonePlayer with its MediaServer and MediaRenderer."""
    root_services = "".join(_service_xml(s) for s in SERVICES if s.device == "root")
    model = escape(speaker.model_name)
    number = escape(speaker.model_number)
    display = escape(speaker.model_name.removeprefix("Sonos ").strip() or speaker.model_name)
    return (
        '<?xml version="1.0" encoding="utf-8" ?>'
        '<root xmlns="urn:schemas-upnp-org:device-1-0">'
        "<specVersion><major>1</major><minor>0</minor></specVersion>"
        "<device>"
        "<deviceType>urn:schemas-upnp-org:device:ZonePlayer:1</deviceType>"
        f"<friendlyName>{speaker.host} - {model} - {speaker.uid}</friendlyName>"
        "<manufacturer>Sonos, Inc.</manufacturer>"
        "<manufacturerURL>http://www.sonos.com</manufacturerURL>"
        f"<modelNumber>{number}</modelNumber>"
        f"<modelDescription>Sonos {model}</modelDescription>"
        f"<modelName>{model}</modelName>"
        f"<modelURL>http://www.sonos.com/products/zoneplayers/{number}</modelURL>"
        f"<softwareVersion>{SOFTWARE_VERSION}</softwareVersion>"
        "<swGen>2</swGen>"
        "<hardwareVersion>1.20.1.6-1.2</hardwareVersion>"
        f"<serialNum>{speaker.mac.replace(':', '-')}:E</serialNum>"
        f"<MACAddress>{speaker.mac}</MACAddress>"
        f"<UDN>uuid:{speaker.uid}</UDN>"
        "<iconList><icon><id>0</id><mimetype>image/png</mimetype><width>48</width>"
        f"<height>48</height><depth>24</depth><url>/img/icon-{number}.png</url></icon>"
        "</iconList>"
        "<minCompatibleVersion>79.0-00000</minCompatibleVersion>"
        "<legacyCompatibleVersion>58.0-00000</legacyCompatibleVersion>"
        "<apiVersion>1.40.1</apiVersion>"
        "<minApiVersion>1.1.0</minApiVersion>"
        "<displayVersion>16.3</displayVersion>"
        "<extraVersion></extraVersion>"
        f"<roomName>{escape(speaker.name)}</roomName>"
        f"<displayName>{display}</displayName>"
        "<zoneType>11</zoneType>"
        "<variant>2</variant>"
        "<internalSpeakerSize>3</internalSpeakerSize>"
        "<SSLPort>1443</SSLPort>"
        "<securehhSSLPort>1843</securehhSSLPort>"
        f"<serviceList>{root_services}</serviceList>"
        "<deviceList>"
        f"{_embedded_device(speaker, 'MediaServer', 'MS')}"
        f"{_embedded_device(speaker, 'MediaRenderer', 'MR')}"
        "</deviceList>"
        "</device></root>"
    )


def _envelope(body: str) -> str:
    return (
        f'<s:Envelope xmlns:s="{SOAP_ENV}" s:encodingStyle="{SOAP_ENCODING}">'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    )


def soap_response(
    service_type: str, action: str, values: Mapping[str, str | int | bool] | None
) -> str:
    """The SOAP envelope answering an action with its output arguments."""
    arguments = "".join(
        f"<{name}>{escape(_text(value))}</{name}>" for name, value in (values or {}).items()
    )
    return _envelope(
        f'<u:{action}Response xmlns:u="{service_type}">{arguments}</u:{action}Response>'
    )


def _text(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def soap_fault(code: int) -> str:
    """A UPnP error as the SOAP fault a player sends with HTTP 500 (no description)."""
    return _envelope(
        "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring>"
        '<detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0">'
        f"<errorCode>{code}</errorCode></UPnPError></detail></s:Fault>"
    )


def track_didl(track: Track, item_id: str = "-1", parent_id: str = "-1") -> str:
    """DIDL-Lite metadata of a queued music track."""
    return (
        f"<DIDL-Lite {DIDL_NAMESPACES}>"
        f'<item id="{attr(item_id)}" parentID="{attr(parent_id)}" restricted="true">'
        f'<res protocolInfo="x-file-cifs:*:audio/mpeg:*" duration="{hms(track.duration)}">'
        f"{escape(track.track_uri)}</res>"
        "<r:streamContent></r:streamContent>"
        f"<dc:title>{escape(track.title)}</dc:title>"
        "<upnp:class>object.item.audioItem.musicTrack</upnp:class>"
        f"<dc:creator>{escape(track.artist)}</dc:creator>"
        f"<upnp:album>{escape(track.album)}</upnp:album>"
        f"<r:albumArtist>{escape(track.artist)}</r:albumArtist>"
        "</item></DIDL-Lite>"
    )


def track_from_didl(uri: str, metadata: str) -> Track:
    """The track a client enqueues, from its URI and DIDL-Lite metadata (names may be empty)."""
    title = artist = album = ""
    if metadata.strip():
        try:
            root = ET.fromstring(metadata)  # noqa: S314 - loopback clients only
        except ET.ParseError:
            root = None
        item = None if root is None else root.find(f"{_DIDL}item")
        if item is not None:
            title = item.findtext(f"{_DC}title") or ""
            artist = item.findtext(f"{_DC}creator") or item.findtext(f"{_UPNP}artist") or ""
            album = item.findtext(f"{_UPNP}album") or ""
    return Track(title=title or uri.rsplit("/", 1)[-1], artist=artist, album=album, uri=uri)


def zone_group_state(household: Household) -> str:
    """The ZoneGroupState document listing every speaker, grouped, with its Location."""
    groups = []
    for group in household.groups():
        coordinator = group[0]
        members = "".join(_member_xml(s) for s in group)
        groups.append(
            f'<ZoneGroup Coordinator="{coordinator.uid}" '
            f'ID="{attr(household.group_id(coordinator))}">{members}</ZoneGroup>'
        )
    return (
        f"<ZoneGroupState><ZoneGroups>{''.join(groups)}</ZoneGroups>"
        "<VanishedDevices></VanishedDevices></ZoneGroupState>"
    )


def _member_xml(speaker: SpeakerState) -> str:
    attributes = {
        "UUID": speaker.uid,
        "Location": speaker.location,
        "ZoneName": speaker.name,
        "Icon": speaker.icon,
        "Configuration": "1",
        "SoftwareVersion": SOFTWARE_VERSION,
        "SWGen": "2",
        "MinCompatibleVersion": "79.0-00000",
        "LegacyCompatibleVersion": "58.0-00000",
        "BootSeq": str(speaker.boot_seq),
        "TVConfigurationError": "0",
        "HdmiCecAvailable": "0",
        "WirelessMode": "0",
        "WirelessLeafOnly": "0",
        "ChannelFreq": "2437",
        "BehindWifiExtender": "0",
        "WifiEnabled": "1",
        "EthLink": "0",
        "Orientation": "0",
        "RoomCalibrationState": "4",
        "SecureRegState": "3",
        "VoiceConfigState": "0",
        "MicEnabled": "0",
        "AirPlayEnabled": "1",
        "IdleState": "1",
        "MoreInfo": "",
        "SSLPort": "1443",
        "HHSSLPort": "1843",
        "Invisible": "0",
    }
    return _empty_element("ZoneGroupMember", attributes)


def _empty_element(tag: str, attributes: Mapping[str, str]) -> str:
    rendered = " ".join(f'{key}="{attr(value)}"' for key, value in attributes.items())
    return f"<{tag} {rendered}/>"


def propertyset(properties: Iterable[tuple[str, str]]) -> str:
    """A GENA event body: one <e:property> per evented variable."""
    body = "".join(f"<e:property><{n}>{escape(v)}</{n}></e:property>" for n, v in properties)
    return f'<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0">{body}</e:propertyset>'


def last_change(namespace: str, variables: Iterable[tuple[str, Mapping[str, str]]]) -> str:
    """The LastChange document of an AVT or RCS event, inside a propertyset."""
    rendered = "".join(_empty_element(tag, attributes) for tag, attributes in variables)
    event = (
        f'<Event xmlns="urn:schemas-upnp-org:metadata-1-0/{namespace}/" '
        'xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/">'
        f'<InstanceID val="0">{rendered}</InstanceID></Event>'
    )
    return propertyset([("LastChange", event)])
