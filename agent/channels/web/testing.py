"""A real headless Chromium for the page's browser tests, screenshots and benchmark.

Debian's `chromium` package, driven by Playwright for Python (its own driver; browser
downloads do not work everywhere, so Playwright is pointed at the system's Chromium).
Playwright starts each browser with a fresh profile directory of its own. The flags keep
Chromium off the network: no background requests, component updates, sync or QUIC.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

CHROMIUM = os.environ.get("DOBBY_CHROMIUM", "/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    return None


async def launch(playwright: Playwright) -> Browser:
    """Chromium, headless, with a fresh profile and no network of its own."""
    return await playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=list(FLAGS)
    )
