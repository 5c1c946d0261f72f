"""What the chat channels say: help, status, device and routine lists, and message splitting.

Plain words, channel-neutral; each channel escapes and splits for its own limits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from skills.notifications import NoticeKind

if TYPE_CHECKING:
    from agent.app import Dobby
    from agent.channels.members import JoinRequest
    from skills.scheduler import ScheduledJob

HELP = (
    "I am Dobby; I run this house. Tell me what you want in plain words, for example "
    '"sleepy time", "pause the kitchen" or "turn off the living room lights".\n'
    "/devices - every device and its state\n"
    "/routines - the routines and the phrases that start them\n"
    "/status - what is on, open, unlocked or playing\n"
    "/scheduled - what will run later, and cancelling it\n"
    "/cancel - drop anything waiting for your approval\n"
    "/web - a sign-in link for the household's web page\n"
    "/help - this message"
)
STRANGER = (
    "Sorry, I only take requests from the people of this household. If you live here, "
    "ask an admin for a pairing code and send it to me."
)
NOT_MEMBER_BUTTON = "Only household members can do that."
NO_WEB = "The web page is not served here."


def web_link(url: str) -> str:
    """The message that carries a member's one-time sign-in link."""
    return (
        f"Your sign-in link for the web page (it works once, within 15 minutes): {url}\n"
        "Do not share it: whoever opens it is signed in as you."
    )


ACTIVE_STATES = frozenset(
    {"on", "open", "opening", "closing", "unlocked", "unlocking", "jammed", "playing", "triggered"}
)
"""States /status reports: what is on, open, unlocked or playing."""


def asked_admin(name: str) -> str:
    """What a newcomer who sent a good pairing code is told."""
    return f"Thanks, {name}. I have asked an admin to let you in."


def join_question(request: JoinRequest, who: str) -> str:
    """What the admins are asked about a newcomer (`who`: "Telegram 2001", ...)."""
    return (
        f"{request.name} ({who}) sent a pairing code to join as {request.role.value}. Let them in?"
    )


def devices_text(dobby: Dobby) -> str:
    """Every entity with its state, by area."""
    lines = []
    for item in dobby.states():
        state = item["state"] if item["available"] else "unavailable"
        area = f" ({item['area']})" if item["area"] else ""
        lines.append(f"{item['name']}{area}: {state}")
    return "\n".join(lines) if lines else "I have not found any devices yet."


def status_text(dobby: Dobby) -> str:
    """What is on, open, unlocked or playing, what cannot be reached, and who saw the last
    alarm notice."""
    active, away = [], []
    for item in dobby.states():
        if not item["available"]:
            away.append(item["name"])
        elif item["state"] in ACTIVE_STATES:
            active.append(f"{item['name']}: {item['state']}")
    lines = active or ["Everything is off, closed, locked and quiet."]
    if away:
        lines.append(f"Not reachable: {', '.join(away)}.")
    seen = alarm_seen(dobby)
    if seen:
        lines.append(seen)
    return "\n".join(lines)


RECEIPT_WORDS = {
    "read": "read by",
    "delivered": "delivered to",
    "sent": "not yet delivered to",
    "failed": "could not reach",
}


def alarm_seen(dobby: Dobby) -> str | None:
    """Who saw the last alarm notice, from the delivery statuses WhatsApp reports."""
    found = dobby.notifications.latest_received(NoticeKind.ALARM)
    if found is None:
        return None
    notice, receipts = found
    best: dict[str, str] = {}
    order = ["failed", "sent", "delivered", "read"]
    for receipt in receipts:
        member = dobby.members.get(f"{receipt.channel}:{receipt.recipient}") or (
            dobby.members.get(f"{receipt.channel}:+{receipt.recipient}")
        )
        who = member.name if member is not None else receipt.recipient
        status = receipt.status if receipt.status in order else "sent"
        if who not in best or order.index(status) > order.index(best[who]):
            best[who] = status
    parts = [
        f"{RECEIPT_WORDS[status]} {', '.join(w for w, s in best.items() if s == status)}"
        for status in reversed(order)
        if status in best.values()
    ]
    when = notice.at.astimezone()
    return f"The last alarm notice ({when:%a %d %b %H:%M}): {'; '.join(parts)}."


def scheduled_text(jobs: Sequence[ScheduledJob]) -> str:
    """What will run later, soonest first, one line each."""
    lines = []
    for job in jobs:
        when = f"{job.next_run:%a %d %b %H:%M}" if job.next_run else "paused"
        kind = "" if job.once else " (its routine's schedule)"
        lines.append(f"{when}: {job.title}{kind}")
    return "\n".join(lines) if lines else "Nothing is scheduled."


def scheduled_of(dobby: Dobby) -> str:
    """What this house will run later (`scheduled_text` of its routine book)."""
    return scheduled_text(dobby.routines.scheduled())


def routines_text(dobby: Dobby) -> str:
    """The routines and the phrases that start them."""
    lines = []
    for routine in dobby.config.routines.routines:
        phrases = ", ".join(f'"{p}"' for p in routine.all_phrases())
        lines.append(f"{routine.name}: {phrases}")
    return "\n".join(lines) if lines else "There are no routines yet."


def split(text: str, limit: int, render: Callable[[str], str] = str) -> list[str]:
    """Rendered chunks of at most `limit` characters, cut at line ends where possible."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(render(candidate)) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(render(current))
        current = ""
        for char in line:
            if len(render(current + char)) > limit:
                chunks.append(render(current))
                current = ""
            current += char
    if current or not chunks:
        chunks.append(render(current))
    return chunks
