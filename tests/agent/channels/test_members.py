"""Members, roles and pairing codes in the state database; `dobby members`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.channels.members import (
    GUESSES_PER_CODE,
    GUESSES_PER_HOUR,
    INVITE_TTL,
    Members,
    MembershipError,
    looks_like_code,
)
from agent.cli import app
from agent.config import MemberConfig
from skills.actions import Requester, Role
from skills.database import database_path

CONFIG = Path(__file__).resolve().parents[3] / "config"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def members(tmp_path: Path):
    clock = Clock()
    configured = [MemberConfig(id="telegram:1", name="Alice", role=Role.ADMIN)]
    book = Members(tmp_path / "dobby.db", configured, clock=clock)
    book.clock = clock  # type: ignore[attr-defined]
    yield book
    book.close()


def test_a_code_works_once_and_an_admin_lets_the_person_in(members) -> None:
    invite = members.invite(Role.GUEST, "Gran")
    assert looks_like_code(invite.code)
    assert looks_like_code(f" {invite.code.lower()} ")
    assert not looks_like_code("sleepy time")
    request = members.redeem(invite.code.lower(), "telegram:7", "Granny T")
    assert (request.member_id, request.name, request.role) == ("telegram:7", "Gran", Role.GUEST)
    with pytest.raises(MembershipError, match="not valid"):
        members.redeem(invite.code, "telegram:8", "Eve")
    assert members.get("telegram:7") is None
    alice = members.get("telegram:1")
    members.answer(request.token, alice, approve=True)
    gran = members.get("telegram:7")
    assert (gran.name, gran.role) == ("Gran", Role.GUEST)
    assert gran.requester().role is Role.GUEST
    with pytest.raises(MembershipError, match="already answered"):
        members.answer(request.token, alice, approve=True)


def test_a_code_expires_after_an_hour(members) -> None:
    invite = members.invite()
    members.clock.now += INVITE_TTL + 1
    with pytest.raises(MembershipError, match="expired"):
        members.redeem(invite.code, "telegram:7", "Late")


def test_only_an_admin_answers_and_a_denial_adds_nobody(members) -> None:
    members.add("telegram:2", "Bob", Role.MEMBER)
    request = members.redeem(members.invite().code, "telegram:7", "Carol")
    with pytest.raises(MembershipError, match="Only an admin"):
        members.answer(request.token, members.get("telegram:2"), approve=True)
    members.answer(request.token, members.get("telegram:1"), approve=False)
    assert members.get("telegram:7") is None


def test_configured_members_are_changed_in_home_yaml_only(members) -> None:
    with pytest.raises(MembershipError, match=r"home\.yaml"):
        members.remove("telegram:1")
    members.add("whatsapp:155501", "Wanda", Role.MEMBER)
    assert [m.id for m in members.all()] == ["telegram:1", "whatsapp:155501"]
    assert [m.address for m in members.on("whatsapp")] == ["155501"]
    assert members.remove("whatsapp:155501")
    assert not members.remove("whatsapp:155501")


def test_the_members_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    state = str(tmp_path)
    invited = runner.invoke(
        app, ["members", "invite", "--role", "guest", "--config", str(CONFIG), "--state", state]
    )
    assert invited.exit_code == 0, invited.output
    code = invited.output.split()[2]
    book = Members(database_path(tmp_path))
    request = book.redeem(code, "telegram:9", "Zed")
    book.add("telegram:5", "Admin", Role.ADMIN)
    book.answer(request.token, book.get("telegram:5"), approve=True)
    book.close()
    listed = runner.invoke(
        app, ["members", "list", "--json", "--config", str(CONFIG), "--state", state]
    )
    rows = {r["id"]: r for r in json.loads(listed.output)}
    assert rows["telegram:9"]["role"] == "guest"
    removed = runner.invoke(
        app, ["members", "remove", "telegram:9", "--config", str(CONFIG), "--state", state]
    )
    assert removed.exit_code == 0
    again = runner.invoke(
        app, ["members", "remove", "telegram:9", "--config", str(CONFIG), "--state", state]
    )
    assert again.exit_code == 1
    bad = runner.invoke(app, ["members", "invite", "--role", "boss", "--state", state])
    assert bad.exit_code == 2


def test_a_sender_gets_a_few_wrong_codes_an_hour(members) -> None:
    invite = members.invite(Role.MEMBER, "Bob", ttl=3 * 3600)
    for _ in range(GUESSES_PER_HOUR):
        with pytest.raises(MembershipError, match="not valid"):
            members.redeem("AAAA2222", "telegram:66", "Mallory")
    # Even the right code is refused now: the sender is out of guesses for the hour.
    with pytest.raises(MembershipError, match="Too many wrong codes"):
        members.redeem(invite.code, "telegram:66", "Mallory")
    members.clock.now += 3601
    request = members.redeem(invite.code, "telegram:66", "Bob")
    assert request.name == "Bob"


def test_an_open_code_is_void_after_too_many_wrong_guesses(members) -> None:
    invite = members.invite(Role.MEMBER, "Bob")
    for sender in range(GUESSES_PER_CODE):  # many senders, one wrong guess each
        with pytest.raises(MembershipError, match="not valid"):
            members.redeem("AAAA2222", f"telegram:{100 + sender}", "Mallory")
    with pytest.raises(MembershipError, match="no longer valid: too many wrong codes"):
        members.redeem(invite.code, "telegram:7", "Bob")
    fresh = members.invite(Role.MEMBER, "Bob")  # a code made after the guessing is fine
    assert members.redeem(fresh.code, "telegram:7", "Bob").name == "Bob"


def test_current_gives_the_role_a_member_has_now(members) -> None:
    bob = members.add("telegram:2", "Bob", Role.MEMBER)
    asked = bob.requester(chat=-100)  # asked in the household group
    assert (asked.channel, asked.chat) == ("telegram", "-100")
    members.add("telegram:2", "Bob", Role.GUEST)
    now = members.current(asked)
    assert now is not None
    assert (now.role, now.chat) == (Role.GUEST, "-100")
    members.remove("telegram:2")
    assert members.current(asked) is None
    terminal = Requester.local_admin()
    assert members.current(terminal) == terminal
    assert members.current(Requester.routines_file()) == Requester.routines_file()


def test_a_token_names_its_member_until_revoked(members) -> None:
    members.add("telegram:2", "Bob", Role.MEMBER)
    token = members.issue_token("telegram:2")
    other = members.issue_token("telegram:2")
    assert token.startswith("dobby_")
    assert token != other
    assert members.token_member(token).name == "Bob"
    assert members.token_member(token + "x") is None
    assert members.token_member("") is None
    stored = " ".join(str(row) for row in members._db.execute("SELECT * FROM member_tokens"))
    assert token not in stored  # only its hash is kept
    [first, _] = members.tokens()
    assert members.revoke_tokens(first.id) == 1
    assert members.token_member(token) is None
    assert members.token_member(other) is not None
    assert members.revoke_tokens("Bob") == 1  # every open token of a member, by name
    assert members.token_member(other) is None
    assert members.revoke_tokens("Bob") == 0


def test_a_token_follows_its_member_role_and_removal(members) -> None:
    members.add("telegram:2", "Bob", Role.MEMBER)
    token = members.issue_token("telegram:2")
    members.add("telegram:2", "Bob", Role.GUEST)
    assert members.token_member(token).role is Role.GUEST
    members.remove("telegram:2")
    assert members.token_member(token) is None
    with pytest.raises(MembershipError):
        members.issue_token("telegram:99")


def test_members_token_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    state = ["--config", str(CONFIG), "--state", str(tmp_path)]
    book = Members(database_path(tmp_path))
    book.add("telegram:5", "Carol", Role.GUEST)
    book.close()
    issued = runner.invoke(app, ["members", "token", "carol", *state])
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.splitlines()[0]
    assert token.startswith("dobby_")
    listed = runner.invoke(app, ["members", "tokens", "--json", *state])
    [row] = json.loads(listed.stdout)
    assert (row["member"], row["revoked"]) == ("telegram:5", False)
    assert runner.invoke(app, ["members", "revoke", row["id"], *state]).exit_code == 0
    assert runner.invoke(app, ["members", "revoke", row["id"], *state]).exit_code == 1
    assert runner.invoke(app, ["members", "token", "nobody", *state]).exit_code == 1


# -- the web page: one-time sign-in links and sessions -------------------------------------


def test_a_sign_in_link_opens_one_session_once(members) -> None:
    secret = members.web_link("telegram:1")
    assert members.link_holder(secret).name == "Alice"
    cookie, session = members.sign_in(secret, "Firefox")
    assert (session.member_id, session.role, session.agent) == ("telegram:1", Role.ADMIN, "Firefox")
    assert session.requester() == Requester(
        "telegram:1", Role.ADMIN, "Alice", channel="web", chat="telegram:1"
    )
    assert members.web_session(cookie) == session
    assert members.link_holder(secret) is None
    with pytest.raises(MembershipError, match="not valid any more"):
        members.sign_in(secret)
    assert members.web_session(secret) is None  # the link is not a session
    assert cookie not in (session.id, session.csrf)


def test_links_and_sessions_expire(members) -> None:
    late = members.web_link("telegram:1")
    members.clock.now += 15 * 60 + 1
    with pytest.raises(MembershipError):
        members.sign_in(late)
    cookie, _ = members.sign_in(members.web_link("telegram:1"))
    members.clock.now += 30 * 24 * 3600 + 1
    assert members.web_session(cookie) is None
    assert members.web_sessions() == []


def test_a_session_takes_its_members_role_now_and_ends_with_them(members) -> None:
    members.add("telegram:7", "Rita", Role.MEMBER)
    cookie, _ = members.sign_in(members.web_link("telegram:7"))
    members.add("telegram:7", "Rita", Role.GUEST)
    assert members.web_session(cookie).role is Role.GUEST
    members.remove("telegram:7")
    assert members.web_session(cookie) is None


def test_sessions_are_listed_and_revoked(members, tmp_path: Path) -> None:
    first, one = members.sign_in(members.web_link("telegram:1"))
    _, two = members.sign_in(members.web_link("terminal"))
    assert {s.id for s in members.web_sessions()} == {one.id, two.id}
    assert [s.name for s in members.web_sessions("terminal")] == ["terminal"]
    assert members.revoke_session(one.id)
    assert not members.revoke_session(one.id)
    assert members.web_session(first) is None
    with pytest.raises(MembershipError, match="not a member"):
        members.web_link("telegram:404")
    stored = sqlite_dump(tmp_path / "dobby.db")
    assert first not in stored  # only digests of cookies are kept


def sqlite_dump(path: Path) -> str:
    import sqlite3

    with sqlite3.connect(path) as db:
        return "\n".join(db.iterdump())


def test_members_invite_web_and_sessions_from_the_command_line(tmp_path: Path) -> None:
    runner = CliRunner()
    state = ["--config", str(CONFIG), "--state", str(tmp_path)]
    made = runner.invoke(app, ["members", "invite", "--web", "terminal", *state])
    assert made.exit_code == 0, made.output
    url = made.output.split()[0]
    assert "/signin/" in url
    book = Members(database_path(tmp_path))
    try:
        _cookie, session = book.sign_in(url.rpartition("/")[2])
    finally:
        book.close()
    listed = runner.invoke(app, ["members", "sessions", "--json", *state])
    assert [row["id"] for row in json.loads(listed.output)] == [session.id]
    ended = runner.invoke(app, ["members", "sessions", "--revoke", session.id, *state])
    assert ended.exit_code == 0, ended.output
    assert json.loads(runner.invoke(app, ["members", "sessions", "--json", *state]).output) == []
    stranger = runner.invoke(app, ["members", "invite", "--web", "telegram:404", *state])
    assert stranger.exit_code == 2
    assert "not a member" in stranger.output
