"""The UPnP services a ZonePlayer offers, the actions the emulator answers, their SCPDs.

Each action is declared once, with its arguments and their state variables; the same
declaration dispatches SOAP calls and writes the service description (SCPD) SoCo reads
when it is asked to call an action by keyword.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from xml.sax.saxutils import escape

from devices.adapters.sonos.emulator.household import Household
from devices.adapters.sonos.emulator.state import SpeakerState, UPnPError

Device = Literal["root", "MediaServer", "MediaRenderer"]
Arguments = Mapping[str, str]
Result = Mapping[str, str | int | bool] | None
Handler = Callable[[Household, SpeakerState, Arguments], Result]


@dataclass(frozen=True)
class Service:
    """One UPnP service of the player, where it lives and how it is named."""

    name: str
    device: Device
    urn: str = ""
    service_id: str = ""
    scpd_name: str = ""

    @property
    def service_type(self) -> str:
        """The service type, as in the SOAPACTION header."""
        return self.urn or f"urn:schemas-upnp-org:service:{self.name}:1"

    @property
    def prefix(self) -> str:
        """The path its URLs start with."""
        return "" if self.device == "root" else f"/{self.device}"

    @property
    def control_url(self) -> str:
        """Where SOAP actions are posted."""
        return f"{self.prefix}/{self.name}/Control"

    @property
    def event_url(self) -> str:
        """Where GENA subscriptions go."""
        return f"{self.prefix}/{self.name}/Event"

    @property
    def scpd_url(self) -> str:
        """Where its service description is."""
        return f"/xml/{self.scpd_name or self.name}1.xml"


SERVICES: tuple[Service, ...] = (
    Service("AlarmClock", "root"),
    Service("MusicServices", "root"),
    Service("DeviceProperties", "root"),
    Service("SystemProperties", "root"),
    Service("ZoneGroupTopology", "root"),
    Service("GroupManagement", "root"),
    Service(
        "QPlay",
        "root",
        urn="urn:schemas-tencent-com:service:QPlay:1",
        service_id="urn:tencent-com:serviceId:QPlay",
    ),
    Service("ContentDirectory", "MediaServer"),
    Service("ConnectionManager", "MediaServer"),
    Service("RenderingControl", "MediaRenderer"),
    Service("ConnectionManager", "MediaRenderer"),
    Service("AVTransport", "MediaRenderer"),
    Service(
        "Queue",
        "MediaRenderer",
        urn="urn:schemas-sonos-com:service:Queue:1",
        service_id="urn:sonos-com:serviceId:Queue",
    ),
    Service("GroupRenderingControl", "MediaRenderer"),
    Service("VirtualLineIn", "MediaRenderer"),
)
BY_CONTROL_URL = {s.control_url: s for s in SERVICES}
BY_EVENT_URL = {s.event_url: s for s in SERVICES}
BY_SCPD_URL = {s.scpd_url: s for s in SERVICES}


def service_id(service: Service) -> str:
    """The serviceId of a service in the device description."""
    return service.service_id or f"urn:upnp-org:serviceId:{service.name}"


# The state variables each service sends in its events.
EVENTED: dict[str, tuple[str, ...]] = {
    "AVTransport": ("LastChange",),
    "RenderingControl": ("LastChange",),
    "Queue": ("LastChange",),
    "GroupRenderingControl": ("GroupVolume", "GroupMute", "GroupVolumeChangeable"),
    "ZoneGroupTopology": (
        "ZoneGroupState",
        "ZoneGroupName",
        "ZoneGroupID",
        "ZonePlayerUUIDsInGroup",
        "MuseHouseholdId",
    ),
    "DeviceProperties": ("ZoneName", "Icon", "Configuration", "Invisible", "IsZoneBridge"),
}

# State variables an argument can relate to: name -> (dataType, allowed values).
_VARIABLE_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "A_ARG_TYPE_InstanceID": ("ui4", ()),
    "A_ARG_TYPE_Channel": ("string", ("Master", "LF", "RF")),
    "A_ARG_TYPE_SeekMode": ("string", ("TRACK_NR", "REL_TIME", "TIME_DELTA")),
    "TransportState": ("string", ("STOPPED", "PLAYING", "PAUSED_PLAYBACK", "TRANSITIONING")),
    "CurrentPlayMode": (
        "string",
        ("NORMAL", "REPEAT_ALL", "REPEAT_ONE", "SHUFFLE_NOREPEAT", "SHUFFLE", "SHUFFLE_REPEAT_ONE"),
    ),
    "Volume": ("ui2", ()),
    "Mute": ("boolean", ()),
    "Loudness": ("boolean", ()),
    "Bass": ("i2", ()),
    "Treble": ("i2", ()),
    "GroupVolume": ("ui2", ()),
    "GroupMute": ("boolean", ()),
    "A_ARG_TYPE_VolumeAdjustment": ("i4", ()),
    "A_ARG_TYPE_ListIndex": ("ui4", ()),
    "CurrentTrack": ("ui4", ()),
    "NumberOfTracks": ("ui4", ()),
    "A_ARG_TYPE_Count": ("i4", ()),
    "A_ARG_TYPE_Boolean": ("boolean", ()),
    "CurrentCrossfadeMode": ("boolean", ()),
    "IsZoneBridge": ("boolean", ()),
}


@dataclass(frozen=True)
class Action:
    """One SOAP action: its arguments (name, related state variable) and its handler."""

    service: str
    name: str
    inputs: tuple[tuple[str, str], ...]
    outputs: tuple[tuple[str, str], ...]
    handler: Handler


@dataclass
class Registry:
    """The actions the emulator answers, by service name and action name."""

    actions: dict[tuple[str, str], Action] = field(default_factory=dict)

    def action(
        self,
        service: str,
        name: str,
        inputs: tuple[str, ...] = ("InstanceID",),
        outputs: tuple[str, ...] = (),
        variables: Mapping[str, str] | None = None,
    ) -> Callable[[Handler], Handler]:
        """Declare a handler; arguments relate to the state variable of the same name
        (A_ARG_TYPE_<name> for InstanceID, Channel, ...) unless `variables` says otherwise."""

        def related(argument: str) -> str:
            if variables and argument in variables:
                return variables[argument]
            if argument in ("InstanceID", "Channel"):
                return f"A_ARG_TYPE_{argument}"
            return argument

        def register(handler: Handler) -> Handler:
            self.actions[(service, name)] = Action(
                service,
                name,
                tuple((a, related(a)) for a in inputs),
                tuple((a, related(a)) for a in outputs),
                handler,
            )
            return handler

        return register

    def find(self, service: str, name: str) -> Action | None:
        """The action, or None if the emulator does not answer it."""
        return self.actions.get((service, name))

    def scpd(self, service: Service) -> str:
        """The service description (SCPD) listing the actions the emulator answers."""
        actions = [a for (s, _), a in self.actions.items() if s == service.name]
        variables: dict[str, None] = {}
        action_xml = []
        for action in actions:
            arguments = []
            for direction, pairs in (("in", action.inputs), ("out", action.outputs)):
                for argument, variable in pairs:
                    variables[variable] = None
                    arguments.append(
                        f"<argument><name>{argument}</name><direction>{direction}</direction>"
                        f"<relatedStateVariable>{variable}</relatedStateVariable></argument>"
                    )
            action_xml.append(
                f"<action><name>{action.name}</name>"
                f"<argumentList>{''.join(arguments)}</argumentList></action>"
            )
        evented = EVENTED.get(service.name, ())
        state_xml = [_state_variable(v, v in evented) for v in (*evented, *variables)]
        return (
            '<?xml version="1.0" encoding="utf-8" ?>'
            '<scpd xmlns="urn:schemas-upnp-org:service-1-0">'
            "<specVersion><major>1</major><minor>0</minor></specVersion>"
            f"<serviceStateTable>{''.join(dict.fromkeys(state_xml))}</serviceStateTable>"
            f"<actionList>{''.join(action_xml)}</actionList>"
            "</scpd>"
        )


def _state_variable(name: str, evented: bool) -> str:
    datatype, allowed = _VARIABLE_TYPES.get(name, ("string", ()))
    events = "yes" if evented else "no"
    values = "".join(f"<allowedValue>{escape(v)}</allowedValue>" for v in allowed)
    allowed_xml = f"<allowedValueList>{values}</allowedValueList>" if values else ""
    return (
        f'<stateVariable sendEvents="{events}"><name>{name}</name>'
        f"<dataType>{datatype}</dataType>{allowed_xml}</stateVariable>"
    )


REGISTRY = Registry()


def dispatch(
    household: Household, speaker: SpeakerState, service: str, name: str, args: Arguments
) -> Result:
    """Run one action: 401 if unknown, 402 if an argument is missing, 718 for InstanceID."""
    found = REGISTRY.find(service, name)
    if found is None:
        raise UPnPError(401, f"{service} has no action {name}")
    missing = [argument for argument, _ in found.inputs if argument not in args]
    if missing:
        raise UPnPError(402, f"missing {', '.join(missing)}")
    if "InstanceID" in args and args["InstanceID"].strip() != "0":
        raise UPnPError(718, "invalid InstanceID")
    return found.handler(household, speaker, args)


def int_arg(args: Arguments, name: str) -> int:
    """An integer argument; 402 if it is not one."""
    try:
        return int(args[name].strip())
    except ValueError:
        raise UPnPError(402, f"{name} is not a number") from None


def bool_arg(args: Arguments, name: str) -> bool:
    """A UPnP boolean argument (0/1/true/false); 402 if it is not one."""
    value = args[name].strip().lower()
    if value not in ("0", "1", "true", "false"):
        raise UPnPError(402, f"{name} is not a boolean")
    return value in ("1", "true")


def clamp(value: int, low: int = 0, high: int = 100) -> int:
    """`value` within [low, high]."""
    return max(low, min(high, value))
