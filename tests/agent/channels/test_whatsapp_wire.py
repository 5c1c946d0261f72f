"""The Cloud API's shapes, read and written: Hypothesis builds deliveries of every message
kind and status as Meta documents them, and template parameters from any text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agent.channels.whatsapp.testing import whatsapp_delivery
from agent.channels.whatsapp.wire import (
    BODY_LIMIT,
    graph_error,
    parse,
    template_message,
    template_text,
)

PHONES = st.from_regex(r"[1-9][0-9]{7,14}", fullmatch=True)
IDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)


@given(
    phone=PHONES,
    kind=st.sampled_from(["text", "button", "row", "payload", "image", "audio"]),
    value=IDS,
)
def test_every_message_kind_is_read_back(phone: str, kind: str, value: str) -> None:
    if kind in ("image", "audio"):
        delivery = whatsapp_delivery(phone, media=kind, media_id=value, voice=True)
    else:
        delivery = whatsapp_delivery(phone, **{kind: value})
    [message], statuses = parse(delivery)
    assert statuses == []
    assert message.phone == phone
    assert message.timestamp is not None
    if kind == "text":
        assert message.text == value
    elif kind in ("image", "audio"):
        assert (message.media, message.media_id, message.voice) == (kind, value, kind == "audio")
    else:
        assert message.button == value


STATUS = st.fixed_dictionaries(
    {
        "id": IDS,
        "status": st.sampled_from(["sent", "delivered", "read", "failed"]),
        "timestamp": st.integers(0, 2**40).map(str),
        "recipient_id": PHONES,
    },
    optional={
        "errors": st.lists(
            st.fixed_dictionaries({"code": st.integers(0, 200_000), "title": IDS}), max_size=2
        ),
        "pricing": st.fixed_dictionaries({"billable": st.booleans(), "category": IDS}),
    },
)


@given(statuses=st.lists(STATUS, max_size=5))
def test_statuses_are_read_with_their_error_codes(statuses: list[dict]) -> None:
    delivery = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {"statuses": statuses}}]}],
    }
    messages, read = parse(delivery)
    assert messages == []
    assert [(s.id, s.status, s.recipient) for s in read] == [
        (s["id"], s["status"], s["recipient_id"]) for s in statuses
    ]
    assert [[code for code, _ in s.errors] for s in read] == [
        [e["code"] for e in s.get("errors", [])] for s in statuses
    ]


@given(text=st.text(max_size=3000))
def test_a_template_parameter_is_one_line_within_the_limit(text: str) -> None:
    made = template_text(text)
    assert "\n" not in made
    assert "\t" not in made
    assert "     " not in made
    assert 0 < len(made) <= BODY_LIMIT
    [body] = template_message("1555", "dobby_notice", "en", text)["template"]["components"]
    assert body["parameters"] == [{"type": "text", "text": made}]


def test_graph_errors_say_whether_trying_again_helps() -> None:
    refused = graph_error({"error": {"code": 132001, "message": "(#132001) no"}}, 404)
    assert (refused.code, refused.refused) == (132001, True)
    down = graph_error({"error": {"code": 2, "message": "Service temporarily unavailable"}}, 503)
    assert (down.code, down.refused) == (None, False)
    garbage = graph_error("<html>", 502)
    assert not garbage.refused
