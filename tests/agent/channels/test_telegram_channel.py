"""Telegram end to end: the released python-telegram-bot against a fake Bot API on loopback."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pytest

from agent.channels import replies
from agent.channels.telegram import render
from skills.actions import Role
from skills.confirmations import CONFIRMATION_TTL
from skills.notifications import Notice, NoticeKind
from skills.scheduler import ScheduledJob

ADMIN, MEMBER, GUEST, STRANGER, NEWCOMER = 1001, 1002, 1003, 6666, 2001
SPEAKERS = ("media_player.living_room", "media_player.kitchen")


def question(household, chat_id: int, start: int = 0) -> dict:
    """The newest bot message with buttons in a chat."""
    for (chat, _), message in reversed(list(household.telegram.messages.items())):
        if chat == chat_id and "reply_markup" in message:
            return message
    raise AssertionError(f"no question in chat {chat_id}")


def data(message: dict, index: int) -> str:
    return message["reply_markup"]["inline_keyboard"][0][index]["callback_data"]


async def test_a_member_says_sleepy_time_and_the_speakers_stop(household, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    before = await household.states()
    assert [before[s] for s in SPEAKERS] == ["playing", "playing"]
    household.telegram.say(MEMBER, "sleepy time", name="Bob")
    reply = await household.telegram.wait_for(
        "sendMessage", lambda c: c.params["chat_id"] == MEMBER
    )
    after = await household.states()
    assert [after[s] for s in SPEAKERS] == ["stopped", "stopped"]
    assert after["light.kitchen_pendant"] == "off"
    assert reply.params["parse_mode"] == "HTML"
    audit = household.service.dobby.audit.recent()
    assert {e.requester for e in audit} == {f"telegram:{MEMBER}"}
    # httpx logs every Bot API URL at INFO, with the token in it: it must be masked.
    assert "getUpdates" in caplog.text
    assert household.telegram.token not in caplog.text


async def test_a_stranger_gets_one_polite_line_and_nothing_happens(household) -> None:
    household.telegram.say(STRANGER, "sleepy time", name="Mallory")
    reply = await household.telegram.wait_for(
        "sendMessage", lambda c: c.params["chat_id"] == STRANGER
    )
    assert reply.params["text"] == render(replies.STRANGER)
    household.telegram.say(MEMBER, "/status")
    await household.telegram.wait_for("sendMessage", lambda c: c.params["chat_id"] == MEMBER)
    assert household.telegram.sent_to(STRANGER) == [render(replies.STRANGER)]
    assert household.service.dobby.audit.recent() == []
    assert (await household.states())["media_player.kitchen"] == "playing"


async def test_a_guest_cannot_approve_and_an_admin_approves_once(household) -> None:
    telegram = household.telegram
    telegram.say(MEMBER, "resume the bedroom")
    await telegram.wait_for("sendMessage", lambda c: c.params["chat_id"] == MEMBER)
    asked = question(household, MEMBER)
    assert "Play the Bedroom? It needs a confirmation." in asked["text"]
    assert [b["text"] for b in asked["reply_markup"]["inline_keyboard"][0]] == ["Approve", "Deny"]
    approve = data(asked, 0)

    answered = await telegram.pressed(GUEST, asked, data(asked, 0))
    assert answered.params["text"] == "A guest may not approve this."
    answered = await telegram.pressed(STRANGER, asked, data(asked, 0))
    assert answered.params["text"] == replies.NOT_MEMBER_BUTTON
    assert (await household.states())["media_player.bedroom"] == "stopped"
    assert telegram.called("editMessageText") == []

    admin_press = telegram.press(ADMIN, asked, data(asked, 0), name="Alice")
    edited = await telegram.wait_for("editMessageText")
    assert "Approved by Alice." in edited.params["text"]
    assert "reply_markup" not in telegram.messages[MEMBER, asked["message_id"]]
    assert (await household.states())["media_player.bedroom"] == "playing"
    answered = await telegram.pressed(ADMIN, asked, approve, name="Alice")
    assert answered.params["text"] == "That request was already answered or does not exist."
    plays = [e for e in household.service.dobby.audit.recent() if e.command == "media_player.play"]
    assert len(plays) == 1
    assert plays[0].requester == f"telegram:{MEMBER}"
    assert admin_press != answered.params["callback_query_id"]


async def test_a_guests_request_goes_to_those_who_may_approve_it(household) -> None:
    telegram = household.telegram
    telegram.say(GUEST, "resume the bedroom", name="Gus")
    told = await telegram.wait_for("sendMessage", lambda c: c.params["chat_id"] == GUEST)
    assert told.params["text"].endswith("I have asked someone who may approve it.")
    assert "reply_markup" not in told.params  # no buttons the guest could not use
    asked = await telegram.wait_for(
        "sendMessage", lambda c: c.params["chat_id"] == ADMIN and "reply_markup" in c.params
    )
    assert asked.params["text"] == ("Gus asks: Please confirm: playing music needs a confirmation.")
    assert telegram.sent_to(GUEST) == [told.params["text"]]  # guests get no household news
    assert (await household.states())["media_player.bedroom"] == "stopped"
    message = question(household, ADMIN)
    answered = await telegram.pressed(ADMIN, message, data(message, 0), name="Alice")
    assert answered.params["text"] == "Approved."
    assert (await household.states())["media_player.bedroom"] == "playing"
    [play] = [e for e in household.service.dobby.audit.recent() if e.command == "media_player.play"]
    assert (play.requester, play.approved_by) == (f"telegram:{GUEST}", f"telegram:{ADMIN}")


async def test_deny_and_cancel_change_nothing(household) -> None:
    telegram = household.telegram
    telegram.say(MEMBER, "resume the bedroom")
    await telegram.wait_for("sendMessage", lambda c: c.params["chat_id"] == MEMBER)
    telegram.say(MEMBER, "/cancel")
    cancelled = await telegram.wait_for(
        "sendMessage", lambda c: c.params["chat_id"] == MEMBER and "Cancelled" in c.params["text"]
    )
    assert cancelled.params["text"] == "Cancelled; nothing was done."
    asked = question(household, MEMBER)
    answered = await telegram.pressed(ADMIN, asked, data(asked, 0))
    assert "already answered" in answered.params["text"]
    edited = await telegram.wait_for("editMessageText")  # its buttons go with it
    assert "No longer open: That request was already answered" in edited.params["text"]
    assert "reply_markup" not in telegram.messages[MEMBER, asked["message_id"]]
    assert (await household.states())["media_player.bedroom"] == "stopped"


async def test_an_expired_question_loses_its_buttons_and_does_nothing(household) -> None:
    telegram, house = household.telegram, household.service.dobby.house
    telegram.say(MEMBER, "resume the bedroom")
    await telegram.wait_for("sendMessage", lambda c: c.params["chat_id"] == MEMBER)
    asked = question(household, MEMBER)
    started = time.monotonic()
    house.confirmations.clock = lambda: started + CONFIRMATION_TTL + 1
    answered = await telegram.pressed(ADMIN, asked, data(asked, 0), name="Alice")
    assert answered.params["text"] == "That request has expired; please ask again."
    edited = await telegram.wait_for("editMessageText")
    assert "No longer open: That request has expired" in edited.params["text"]
    assert "reply_markup" not in telegram.messages[MEMBER, asked["message_id"]]
    assert (await household.states())["media_player.bedroom"] == "stopped"


async def test_scheduled_lists_what_will_run_and_a_member_cancels_it(household) -> None:
    telegram = household.telegram
    telegram.say(MEMBER, "in 30 minutes turn off the kitchen pendant")
    said = await telegram.wait_for("sendMessage", lambda c: c.params["chat_id"] == MEMBER)
    assert "Scheduled 'turn off the kitchen pendant'" in said.params["text"]
    telegram.say(MEMBER, "/scheduled")
    listed = await telegram.wait_for(
        "sendMessage", lambda c: c.params["chat_id"] == MEMBER and "reply_markup" in c.params
    )
    assert ": turn off the kitchen pendant" in listed.params["text"]
    shown = question(household, MEMBER)
    [[cancel]] = shown["reply_markup"]["inline_keyboard"]
    assert cancel["text"] == "Cancel: turn off the kitchen pendant"

    answered = await telegram.pressed(GUEST, shown, cancel["callback_data"])
    assert answered.params["text"] == "A guest may not cancel what is scheduled."
    assert len(household.service.dobby.routines.scheduled()) == 1

    answered = await telegram.pressed(MEMBER, shown, cancel["callback_data"], name="Bob")
    assert answered.params["text"] == "Cancelled 'turn off the kitchen pendant'."
    edited = await telegram.wait_for("editMessageText")
    assert "Nothing is scheduled." in edited.params["text"]
    assert "reply_markup" not in telegram.messages[MEMBER, shown["message_id"]]
    assert household.service.dobby.routines.scheduled() == []
    answered = await telegram.pressed(MEMBER, shown, cancel["callback_data"], name="Bob")
    assert answered.params["text"] == "That is no longer scheduled."


async def test_the_pairing_code_flow(household) -> None:
    telegram, members = household.telegram, household.service.members
    invite = members.invite(Role.MEMBER, "Carol")
    telegram.say(NEWCOMER, "sleepy time", name="Carol")
    await telegram.wait_for("sendMessage", lambda c: c.params["chat_id"] == NEWCOMER)
    telegram.say(NEWCOMER, invite.code.lower(), name="Carol")
    await telegram.wait_for("sendMessage", lambda c: c.params["chat_id"] == ADMIN)
    asked = question(household, ADMIN)
    assert "Carol" in asked["text"]
    assert "join as member" in asked["text"]
    assert members.get(f"telegram:{NEWCOMER}") is None
    # A member who is not an admin cannot let anyone in.
    answered = await telegram.pressed(MEMBER, asked, data(asked, 0))
    assert answered.params["text"] == "Only an admin may let someone join."
    assert members.get(f"telegram:{NEWCOMER}") is None

    telegram.press(ADMIN, asked, data(asked, 0), name="Alice")
    welcome = await telegram.wait_for(
        "sendMessage",
        lambda c: c.params["chat_id"] == NEWCOMER and c.params["text"].startswith("Welcome"),
    )
    assert welcome.params["text"].startswith("Welcome, Carol!")
    joined = members.get(f"telegram:{NEWCOMER}")
    assert joined is not None
    assert joined.role is Role.MEMBER

    telegram.say(NEWCOMER, "pause the kitchen", name="Carol")
    await telegram.wait_for(
        "sendMessage", lambda c: c.params["chat_id"] == NEWCOMER and "Kitchen" in c.params["text"]
    )
    assert (await household.states())["media_player.kitchen"] == "paused"

    # The code worked once; a second person cannot use it.
    telegram.say(NEWCOMER + 1, invite.code)
    refused = await telegram.wait_for("sendMessage", lambda c: c.params["chat_id"] == NEWCOMER + 1)
    assert refused.params["text"] == "That code is not valid. Ask an admin for a new one."


async def test_notices_reach_the_household_but_not_guests(household) -> None:
    dobby = household.service.dobby
    await dobby.notifications.publish(
        Notice(NoticeKind.SCHEDULE, "Sleepy time ran at 22:00 <all done>.")
    )
    for chat in (ADMIN, MEMBER):
        sent = await household.telegram.wait_for(
            "sendMessage", lambda c, chat=chat: c.params["chat_id"] == chat
        )
        assert sent.params["text"] == "Sleepy time ran at 22:00 &lt;all done&gt;."
    assert household.telegram.sent_to(GUEST) == []


async def test_a_device_going_offline_and_coming_back_is_told(household) -> None:
    from devices.adapters.sonos.emulator import SonosEmulator

    [speakers] = [e for e in household.house.running if isinstance(e, SonosEmulator)]
    await speakers.settled()  # a late first event would say "back" before the fault ends
    speakers.speaker("Kitchen").faults.garbage = True
    await household.service.dobby.refresh()
    offline = await household.telegram.wait_for(
        "sendMessage", lambda c: "went offline" in c.params["text"]
    )
    assert offline.params["text"].startswith("Kitchen went offline")
    speakers.speaker("Kitchen").faults.clear()
    await household.service.dobby.refresh()
    back = await household.telegram.wait_for("sendMessage", lambda c: "back" in c.params["text"])
    assert back.params["text"] == "Kitchen is back online."


@pytest.mark.parametrize("command", ["/devices", "/status", "/routines", "/help"])
async def test_commands_answer_members(household, command: str) -> None:
    household.telegram.say(MEMBER, command)
    sent = await household.telegram.wait_for("sendMessage", lambda c: c.params["chat_id"] == MEMBER)
    expected = {
        "/devices": "Kitchen (Kitchen): playing",
        "/status": "Kitchen: playing",
        "/routines": 'sleepy time: "sleepy time"',
        "/help": "/cancel",
    }[command]
    assert expected in sent.params["text"]


def test_long_replies_are_split_under_the_limit_and_escaped() -> None:
    text = "\n".join(f"line {i} <b> & more" for i in range(600))
    chunks = replies.split(text, 4096, render)
    assert len(chunks) > 1
    assert all(len(c) <= 4096 for c in chunks)
    assert "<b>" not in "".join(chunks)
    assert "\n".join(chunks).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == text
    assert replies.split("x" * 9000, 4096) == ["x" * 4096, "x" * 4096, "x" * 808]


def test_scheduled_text_says_when_and_which_runs_on_a_routine() -> None:
    at = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
    jobs = [
        ScheduledJob("once:1a2b3c4d", "turn off the fan", at, "date"),
        ScheduledJob("good morning:0:9f", "good morning", None, "cron"),
    ]
    assert replies.scheduled_text(jobs) == (
        "Sat 21 Nov 23:00: turn off the fan\npaused: good morning (its routine's schedule)"
    )
    assert replies.scheduled_text([]) == "Nothing is scheduled."
