"""The household notification hook: one place where news for the household chat goes.

Whatever has news (a scheduled routine ran, a device went offline, the alarm tripped)
publishes a `Notice`; every channel that is running (Telegram, WhatsApp, the terminal)
subscribes and delivers it to the household. Nothing here knows about channels.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

_LOGGER = logging.getLogger(__name__)


class NoticeKind(StrEnum):
    """What a notice is about."""

    SCHEDULE = "schedule"
    """A scheduled routine ran (or was missed)."""
    DEVICE = "device"
    """A device went offline or came back."""
    ALARM = "alarm"
    """The alarm tripped, or a zone faulted while armed."""
    INFO = "info"


@dataclass(frozen=True)
class Notice:
    """One piece of news for the household."""

    kind: NoticeKind
    text: str
    """Plain words, ready to send."""
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


Subscriber = Callable[[Notice], Awaitable[None]]


@dataclass
class Notifications:
    """Fans notices out to every subscribed channel; a failing channel stops no other."""

    _subscribers: list[Subscriber] = field(default_factory=list)
    history: list[Notice] = field(default_factory=list)
    """The notices published so far (the newest last), for /status and tests."""
    keep: int = 100

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Deliver every later notice to `subscriber`; returns a function that stops it."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    async def publish(self, notice: Notice) -> None:
        """Deliver a notice to every subscriber."""
        self.history = [*self.history[-(self.keep - 1) :], notice]
        results = await asyncio.gather(
            *(subscriber(notice) for subscriber in list(self._subscribers)),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                _LOGGER.error("A channel failed to deliver a notice: %s", result)
