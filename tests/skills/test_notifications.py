"""The notification hook fans out to every channel; one failing channel stops no other."""

from __future__ import annotations

from skills.notifications import Notice, NoticeKind, Notifications


async def test_every_subscriber_gets_every_notice_and_a_failure_is_contained() -> None:
    hub = Notifications()
    seen: list[str] = []

    async def good(notice: Notice) -> None:
        seen.append(notice.text)

    async def broken(notice: Notice) -> None:
        raise RuntimeError("the chat is down")

    hub.subscribe(broken)
    stop = hub.subscribe(good)
    await hub.publish(Notice(NoticeKind.SCHEDULE, "sleepy time ran: all done"))
    stop()
    await hub.publish(Notice(NoticeKind.DEVICE, "Kitchen is offline"))
    assert seen == ["sleepy time ran: all done"]
    assert [n.text for n in hub.history] == ["sleepy time ran: all done", "Kitchen is offline"]
