"""Notices reach every channel through the outbox: kept until a channel is up, tried again
when it fails, each delivered once, and none lost across a restart; one a service refuses
for good is kept with its error and goes to the other channels, and what became of each
message a notice went out as is kept beside it."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from skills.notifications import Notice, NoticeKind, Notifications, Outbox, RefusedError


class Chat:
    """A channel's delivery function that can be told to fail."""

    def __init__(self) -> None:
        self.got: list[Notice] = []
        self.failing = False

    async def __call__(self, notice: Notice) -> None:
        if self.failing:
            raise ConnectionError("the chat service is down")
        self.got.append(notice)

    @property
    def texts(self) -> list[str]:
        return [n.text for n in self.got]


async def test_live_listeners_hear_every_notice_and_a_failure_is_contained() -> None:
    hub = Notifications()
    seen: list[str] = []

    async def good(notice: Notice) -> None:
        seen.append(notice.text)

    async def broken(notice: Notice) -> None:
        raise RuntimeError("the terminal is gone")

    hub.subscribe(broken)
    stop = hub.subscribe(good)
    await hub.publish(Notice(NoticeKind.SCHEDULE, "sleepy time ran: all done"))
    stop()
    await hub.publish(Notice(NoticeKind.DEVICE, "Kitchen is offline"))
    assert seen == ["sleepy time ran: all done"]
    assert [n.text for n in hub.history] == ["sleepy time ran: all done", "Kitchen is offline"]


async def test_a_notice_published_before_a_channel_is_up_waits_for_it(tmp_path: Path) -> None:
    hub = Notifications(tmp_path / "dobby.db")
    hub.expect(["telegram"])
    await hub.publish(Notice(NoticeKind.SCHEDULE, "Missed: wake was due at 06:30"))
    chat = Chat()
    hub.attach("telegram", chat)
    for _ in range(20):
        await asyncio.sleep(0)
    assert chat.texts == ["Missed: wake was due at 06:30"]
    await hub.publish(Notice(NoticeKind.DEVICE, "Kitchen is back online."))
    assert chat.texts == ["Missed: wake was due at 06:30", "Kitchen is back online."]
    await hub.close()


async def test_a_failed_send_is_tried_again_and_each_notice_goes_once(tmp_path: Path) -> None:
    hub = Notifications(tmp_path / "dobby.db", retry_after=0.01)
    chat, other = Chat(), Chat()
    hub.attach("telegram", chat)
    hub.attach("whatsapp", other)
    chat.failing = True
    await hub.publish(Notice(NoticeKind.ALARM, "The alarm is triggered"))
    await hub.publish(Notice(NoticeKind.DEVICE, "Kitchen went offline."))
    assert chat.texts == []
    assert other.texts == ["The alarm is triggered", "Kitchen went offline."]
    chat.failing = False
    for _ in range(500):
        if len(chat.got) == 2:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # time for a second, wrong delivery to show
    assert chat.texts == ["The alarm is triggered", "Kitchen went offline."]
    assert other.texts == ["The alarm is triggered", "Kitchen went offline."]
    await hub.close()


async def test_nothing_is_lost_or_sent_twice_across_a_restart(tmp_path: Path) -> None:
    first = Notifications(tmp_path / "dobby.db")
    first.expect(["telegram"])
    delivered = Chat()
    detach = first.attach("telegram", delivered)
    await first.publish(Notice(NoticeKind.SCHEDULE, "sent before the restart"))
    detach()  # the channel stops before Dobby does
    await first.publish(Notice(NoticeKind.SCHEDULE, "waiting over the restart"))
    await first.close()

    second = Notifications(tmp_path / "dobby.db")
    second.expect(["telegram"])
    chat = Chat()
    second.attach("telegram", chat)
    for _ in range(20):
        await asyncio.sleep(0)
    assert delivered.texts == ["sent before the restart"]
    assert chat.texts == ["waiting over the restart"]
    await second.close()


async def test_a_notice_for_one_chat_goes_only_to_its_channel(tmp_path: Path) -> None:
    hub = Notifications(tmp_path / "dobby.db")
    telegram, whatsapp = Chat(), Chat()
    hub.attach("telegram", telegram)
    hub.attach("whatsapp", whatsapp)
    await hub.publish(Notice(NoticeKind.SCHEDULE, "your command ran", to="telegram:1001"))
    assert [(n.text, n.chat) for n in telegram.got] == [("your command ran", "1001")]
    assert whatsapp.got == []
    await hub.close()


async def test_a_notice_delivered_late_says_when_it_happened(tmp_path: Path) -> None:
    hub = Notifications(tmp_path / "dobby.db")
    hub.expect(["telegram"])
    then = datetime.now(UTC) - timedelta(hours=3)
    await hub.publish(Notice(NoticeKind.ALARM, "The alarm was triggered", at=then))
    chat = Chat()
    hub.attach("telegram", chat)
    for _ in range(20):
        await asyncio.sleep(0)
    [late] = chat.texts
    assert late == f"(From {then.astimezone():%a %d %b %H:%M}) The alarm was triggered"
    await hub.close()


class Refusing(Chat):
    """A channel whose service refuses everything for good."""

    async def __call__(self, notice: Notice) -> None:
        self.got.append(notice)
        raise RefusedError("closed window (code 131047)")


async def settle() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


async def test_a_refused_notice_is_kept_with_its_error_and_goes_to_the_other_channel(
    tmp_path: Path,
) -> None:
    hub = Notifications(tmp_path / "dobby.db", retry_after=0.01)
    whatsapp, telegram = Refusing(), Chat()
    hub.attach("whatsapp", whatsapp)
    hub.attach("telegram", telegram)
    await hub.publish(Notice(NoticeKind.SCHEDULE, "Wake ran.", to="whatsapp:15550001111"))
    await settle()
    [refused] = whatsapp.got
    assert hub.state(refused) == ("refused", "whatsapp: closed window (code 131047)")
    assert telegram.texts == [
        "(WhatsApp could not deliver this to 15550001111: closed window (code 131047)) Wake ran."
    ]
    await asyncio.sleep(0.05)  # a refused notice is not tried again
    assert len(whatsapp.got) == 1
    await hub.close()


async def test_a_refusal_on_every_channel_stays_in_the_outbox_and_does_not_bounce(
    tmp_path: Path,
) -> None:
    hub = Notifications(tmp_path / "dobby.db")
    whatsapp, telegram = Refusing(), Refusing()
    hub.attach("whatsapp", whatsapp)
    hub.attach("telegram", telegram)
    await hub.publish(Notice(NoticeKind.ALARM, "The alarm is going off."))
    await settle()
    assert len(whatsapp.got) == 1
    assert len(telegram.got) == 1
    assert [hub.state(n)[0] for n in (*whatsapp.got, *telegram.got)] == ["refused", "refused"]
    await hub.close()


async def test_receipts_keep_the_latest_status_and_the_last_alarm_is_found(
    tmp_path: Path,
) -> None:
    hub = Notifications(tmp_path / "dobby.db")
    chat = Chat()
    hub.attach("whatsapp", chat)
    await hub.publish(Notice(NoticeKind.ALARM, "Intruder!"))
    await settle()
    [notice] = chat.got
    hub.sent(notice, "whatsapp", "15550001111", "wamid.1")
    hub.sent(notice, "whatsapp", "15550003333", "wamid.2")
    assert hub.status("whatsapp", "wamid.1", "read") is not None
    hub.status("whatsapp", "wamid.1", "delivered")  # late, out of order: ignored
    hub.status("whatsapp", "wamid.2", "failed", "Message undeliverable (code 131026)")
    assert hub.status("whatsapp", "wamid.unknown", "read") is None
    found = hub.latest_received(NoticeKind.ALARM)
    assert found is not None
    alarm, receipts = found
    assert alarm.text == "Intruder!"
    assert [(r.recipient, r.status, r.error) for r in receipts] == [
        ("15550001111", "read", None),
        ("15550003333", "failed", "Message undeliverable (code 131026)"),
    ]
    await hub.close()


def test_an_outbox_from_before_refusals_is_brought_up_to_date(tmp_path: Path) -> None:
    database = tmp_path / "dobby.db"
    with sqlite3.connect(database) as db:
        db.execute(
            "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL,"
            " kind TEXT NOT NULL, text TEXT NOT NULL, at TEXT NOT NULL, recipient TEXT,"
            " ask TEXT, delivered_at TEXT, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT)"
        )
        db.execute(
            "INSERT INTO outbox (channel, kind, text, at) VALUES ('telegram', 'info', 'Hi', ?)",
            (datetime.now(UTC).isoformat(),),
        )
    db.close()
    outbox = Outbox(database)
    [(row_id, notice)] = outbox.pending("telegram")
    assert notice.text == "Hi"
    outbox.refused(row_id, "gone")
    assert outbox.pending("telegram") == []
    assert outbox.state(row_id) == ("refused", "gone")
    outbox.close()
