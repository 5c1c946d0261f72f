"""Screenshots of the web page for the README: `python docs/screenshots.py`.

Runs the demo house as `dobby demo` does, lets a few things happen (sleepy time asked in
Telegram by Alice, a lamp turned on at its wall switch, the front door asked to unlock
from the page), and photographs the main views with the same headless Chromium the
browser tests use, at a phone's width and a desktop's.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.async_api import Page, async_playwright  # noqa: E402

from agent.channels.web.testing import launch  # noqa: E402
from agent.config import ChannelSettings, MemberConfig, load_config  # noqa: E402
from agent.demo import page_settings, serving_demo  # noqa: E402
from skills.actions import TERMINAL, Requester, Role  # noqa: E402

OUT = Path(__file__).resolve().parent
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


async def shoot(page: Page, path: str, name: str, *, full: bool = False) -> None:
    """Open a view and photograph it."""
    await page.goto(path)
    await page.screenshot(path=str(OUT / name), full_page=full)
    print(OUT / name)


async def main() -> None:
    """Run the demo house and photograph the page."""
    config = load_config(ROOT / "config")
    config.home.members = [
        MemberConfig(id="telegram:1001", name="Alice", role=Role.ADMIN),
        MemberConfig(id="telegram:1003", name="Gus", role=Role.GUEST),
    ]
    settings = ChannelSettings(_env_file=None, http_port=0)
    with tempfile.TemporaryDirectory() as state:
        async with serving_demo(config, Path(state), page_settings(settings)) as demo:
            link = demo.service.sign_in_link(TERMINAL)
            if demo.missing:
                raise SystemExit(f"Not found by discovery: {', '.join(demo.missing)}; run again.")
            dobby = demo.dobby
            alice = Requester("telegram:1001", Role.ADMIN, "Alice", "telegram", "1001")
            await dobby.handle("sleepy time", alice)
            await dobby.handle("turn on the floor lamp", alice)
            await dobby.settle(15)
            bridge = next(e for e in demo.house.running if hasattr(e, "set_light"))
            bridge.set_light("Bedside Lamp", on=True, brightness=30.0)  # at its wall switch
            await asyncio.sleep(1)
            async with async_playwright() as playwright:
                browser = await launch(playwright)
                context = await browser.new_context(viewport=DESKTOP)
                page = await context.new_page()
                await page.goto(link)
                await page.click("button:has-text('Sign in')")
                await page.wait_for_selector(".card")
                base = link.split("/signin/")[0]
                await page.click("#lock\\.front_door button[value=unlock]")
                await page.wait_for_selector("#approvals .ask")
                await shoot(page, f"{base}/", "web-house-desktop.png")
                await page.goto(f"{base}/chat")
                await page.fill("#say input[name=text]", "why did the kitchen lights go off?")
                await page.click("#say button")
                await page.wait_for_selector(".line.dobby")
                await page.fill("#say input[name=text]", "what happened today?")
                await page.click("#say button")
                await page.wait_for_function("document.querySelectorAll('.line.dobby').length > 1")
                await page.screenshot(path=str(OUT / "web-chat-desktop.png"))
                await shoot(page, f"{base}/audit", "web-audit-desktop.png")
                await shoot(page, f"{base}/routines", "web-routines-desktop.png")
                await page.set_viewport_size(PHONE)
                await shoot(page, f"{base}/", "web-house-phone.png")
                await browser.close()


if __name__ == "__main__":
    asyncio.run(main())
