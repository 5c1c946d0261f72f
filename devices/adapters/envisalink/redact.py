"""Keep the module password and the user code out of every log line.

pyenvisalink logs each line it sends at DEBUG (`TX > ...`): the login carries the module
password, and arming, disarming and code replies carry the user code (a Honeywell panel
gets it one keypress per line). Those lines are replaced, and any secret still found in a
pyenvisalink message is masked.
"""

from __future__ import annotations

import logging

LIBRARY_LOGGERS = (
    "pyenvisalink.alarm_panel",
    "pyenvisalink.envisalink_base_client",
    "pyenvisalink.dsc_client",
    "pyenvisalink.honeywell_client",
)
HIDDEN = "TX > (not logged: it may carry the module password or a user code)"
MASK = "***"


class SecretFilter(logging.Filter):
    """Rewrites pyenvisalink records that carry, or may carry, a secret."""

    def __init__(self) -> None:
        super().__init__("pyenvisalink")
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drop it."""
        message = record.getMessage()
        if message.startswith("TX >"):
            message = HIDDEN
        for secret in sorted(self.secrets, key=len, reverse=True):
            message = message.replace(secret, MASK)
        record.msg, record.args = message, None
        return True


_FILTER = SecretFilter()


def protect(*secrets: str) -> None:
    """Mask these values in pyenvisalink's logs from now on (installs the filter once)."""
    _FILTER.secrets.update(s for s in secrets if s)
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
