"""`dobby config check` says which WhatsApp templates are missing from home.yaml, or not
approved in the business account (read from the fake Graph API's template list)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr
from typer.testing import CliRunner

from agent.channels.whatsapp.templates import check_templates
from agent.channels.whatsapp.testing import FakeGraphAPI
from agent.cli import app
from agent.config import ChannelSettings, TemplateConfig, TemplatesConfig, WhatsAppConfig

BOTH = WhatsAppConfig(
    templates=TemplatesConfig(
        notice=TemplateConfig(name="dobby_notice", language="en"),
        approval=TemplateConfig(name="dobby_approval", language="en"),
    )
)


def settings(graph: FakeGraphAPI, account: str | None) -> ChannelSettings:
    return ChannelSettings(
        _env_file=None,  # type: ignore[call-arg]
        whatsapp_token=SecretStr(graph.token),
        whatsapp_graph_url=graph.base_url,
        whatsapp_business_account_id=account,
    )


@pytest.fixture
async def graph():
    fake = FakeGraphAPI()
    await fake.start()
    yield fake
    await fake.stop()


async def test_both_approved(graph) -> None:
    report = await check_templates(BOTH, settings(graph, graph.business_account_id))
    assert report.problems == []
    assert report.notes == ["both templates are approved"]


async def test_a_pending_template_and_one_in_another_language_are_named(graph) -> None:
    graph.templates[("dobby_approval", "en")].status = "PENDING"
    notice = graph.templates.pop(("dobby_notice", "en"))
    notice.language = "de"
    graph.templates[("dobby_notice", "de")] = notice
    report = await check_templates(BOTH, settings(graph, graph.business_account_id))
    assert report.problems == [
        "template dobby_notice (en) for notices (one text parameter) exists only in de",
        "template dobby_approval (en) for approval requests (one text parameter, quick "
        "replies Approve and Deny) is pending, not approved",
    ]


async def test_without_the_account_id_it_says_what_to_set(graph) -> None:
    report = await check_templates(BOTH, settings(graph, None))
    assert report.problems == []
    assert "DOBBY_WHATSAPP_BUSINESS_ACCOUNT_ID" in report.notes[0]


async def test_a_wrong_token_is_a_note_not_a_traceback(graph) -> None:
    wrong = settings(graph, graph.business_account_id)
    wrong.whatsapp_token = SecretStr("not-the-token")
    report = await check_templates(BOTH, wrong)
    assert report.notes == ["could not read the approved templates: the Graph API answered "
                            "HTTP 401 (code 190)"]  # fmt: skip
    assert "not-the-token" not in " ".join(report.notes)


def test_config_check_names_a_template_missing_from_home_yaml(tmp_path: Path) -> None:
    home = {"adapters": {}, "whatsapp": {"templates": {"notice": {"name": "dobby_notice"}}}}
    (tmp_path / "home.yaml").write_text(yaml.safe_dump(home))
    result = CliRunner().invoke(app, ["config", "check", "--config", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "WhatsApp: missing: no template for approval requests" in result.output
    assert "whatsapp.templates.approval in home.yaml" in result.output
    assert "notices (one text parameter)" not in result.output
