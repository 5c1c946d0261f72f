"""WhatsApp end to end: signed Cloud API deliveries in, replies out on a fake Graph API."""

from __future__ import annotations

import json
import logging

import aiohttp

from agent.channels import replies
from agent.channels.testing import sign, whatsapp_delivery
from agent.channels.whatsapp import signature_ok

WA_ADMIN, WA_STRANGER = "15550001111", "15559999999"
APP_SECRET = "wa-app-secret-never-logged"
VERIFY_TOKEN = "wa-verify-token-never-logged"


async def post(household, delivery: dict, signature: str | None) -> int:
    body = json.dumps(delivery).encode()
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{household.url}/whatsapp", data=body, headers=headers) as response,
    ):
        return response.status


async def signed(household, delivery: dict) -> int:
    household.graph.heard(delivery)  # the person wrote: their 24-hour window is open
    return await post(household, delivery, sign(json.dumps(delivery).encode(), APP_SECRET))


async def test_a_signed_delivery_acts_and_replies(household, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    assert await signed(household, whatsapp_delivery(WA_ADMIN, text="sleepy time")) == 200
    reply = await household.graph.wait_for("messages", lambda c: c.params["to"] == WA_ADMIN)
    assert reply.params["type"] == "text"
    assert reply.params["messaging_product"] == "whatsapp"
    states = await household.states()
    assert states["media_player.kitchen"] == "stopped"
    assert states["cover.bedroom_blackout"] in ("closing", "closed")
    assert {e.requester for e in household.service.dobby.audit.recent()} == {
        f"whatsapp:+{WA_ADMIN}"
    }
    for secret in (APP_SECRET, VERIFY_TOKEN, household.graph.token):
        assert secret not in caplog.text


async def test_a_bad_or_missing_signature_gets_401_and_nothing_happens(household) -> None:
    delivery = whatsapp_delivery(WA_ADMIN, text="sleepy time")
    assert await post(household, delivery, None) == 401
    assert await post(household, delivery, "sha256=" + "0" * 64) == 401
    assert await post(household, delivery, sign(b"another body", APP_SECRET)) == 401
    assert await post(household, delivery, sign(json.dumps(delivery).encode(), "wrong")) == 401
    assert await signed(household, whatsapp_delivery(WA_ADMIN, text="/status")) == 200
    await household.graph.wait_for("messages")
    await household.service.channels["whatsapp"].drain()
    assert len(household.graph.calls) == 1
    assert household.service.dobby.audit.recent() == []
    assert (await household.states())["media_player.kitchen"] == "playing"


async def test_the_verify_handshake(household) -> None:
    async with aiohttp.ClientSession() as session:
        good = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158"}
        async with session.get(f"{household.url}/whatsapp", params=good) as response:
            assert (response.status, await response.text()) == (200, "1158")
        bad = {**good, "hub.verify_token": "guess"}
        async with session.get(f"{household.url}/whatsapp", params=bad) as response:
            assert response.status == 403
            assert "1158" not in await response.text()


async def test_a_stranger_is_told_politely(household) -> None:
    assert await signed(household, whatsapp_delivery(WA_STRANGER, text="sleepy time")) == 200
    reply = await household.graph.wait_for("messages")
    assert reply.params["to"] == WA_STRANGER
    assert reply.params["text"]["body"] == replies.STRANGER
    assert household.service.dobby.audit.recent() == []


async def test_approval_is_an_interactive_reply_button(household) -> None:
    assert await signed(household, whatsapp_delivery(WA_ADMIN, text="resume the bedroom")) == 200
    asked = await household.graph.wait_for("messages")
    assert asked.params["type"] == "interactive"
    buttons = asked.params["interactive"]["action"]["buttons"]
    assert [b["reply"]["title"] for b in buttons] == ["Approve", "Deny"]
    assert (await household.states())["media_player.bedroom"] == "stopped"
    approve = buttons[0]["reply"]["id"]
    assert await signed(household, whatsapp_delivery(WA_ADMIN, button=approve)) == 200
    done = await household.graph.wait_for("messages", lambda c: c.params.get("type") == "text")
    assert done.params["text"]["body"].startswith("Approved by Wanda.")
    assert (await household.states())["media_player.bedroom"] == "playing"


def test_signature_check() -> None:
    body = b'{"entry": []}'
    assert signature_ok(body, sign(body, "s3cret"), "s3cret")
    assert not signature_ok(body, sign(body, "s3cret"), "other")
    assert not signature_ok(body, None, "s3cret")
    assert not signature_ok(body, sign(body, "s3cret").removeprefix("sha256="), "s3cret")
