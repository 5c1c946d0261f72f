"""The Telegram channel loads python-telegram-bot without the library it uses for
Telegram Passport alone; a library that needs it later still imports it."""

from __future__ import annotations

import subprocess
import sys


def test_the_channel_leaves_out_cryptography_until_something_else_needs_it() -> None:
    code = (
        "import sys\n"
        "from agent.channels.telegram_import import telegram_channel\n"
        "print(telegram_channel().__name__, 'cryptography' in sys.modules)\n"
        "import cryptography.hazmat.primitives.ciphers.aead\n"
        "print('cryptography' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["TelegramChannel", "False", "True"]
