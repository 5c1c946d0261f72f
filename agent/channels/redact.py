"""Keep tokens and secrets out of every log record, whoever logs it.

Client libraries log request URLs (httpx logs `.../bot<token>/getUpdates` at INFO), so a
filter on our own loggers is not enough: a log record factory masks the secrets in every
record's message and traceback before any handler sees it.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from typing import Any

MASK = "***"


def hide_secrets(secrets: Iterable[str]) -> Callable[[], None]:
    """Mask these strings in all later log records; returns a function that stops it."""
    hidden = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
    previous = logging.getLogRecordFactory()
    if not hidden:
        return lambda: None

    def mask(text: str) -> str:
        for secret in hidden:
            text = text.replace(secret, MASK)
        return text

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as it is
            return record
        if any(secret in message for secret in hidden):
            record.msg, record.args = mask(message), None
        if record.exc_info and record.exc_info[1] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text, record.exc_info = mask(text), None
        return record

    logging.setLogRecordFactory(factory)

    def restore() -> None:
        if logging.getLogRecordFactory() is factory:
            logging.setLogRecordFactory(previous)

    return restore
