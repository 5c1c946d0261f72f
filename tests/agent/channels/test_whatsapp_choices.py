"""WhatsApp buttons and lists: each carries a token of the one confirmation store, so it
works once and only for whoever may answer; a list message for a choice of more than three;
media answered politely, voice notes heard when a speech-to-text backend is set. On the fake
Graph API (and a fake OpenAI-compatible speech server), through signed deliveries.
"""

from __future__ import annotations

import json
from datetime import timedelta

from agent.channels.whatsapp.channel import MEDIA_REPLY, NO_VOICE
from agent.channels.whatsapp.testing import FakeSpeechAPI, whatsapp_delivery
from agent.channels.whatsapp.voice import Transcriber
from skills.actions import Action
from skills.toolsets.routines import SAVE_QUESTION

WA_ADMIN, WA_MEMBER, WA_GUEST = "15550001111", "15550003333", "15550004444"


def texts(household, phone: str) -> list[str]:
    return [m["text"]["body"] for m in household.graph.sent_to(phone) if m["type"] == "text"]


async def next_text(household, phone: str, after: int) -> str:
    """The first text sent to `phone` after it had been sent `after` texts."""
    message = await household.graph.wait_sent(
        phone, lambda m: m["type"] == "text" and len(texts(household, phone)) > after
    )
    del message
    return texts(household, phone)[after]


def plays(household) -> int:
    """How many times the bedroom speaker was told to play (from the audit log)."""
    return sum(
        1
        for e in household.service.dobby.audit.recent()
        if e.command == "media_player.play" and e.entity_id == "media_player.bedroom"
    )


async def test_approval_buttons_act_once_and_refuse_a_second_press_and_a_guest(
    household,
) -> None:
    graph = household.graph
    await graph.say(WA_ADMIN, "resume the bedroom", name="Wanda")
    asked = await graph.wait_sent(WA_ADMIN, lambda m: m["type"] == "interactive")
    buttons = asked["interactive"]["action"]["buttons"]
    assert [b["reply"]["title"] for b in buttons] == ["Approve", "Deny"]
    approve = buttons[0]["reply"]["id"]

    await graph.press(WA_GUEST, approve, name="Gina")
    refused = await graph.wait_sent(WA_GUEST, lambda m: m["type"] == "text")
    assert refused["text"]["body"] == "A guest may not approve this."
    assert (await household.states())["media_player.bedroom"] == "stopped"

    before = len(texts(household, WA_ADMIN))
    await graph.press(WA_ADMIN, approve, name="Wanda")
    assert (await next_text(household, WA_ADMIN, before)).startswith("Approved by Wanda.")
    assert (await household.states())["media_player.bedroom"] == "playing"

    await graph.press(WA_ADMIN, approve, name="Wanda")
    again = await next_text(household, WA_ADMIN, before + 1)
    assert again == "That request was already answered or does not exist."
    assert plays(household) == 1


async def test_a_list_message_cancels_the_right_scheduled_job(household) -> None:
    dobby = household.service.dobby
    scheduler = dobby.routines.scheduler
    wanda = dobby.members.get(f"whatsapp:+{WA_ADMIN}").requester()
    off = Action(entity_id="light.kitchen_pendant", command="light.turn_off")
    start = scheduler.now() + timedelta(hours=1)
    jobs = [
        scheduler.once(start + timedelta(minutes=n), wanda, actions=[off], title=f"job {n}")
        for n in range(5)
    ]
    graph = household.graph
    await graph.say(WA_ADMIN, "/scheduled", name="Wanda")
    listed = await graph.wait_sent(WA_ADMIN, lambda m: m["type"] == "interactive")
    assert listed["interactive"]["type"] == "list"
    rows = listed["interactive"]["action"]["sections"][0]["rows"]
    assert [r["title"] for r in rows] == [f"Cancel: job {n}" for n in range(5)]

    await graph.pick(WA_MEMBER, rows[1]["id"], name="Milo")  # not the one who asked
    other = await graph.wait_sent(WA_MEMBER, lambda m: m["type"] == "text")
    assert other["text"]["body"] == "Only the person who asked can answer this."

    before = len(texts(household, WA_ADMIN))
    await graph.pick(WA_ADMIN, rows[2]["id"], name="Wanda")
    assert await next_text(household, WA_ADMIN, before) == "Cancelled 'job 2'."
    left = {job.id for job in dobby.routines.scheduled()}
    assert jobs[2].id not in left
    assert {jobs[n].id for n in (0, 1, 3, 4)} <= left

    await graph.pick(WA_ADMIN, rows[3]["id"], name="Wanda")  # the list works once
    again = await next_text(household, WA_ADMIN, before + 1)
    assert again == "That request was already answered or does not exist."
    assert jobs[3].id in {job.id for job in dobby.routines.scheduled()}


async def test_a_guest_may_list_but_not_cancel(household) -> None:
    dobby = household.service.dobby
    wanda = dobby.members.get(f"whatsapp:+{WA_ADMIN}").requester()
    scheduler = dobby.routines.scheduler
    off = Action(entity_id="light.kitchen_pendant", command="light.turn_off")
    job = scheduler.once(scheduler.now() + timedelta(hours=1), wanda, actions=[off], title="x")
    await household.graph.say(WA_GUEST, "/scheduled", name="Gina")
    listed = await household.graph.wait_sent(WA_GUEST, lambda m: m["type"] == "interactive")
    (button,) = listed["interactive"]["action"]["buttons"]  # one choice: a reply button
    await household.graph.press(WA_GUEST, button["reply"]["id"], name="Gina")
    said = await household.graph.wait_sent(WA_GUEST, lambda m: m["type"] == "text")
    assert said["text"]["body"] == "A guest may not cancel what is scheduled."
    assert job.id in {j.id for j in dobby.routines.scheduled()}


async def test_which_device_is_a_choice_only_the_asker_answers(household) -> None:
    graph = household.graph
    await graph.say(WA_ADMIN, "turn on the porch light", name="Wanda")
    asked = await graph.wait_sent(WA_ADMIN, lambda m: m["type"] == "interactive")
    interactive = asked["interactive"]
    assert interactive["body"]["text"].startswith("Did you mean ")
    assert interactive["type"] == "list"  # more than three lights could be the porch light
    options = interactive["action"]["sections"][0]["rows"]
    titles = {r["title"]: r["id"] for r in options}
    assert len(options) > 3
    pool = titles["Pool Light"]
    await graph.pick(WA_MEMBER, pool, name="Milo")
    other = await graph.wait_sent(WA_MEMBER, lambda m: m["type"] == "text")
    assert other["text"]["body"] == "Only the person who asked can answer this."
    assert (await household.states())["light.pool_light"] == "off"
    await graph.pick(WA_ADMIN, pool, name="Wanda")
    done = await graph.wait_sent(WA_ADMIN, lambda m: "Turning on" in json.dumps(m))
    assert done["interactive"]["body"]["text"].startswith("Turning on Pool Light.")
    assert (await household.states())["light.pool_light"] == "on"


async def test_a_voice_note_without_a_backend_gets_the_short_note(household) -> None:
    await household.graph.write(whatsapp_delivery(WA_ADMIN, media="audio", voice=True))
    said = await household.graph.wait_sent(WA_ADMIN)
    assert said["text"]["body"] == NO_VOICE
    assert household.service.dobby.audit.recent() == []


async def test_a_photo_or_a_document_gets_a_polite_answer(household) -> None:
    for media in ("image", "document", "sticker"):
        await household.graph.write(whatsapp_delivery(WA_MEMBER, media=media))
    await household.graph.wait_for("messages", lambda c: len(texts(household, WA_MEMBER)) == 3)
    assert texts(household, WA_MEMBER) == [MEDIA_REPLY] * 3


async def test_a_routine_preview_has_save_and_cancel(household) -> None:
    dobby = household.service.dobby
    channel = household.service.channels["whatsapp"]
    wanda = dobby.members.get(f"whatsapp:+{WA_ADMIN}").requester()
    request = dobby.house.confirmations.open(f"{SAVE_QUESTION}\n1. lights off", wanda, object())
    channel.windows.wrote(WA_ADMIN)
    await channel.send_question(WA_ADMIN, request.question, "c", request.token)
    asked = await household.graph.wait_sent(WA_ADMIN)
    titles = [b["reply"]["title"] for b in asked["interactive"]["action"]["buttons"]]
    assert titles == ["Save", "Cancel"]


async def test_a_voice_note_with_a_backend_is_heard_and_carried_out(household) -> None:
    speech = FakeSpeechAPI()
    await speech.start()
    try:
        channel = household.service.channels["whatsapp"]
        channel.transcriber = Transcriber("whisper-1", speech.base_url, speech.api_key)
        media_id = household.graph.upload(b"turn on the pool light")
        note = whatsapp_delivery(WA_ADMIN, media="audio", media_id=media_id, voice=True)
        await household.graph.write(note)
        heard = await household.graph.wait_sent(WA_ADMIN)
        assert heard["text"]["body"] == 'I heard: "turn on the pool light"'
        await household.graph.wait_sent(WA_ADMIN, lambda m: "Pool Light" in json.dumps(m))
        assert (await household.states())["light.pool_light"] == "on"
        (call,) = speech.called("transcriptions")
        assert call.params == {"model": "whisper-1", "filename": "voice.ogg"}

        speech.failing = True
        before = len(texts(household, WA_ADMIN))
        again = household.graph.upload(b"turn off the pool light")
        await household.graph.write(
            whatsapp_delivery(WA_ADMIN, media="audio", media_id=again, voice=True)
        )
        said = await next_text(household, WA_ADMIN, before)
        assert said == "I could not make out that voice note; please write it."
        assert (await household.states())["light.pool_light"] == "on"
    finally:
        await speech.stop()
