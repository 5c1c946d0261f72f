"""Sunrise and sunset for the house's location (astral), and an APScheduler trigger for them.

The location and time zone come from home.yaml (`location:`). A day on which the sun
does not rise or set (polar day or night) is skipped.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger  # type: ignore[import-untyped]
from astral import Observer
from astral.sun import sunrise, sunset
from pydantic import BaseModel, ConfigDict, Field, field_validator

SunEvent = Literal["sunrise", "sunset"]
MAX_DAYS = 400
"""How far ahead to look for a day with the event."""


class Location(BaseModel):
    """Where the house is: for sunrise and sunset, and the time zone of every schedule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    time_zone: str = "UTC"
    """An IANA zone name, e.g. Europe/Berlin."""
    elevation: float = 0.0

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Berlin)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The time zone."""
        return ZoneInfo(self.time_zone)


def sun_time(location: Location, event: SunEvent, day: date) -> datetime | None:
    """When the sun rises or sets on `day` at the location, in its time zone; None if never."""
    observer = Observer(location.latitude, location.longitude, location.elevation)
    compute = sunrise if event == "sunrise" else sunset
    try:
        return compute(observer, day, tzinfo=location.zone)
    except ValueError:  # the sun does not rise or set that day
        return None


class SunTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires at sunrise or sunset plus an offset, on some weekdays (0 = Monday)."""

    def __init__(
        self,
        event: SunEvent,
        location: Location,
        offset: float = 0.0,
        weekdays: tuple[int, ...] = tuple(range(7)),
    ) -> None:
        self.event = event
        self.location = location
        self.offset = offset
        self.weekdays = weekdays

    def __getstate__(self) -> dict[str, object]:
        return {
            "event": self.event,
            "location": self.location.model_dump(),
            "offset": self.offset,
            "weekdays": self.weekdays,
        }

    def __setstate__(self, state: dict[str, object]) -> None:
        self.event = cast("SunEvent", state["event"])
        self.location = Location.model_validate(state["location"])
        self.offset = float(cast("float", state["offset"]))
        self.weekdays = tuple(cast("tuple[int, ...]", state["weekdays"]))

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The first event time after the previous one (or from now on)."""
        zone: tzinfo = self.location.zone
        start = previous_fire_time + timedelta(microseconds=1) if previous_fire_time else now
        day = start.astimezone(zone).date() - timedelta(days=1)
        for _ in range(MAX_DAYS):
            at = sun_time(self.location, self.event, day)
            if at is not None:
                at += timedelta(seconds=self.offset)
                if at >= start and at.weekday() in self.weekdays:
                    return at
            day += timedelta(days=1)
        return None

    def __str__(self) -> str:
        return f"sun[{self.event}{self.offset:+g}s]"
