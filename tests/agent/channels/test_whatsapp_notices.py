"""WhatsApp notices against the Cloud API's 24-hour window, its templates, its refusals and
its delivery statuses, on the fake Graph API (which behaves as Meta documents the real one).

A member silent for 25 hours gets the approved template; one who wrote gets text; a notice
the API refuses stays in the outbox with the API's error code and goes to Telegram; the
status webhooks land beside the notice; an alarm nobody received goes out again.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable

from agent.channels.whatsapp import Windows
from skills.database import database_path
from skills.notifications import Notice, NoticeKind

WA_ADMIN, WA_MEMBER, WA_GUEST = "15550001111", "15550003333", "15550004444"
ADMIN, MEMBER = 1001, 1002
DAY = 24 * 3600.0


async def until(check: Callable[[], object], within: float = 20.0) -> None:
    """Wait for what another task does (a webhook the fake posts, a retry)."""
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 - the state is in the database, written by webhooks
            await asyncio.sleep(0.02)


def silent_for(household, phone: str, seconds: float) -> None:
    """The member last wrote `seconds` ago, as both Dobby and the Cloud API know it."""
    at = time.time() - seconds
    household.service.channels["whatsapp"].windows.wrote(phone, at)
    household.graph.last_inbound[phone] = at


def outbox_row(household, text: str) -> tuple[str | None, str | None, str | None]:
    """delivered_at, refused_at and last_error of a notice's WhatsApp row."""
    with sqlite3.connect(database_path(household.service.state_dir)) as db:
        row = db.execute(
            "SELECT delivered_at, refused_at, last_error FROM outbox"
            " WHERE channel = 'whatsapp' AND text = ?",
            (text,),
        ).fetchone()
    assert row is not None, "the notice is not in the outbox"
    return row


async def publish(household, notice: Notice) -> None:
    await household.service.dobby.notifications.publish(notice)


def receipts(household, text: str) -> list:
    """What became of each WhatsApp message a notice went out as."""
    notifications = household.service.dobby.notifications
    outbox = notifications._outbox  # the one table that knows; read, never written here
    with sqlite3.connect(database_path(household.service.state_dir)) as db:
        (row_id,) = db.execute(
            "SELECT id FROM outbox WHERE channel = 'whatsapp' AND text = ?", (text,)
        ).fetchone()
    return [r for r in outbox.receipts(row_id) if r.channel == "whatsapp"]


async def test_a_member_silent_for_25_hours_gets_the_notice_template(household) -> None:
    silent_for(household, WA_ADMIN, 25 * 3600)
    text = "Good night ran at 22:00:\nLiving room lights: off"
    await publish(household, Notice(NoticeKind.SCHEDULE, text, to=f"whatsapp:{WA_ADMIN}"))
    sent = await household.graph.wait_sent(WA_ADMIN)
    assert sent["type"] == "template"
    template = sent["template"]
    assert (template["name"], template["language"]["code"]) == ("dobby_notice", "en")
    (parameter,) = template["components"][0]["parameters"]
    assert parameter["text"] == "Good night ran at 22:00: · Living room lights: off"
    await until(lambda: [r.status for r in receipts(household, text)] == ["read"])
    delivered, refused, _ = outbox_row(household, text)
    assert delivered is not None
    assert refused is None


async def test_a_member_who_wrote_today_gets_text(household) -> None:
    silent_for(household, WA_ADMIN, 3600)
    text = "The pool pump ran for two hours."
    await publish(household, Notice(NoticeKind.SCHEDULE, text, to=f"whatsapp:{WA_ADMIN}"))
    sent = await household.graph.wait_sent(WA_ADMIN)
    assert sent["type"] == "text"
    assert sent["text"]["body"] == text
    await until(lambda: [r.status for r in receipts(household, text)] == ["read"])


async def test_an_approval_outside_the_window_is_the_approval_template(household) -> None:
    silent_for(household, WA_ADMIN, 30 * 3600)
    silent_for(household, WA_MEMBER, 60)
    text = "Gina asks: Unlock the front door?"
    await publish(household, Notice(NoticeKind.APPROVAL, text, ask="tok123"))
    silent = await household.graph.wait_sent(WA_ADMIN)
    assert silent["type"] == "template"
    assert silent["template"]["name"] == "dobby_approval"
    payloads = [
        c["parameters"][0]["payload"]
        for c in silent["template"]["components"]
        if c["type"] == "button"
    ]
    assert payloads == ["c:tok123:y", "c:tok123:n"]
    awake = await household.graph.wait_sent(WA_MEMBER)
    assert awake["type"] == "interactive"
    assert household.graph.sent_to(WA_GUEST) == []  # a guest is not asked to approve


async def test_a_refused_template_stays_in_the_outbox_with_its_code_then_goes_to_telegram(
    household,
) -> None:
    household.graph.templates[("dobby_notice", "en")].status = "PAUSED"
    silent_for(household, WA_ADMIN, 25 * 3600)
    text = "Water the garden ran at 07:00."
    await publish(household, Notice(NoticeKind.SCHEDULE, text, to=f"whatsapp:{WA_ADMIN}"))
    refused = await household.graph.wait_for("refused")
    assert refused.params["template"]["name"] == "dobby_notice"
    await until(lambda: outbox_row(household, text)[1] is not None)
    delivered, _, error = outbox_row(household, text)
    assert delivered is None
    assert error is not None
    assert "132001" in error
    on_telegram = await household.telegram.wait_for(
        "sendMessage", lambda c: text in str(c.params.get("text", ""))
    )
    assert "could not deliver" in on_telegram.params["text"]
    assert "132001" in on_telegram.params["text"]


async def test_a_number_not_on_whatsapp_fails_later_and_goes_to_telegram(household) -> None:
    household.graph.not_on_whatsapp.add(WA_ADMIN)
    silent_for(household, WA_ADMIN, 60)
    text = "The dishwasher routine finished."
    await publish(household, Notice(NoticeKind.SCHEDULE, text, to=f"whatsapp:{WA_ADMIN}"))
    await household.graph.wait_sent(WA_ADMIN)  # taken at first, as the real API does
    await until(lambda: outbox_row(household, text)[1] is not None)
    assert "131026" in (outbox_row(household, text)[2] or "")
    assert [r.status for r in receipts(household, text)] == ["failed"]
    await household.telegram.wait_for(
        "sendMessage", lambda c: text in str(c.params.get("text", ""))
    )


async def test_text_outside_the_window_fails_with_131047_and_goes_again_as_the_template(
    household,
) -> None:
    """Dobby thought the window open (its clock, or a lost message); the API says 131047."""
    household.service.channels["whatsapp"].windows.wrote(WA_ADMIN, time.time() - 60)
    household.graph.last_inbound[WA_ADMIN] = time.time() - 2 * DAY
    text = "The front door was left unlocked."
    await publish(household, Notice(NoticeKind.SCHEDULE, text, to=f"whatsapp:{WA_ADMIN}"))
    first = await household.graph.wait_sent(WA_ADMIN)
    assert first["type"] == "text"
    again = await household.graph.wait_sent(WA_ADMIN, lambda m: m["type"] == "template")
    assert again["template"]["name"] == "dobby_notice"
    await until(lambda: sorted(r.status for r in receipts(household, text)) == ["failed", "read"])
    assert outbox_row(household, text)[1] is None  # not refused: it reached her


async def test_status_webhooks_replayed_or_out_of_order_keep_the_latest_state(household) -> None:
    household.graph.replay = True
    silent_for(household, WA_ADMIN, 60)
    text = "The garage door closed."
    await publish(household, Notice(NoticeKind.DEVICE, text, to=f"whatsapp:{WA_ADMIN}"))
    sent = await household.graph.wait_sent(WA_ADMIN)
    await until(lambda: [r.status for r in receipts(household, text)] == ["read"])
    message_id = next(i for i, s in household.graph.sent.items() if s.payload["to"] == WA_ADMIN)
    assert await household.graph.post_status(message_id, "delivered") == 200  # late, again
    assert [r.status for r in receipts(household, text)] == ["read"]
    assert set(household.graph.webhook_answers) == {200}
    assert sent["text"]["body"] == text


async def test_an_alarm_nobody_received_is_sent_again_as_a_template_to_every_member(
    household,
) -> None:
    channel = household.service.channels["whatsapp"]
    channel.config.alarm_delivered_within = 0.5
    household.graph.offline.update({WA_ADMIN, WA_MEMBER})
    for phone in (WA_ADMIN, WA_MEMBER):
        silent_for(household, phone, 60)
    text = "The alarm is going off: motion in the hallway."
    await publish(household, Notice(NoticeKind.ALARM, text))
    for phone in (WA_ADMIN, WA_MEMBER):
        first = await household.graph.wait_sent(phone)
        assert first["type"] == "text"
        again = await household.graph.wait_sent(phone, lambda m: m["type"] == "template")
        assert again["template"]["name"] == "dobby_notice"
    await until(lambda: len(receipts(household, text)) == 4)
    assert {r.status for r in receipts(household, text)} == {"sent"}
    assert household.graph.sent_to(WA_GUEST) == []


def test_the_window_survives_a_restart_and_never_moves_back(tmp_path) -> None:
    now = [1_000_000.0]
    windows = Windows(tmp_path / "state.db", clock=lambda: now[0])
    windows.wrote("+15550001111", now[0] - 3600)
    windows.wrote("15550001111", now[0] - 7200)  # an older message delivered late
    windows.close()
    again = Windows(tmp_path / "state.db", clock=lambda: now[0])
    assert again.last("15550001111") == now[0] - 3600
    assert again.is_open("15550001111")
    now[0] += DAY
    assert not again.is_open("15550001111")
    assert not again.is_open("15559999999")
    again.close()


async def test_a_replayed_failure_is_acted_on_once(household) -> None:
    household.graph.replay = True
    household.service.channels["whatsapp"].windows.wrote(WA_ADMIN, time.time() - 60)
    household.graph.last_inbound[WA_ADMIN] = time.time() - 2 * DAY
    text = "The kitchen lights were left on."
    await publish(household, Notice(NoticeKind.SCHEDULE, text, to=f"whatsapp:{WA_ADMIN}"))
    await household.graph.wait_sent(WA_ADMIN, lambda m: m["type"] == "template")
    await until(lambda: sorted(r.status for r in receipts(household, text)) == ["failed", "read"])
    templates = [m for m in household.graph.sent_to(WA_ADMIN) if m["type"] == "template"]
    assert len(templates) == 1  # the failure came twice; the template went once


async def test_status_says_who_saw_the_last_alarm(household) -> None:
    household.graph.offline.add(WA_MEMBER)
    for phone in (WA_ADMIN, WA_MEMBER):
        silent_for(household, phone, 60)
    text = "The alarm is going off: the patio door opened."
    await publish(household, Notice(NoticeKind.ALARM, text))
    await until(lambda: sorted(r.status for r in receipts(household, text)) == ["read", "sent"])
    await household.graph.say(WA_ADMIN, "/status", name="Wanda")
    status = await household.graph.wait_sent(
        WA_ADMIN, lambda m: m["type"] == "text" and "last alarm" in m["text"]["body"]
    )
    last = status["text"]["body"].splitlines()[-1]
    assert last.startswith("The last alarm notice (")
    assert last.endswith("): read by Wanda; not yet delivered to Milo.")
