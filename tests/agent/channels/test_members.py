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
from skills.audit import database_path

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
