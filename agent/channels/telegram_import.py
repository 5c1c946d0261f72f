"""The Telegram channel's class, loaded with python-telegram-bot but without the library
it uses for Telegram Passport alone."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.channels.telegram import TelegramChannel

PASSPORT_ONLY = "cryptography"
"""What python-telegram-bot imports, when it is installed, only to decrypt Telegram
Passport data (a bot's private key for it), which Dobby never asks for."""


def telegram_channel() -> type[TelegramChannel]:
    """The Telegram channel's class (python-telegram-bot loads with it).

    While python-telegram-bot is first imported, `cryptography` is marked absent
    (`sys.modules[name] = None` makes importing it fail as if it were not installed, which
    the library expects and handles) and unmarked afterwards, so that a library that does
    use it (aiohomekit, once an accessory is paired) still imports it. That keeps about
    7.6 MB out of `dobby run` when nothing else needs it.
    """
    block = PASSPORT_ONLY not in sys.modules and "telegram" not in sys.modules
    if block:
        sys.modules[PASSPORT_ONLY] = None  # type: ignore[assignment]
    try:
        from agent.channels.telegram import TelegramChannel  # only when configured
    finally:
        if block:
            del sys.modules[PASSPORT_ONLY]
    return TelegramChannel
