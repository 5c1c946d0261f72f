"""Which of the templates Dobby needs are configured, and approved: for `dobby config check`.

Outside a member's 24-hour window only an approved template reaches them, so a missing one
means lost notices. home.yaml names them (`whatsapp.templates`); with
`DOBBY_WHATSAPP_BUSINESS_ACCOUNT_ID` set, the Graph API says which the business account has
approved, in which language.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from agent.config import ChannelSettings, WhatsAppConfig

PURPOSES = {
    "notice": "notices (one text parameter)",
    "approval": "approval requests (one text parameter, quick replies Approve and Deny)",
}


@dataclass(frozen=True)
class TemplateReport:
    """What `dobby config check` says about the WhatsApp templates."""

    problems: list[str]
    """Each missing or unapproved template, in a sentence."""
    notes: list[str]
    """What was checked, or could not be."""


async def approved_templates(settings: ChannelSettings) -> dict[tuple[str, str], str]:
    """The business account's templates: (name, language) → review status (`APPROVED`,
    `PENDING`, ...). Raises aiohttp.ClientError or ValueError when they cannot be read."""
    assert settings.whatsapp_token is not None
    url = f"{settings.whatsapp_graph_url}/{settings.whatsapp_business_account_id}/message_templates"
    headers = {"Authorization": f"Bearer {settings.whatsapp_token.get_secret_value()}"}
    params = {"fields": "name,language,status", "limit": "250"}
    found: dict[tuple[str, str], str] = {}
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session,
        session.get(url, headers=headers, params=params) as response,
    ):
        body = await response.json(content_type=None)
        if response.status >= 400 or not isinstance(body, dict):
            error = body.get("error", {}) if isinstance(body, dict) else {}
            code = error.get("code") if isinstance(error, dict) else None
            raise ValueError(f"the Graph API answered HTTP {response.status} (code {code})")
        for template in body.get("data", []):
            key = (str(template.get("name")), str(template.get("language")))
            found[key] = str(template.get("status", "")).upper()
    return found


async def check_templates(config: WhatsAppConfig, settings: ChannelSettings) -> TemplateReport:
    """Which templates are missing from home.yaml, or not approved in their language."""
    notes: list[str] = []
    problems = [
        f"no template for {PURPOSES[kind]} (whatsapp.templates.{kind} in home.yaml): "
        "members who have not written in 24 hours will not get them"
        for kind in config.templates.missing()
    ]
    configured = {
        kind: template
        for kind in PURPOSES
        if (template := getattr(config.templates, kind)) is not None
    }
    if not configured or settings.whatsapp_token is None:
        return TemplateReport(problems, notes)
    if settings.whatsapp_business_account_id is None:
        notes.append(
            "set DOBBY_WHATSAPP_BUSINESS_ACCOUNT_ID to check that the templates are approved"
        )
        return TemplateReport(problems, notes)
    try:
        approved = await approved_templates(settings)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        notes.append(f"could not read the approved templates: {error or type(error).__name__}")
        return TemplateReport(problems, notes)
    for kind, template in configured.items():
        status = approved.get((template.name, template.language))
        if status == "APPROVED":
            continue
        other = sorted(lang for name, lang in approved if name == template.name)
        if status is not None:
            why = f"is {status.lower()}, not approved"
        elif other:
            why = f"exists only in {', '.join(other)}"
        else:
            why = "does not exist in the business account"
        problems.append(
            f"template {template.name} ({template.language}) for {PURPOSES[kind]} {why}"
        )
    if not problems:
        notes.append("both templates are approved")
    return TemplateReport(problems, notes)
