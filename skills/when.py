"""Reading times in sentences: "in 20 minutes ...", "at 11 tonight ...", "every weekday at 6:30".

`parse_timed` splits a sentence into when and what ("in 2 seconds turn off the kitchen
pendant" → 2 seconds from now, "turn off the kitchen pendant"); `parse_wait` reads "wait 3
seconds". Both are local and deterministic. An impossible time ("at 25:00") raises
`WhenError` with words a person understands; text with no time in it gives None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from skills.routines import WEEKDAYS, Schedule, format_seconds

_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "five": 5, "ten": 10, "half an": 0.5}
_UNIT = r"(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)"
_AMOUNT = r"(\d+(?:\.\d+)?|a|an|one|two|three|five|ten|half an)"
_IN = re.compile(rf"^in\s+{_AMOUNT}\s*{_UNIT}\b[,\s]*(.+)$|^(.+?)[,\s]+in\s+{_AMOUNT}\s*{_UNIT}$")
_WAIT = re.compile(rf"^(?:wait|pause for|sleep)\s+(?:for\s+)?{_AMOUNT}\s*{_UNIT}\.?$")
_CLOCK = (
    r"(\d{1,2})(?:[:.](\d{2}))?(?:\s*(am|pm))?"
    r"(?:\s+(tonight|this evening|in the evening|in the morning|tomorrow))?"
)
_DAYS = (
    r"(?:every\s+(day|weekday|weekend|morning|evening|night|"
    + "|".join(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    + r")s?\s+)"
)
_SUN = r"(?:(\d+)\s*(minutes?|mins?|hours?|h)\s+(before|after)\s+)?(sunrise|sunset|dawn|dusk)"
_AT = re.compile(rf"^(tomorrow\s+)?{_DAYS}?(?:at\s+{_CLOCK}|(?:at\s+)?{_SUN})\b[,\s]*(.+)$")
_AT_END = re.compile(rf"^(.+?)[,\s]+(tomorrow\s+)?{_DAYS}?(?:at\s+{_CLOCK}|(?:at\s+)?{_SUN})$")


class WhenError(ValueError):
    """A time that cannot be: the message says why."""


@dataclass(frozen=True)
class Timed:
    """A sentence split into when and what."""

    what: str
    """The rest of the sentence: what to do."""
    at: datetime | None = None
    """A one-shot time, aware, in the house's time zone."""
    schedule: Schedule | None = None
    """A repeating schedule."""
    after: float | None = None
    """For "in 2 seconds ...": the seconds, counted again from the moment it is scheduled
    (`at` is that moment as read, for showing)."""

    def describe(self) -> str:
        """ "at 23:00 on Tue 3 Jun", "at 06:30 on weekdays"."""
        if self.at is not None:
            return f"at {self.at.strftime('%H:%M:%S')} on {self.at.strftime('%a %d %b')}"
        assert self.schedule is not None
        return self.schedule.describe()


def _seconds(amount: str, unit: str) -> float:
    number = _NUMBERS.get(amount)
    value = float(number) if number is not None else float(amount)
    first = unit[0]
    return value * (3600 if first == "h" else 60 if first == "m" else 1)


def parse_wait(text: str) -> float | None:
    """Seconds of "wait 3 seconds" / "wait a minute"; None if the text is not a wait."""
    found = _WAIT.match(_clean(text))
    return _seconds(found.group(1), found.group(2)) if found else None


def _clean(text: str) -> str:
    folded = re.sub(r"\b([ap])\.m\.", r"\1m", text.strip().casefold())
    return re.sub(r"\s+", " ", folded).rstrip(".!")


def _clock(hour_text: str, minute_text: str | None, meridiem: str | None, part: str | None) -> time:
    hour, minute = int(hour_text), int(minute_text or 0)
    shown = f"{hour_text}:{minute_text or '00'}{' ' + meridiem if meridiem else ''}"
    if minute > 59:
        raise WhenError(f"{shown} is not a time: minutes go up to 59.")
    if meridiem:
        if not 1 <= hour <= 12:
            raise WhenError(f"{shown} is not a time: with am/pm the hour is 1 to 12.")
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    elif part in ("tonight", "this evening", "in the evening") and 1 <= hour < 12:
        hour += 12
    if hour > 23:
        raise WhenError(f"{shown} is not a time: hours go up to 23.")
    return time(hour, minute)


def _days(word: str | None) -> str | list[str]:
    if word in (None, "day", "morning", "evening", "night"):
        return "daily"
    if word in ("weekday", "weekend"):
        return f"{word}s"
    assert word is not None
    return [WEEKDAYS[[d[:3] for d in WEEKDAYS].index(word[:3])]]


def parse_timed(text: str, now: datetime) -> Timed | None:
    """When and what of a sentence with a time in it; None if it has none.

    `now` is aware and in the house's time zone; one-shot times come back in it.
    """
    clean = _clean(text)
    found = _IN.match(clean)
    if found:
        if found.group(1) is not None:
            amount, unit, what = found.group(1), found.group(2), found.group(3)
        else:
            what, amount, unit = found.group(4), found.group(5), found.group(6)
        seconds = _seconds(amount, unit)
        if seconds <= 0:
            raise WhenError("That time is now or already past; say a time in the future.")
        return Timed(what.strip(), at=now + timedelta(seconds=seconds), after=seconds)
    found = _AT.match(clean)
    if found:
        groups = found.groups()
        return _timed(groups[-1], groups[:-1], now)
    found = _AT_END.match(clean)
    if found:
        groups = found.groups()
        return _timed(groups[0], groups[1:], now)
    return None


def _timed(what: str, groups: tuple[str | None, ...], now: datetime) -> Timed:
    tomorrow, every, hour, minute, meridiem, part, amount, unit, side, sun = groups
    days = _days(every) if every else None
    if sun is not None:
        offset = _seconds(amount, unit) if amount and unit else 0.0
        offset = -offset if side == "before" else offset
        event = "sunrise" if sun in ("sunrise", "dawn") else "sunset"
        schedule = Schedule(sun=event, offset=offset, days=days or "daily")
        return Timed(what.strip(), schedule=schedule)
    assert hour is not None
    clock = _clock(hour, minute, meridiem, part)
    if days is not None:
        return Timed(what.strip(), schedule=Schedule(at=clock, days=days))
    day = now.date() + timedelta(days=1 if tomorrow or part == "tomorrow" else 0)
    at = datetime.combine(day, clock, tzinfo=now.tzinfo)
    if at <= now:
        if part in ("tonight", "this evening"):
            raise WhenError(
                f"{clock.strftime('%H:%M')} tonight has already passed "
                f"({format_seconds((now - at).total_seconds())} ago)."
            )
        at += timedelta(days=1)
    return Timed(what.strip(), at=at)
