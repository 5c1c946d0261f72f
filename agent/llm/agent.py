"""The pydantic-ai agent whose tools are the house.

`HouseAgent.plan` runs a turn as a dry run (what `dobby understand` shows); `run` carries
it out. A tool call the policy holds for confirmation ends the run with deferred tool
requests: the turn comes back with an `Approval`, and `resume` continues the same run
once a person allowed to confirm approves or denies it, at most once, before it expires.

Each chat's finished turns are kept (`agent.llm.conversations`), so a follow-up ("turn it
off again", "and the kitchen too") sees what came before, across restarts when the
conversations live in the state database. What every model run used is recorded there too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import (
    AbstractToolset,
    Agent,
    AgentRunError,
    DeferredToolRequests,
    DeferredToolResults,
    ToolApproved,
    ToolDenied,
    UsageLimitExceeded,
)
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models import Model, infer_model
from pydantic_ai.providers import infer_provider_class
from pydantic_ai.usage import UsageLimits

from agent.llm.context import turn_context, turn_focus
from agent.llm.conversations import Conversations
from agent.llm.settings import LLMSettings
from skills.actions import Action, ActionResult, Requester
from skills.confirmations import ConfirmationError
from skills.house import House
from skills.routines import Routine
from skills.toolsets import Focus, HouseDeps, house_toolsets

_LOGGER = logging.getLogger(__name__)

INSTRUCTIONS = """\
You are {name}, a household's assistant. Read and change the house only through your \
tools; never claim what no tool did. Use entity ids from the context or find_entities, \
never invented ones. If a request could mean several devices, ask one short question \
instead of guessing. Unlocking, disarming and opening the garage wait for a person's \
confirmation: say it is waiting. If the house rules refuse something, say what and why. \
Answer in one or two short sentences, in the person's language."""

OTHER_TOOLS = """ Tools named after another service (weather_...) tell you about the \
world; they cannot change the house: do that only with your own tools."""

LIMIT_REPLY = (
    "That needed more steps than I allow for one message, so I stopped. "
    "Please ask in smaller steps."
)
ERROR_REPLY = "Sorry, I could not reach my language model just now; I changed nothing."
PARTIAL_REPLY = "Sorry, my language model stopped answering partway; the results show what I did."


def build_model(settings: LLMSettings) -> Model:
    """The model the settings name; raises pydantic-ai's UserError if it cannot be built."""
    name = settings.model or ""
    key = settings.model_api_key.get_secret_value() if settings.model_api_key else None
    if settings.model_base_url:
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        model_name = name.split(":", 1)[1] if ":" in name else name
        provider = OpenAIProvider(base_url=settings.model_base_url, api_key=key or "not-needed")
        return OpenAIChatModel(model_name, provider=provider)
    if key is not None:
        return infer_model(name, provider_factory=lambda p: infer_provider_class(p)(api_key=key))  # type: ignore[call-arg]
    return infer_model(name)


@dataclass(frozen=True)
class Approval:
    """A turn waiting for a person: what to ask and which actions wait."""

    token: str
    question: str
    actions: list[str]


@dataclass
class Turn:
    """What came of one message (or one answer to an approval request)."""

    reply: str
    actions: list[Action] = field(default_factory=list)
    results: list[ActionResult] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    pending: Approval | None = None
    usage: dict[str, int] = field(default_factory=dict)
    """`requests`, `input_tokens`, `output_tokens` of the turn."""
    failed: bool = False
    """The model failed or a limit was hit; `reply` says so."""


@dataclass
class _Paused:
    """A run paused on tool calls that wait for a person (kept in the house's
    confirmation store until someone answers)."""

    requests: DeferredToolRequests
    messages: list[ModelMessage]
    requester: Requester
    chat: str
    text: str
    history_length: int


class HouseAgent:
    """The LLM path of understanding: a pydantic-ai agent with the house as its tools."""

    def __init__(
        self,
        house: House,
        routines: Sequence[Routine],
        model: Model | str,
        *,
        settings: LLMSettings | None = None,
        conversations: Conversations | None = None,
        toolsets: Sequence[AbstractToolset[HouseDeps]] = (),
        name: str = "Dobby",
    ) -> None:
        """`toolsets`: more tools beside the house's (the household's MCP servers,
        `agent.llm.mcp_servers`); `name`: what the household calls its assistant
        (`assistant.name` in home.yaml)."""
        self.house = house
        self.routines = list(routines)
        self.settings = settings or LLMSettings(model=None)
        self.conversations = conversations or Conversations(
            budget=self.settings.llm_history_tokens, max_turns=self.settings.llm_history_turns
        )
        """Each chat's earlier turns, and the usage of every model run."""
        self.agent: Agent[HouseDeps, str | DeferredToolRequests] = Agent(
            model,
            deps_type=HouseDeps,
            output_type=[str, DeferredToolRequests],
            instructions=INSTRUCTIONS.format(name=name) + (OTHER_TOOLS if toolsets else ""),
            toolsets=[*house_toolsets(), *toolsets],
            retries=2,
            defer_model_check=True,
        )

    @property
    def limits(self) -> UsageLimits:
        """The usage limits of one turn."""
        return UsageLimits(
            request_limit=self.settings.llm_max_requests,
            total_tokens_limit=self.settings.llm_max_tokens,
        )

    def context(self, text: str) -> str:
        """The bounded context of a turn about `text`."""
        return turn_context(self.house.registry, self.routines, text)

    def focus(self, text: str, history: Sequence[ModelMessage] = ()) -> Focus:
        """Which tools a turn about `text`, after `history`, is shown."""
        earlier = (
            part.tool_name
            for message in history
            if isinstance(message, ModelResponse)
            for part in message.parts
            if isinstance(part, ToolCallPart)
        )
        return turn_focus(self.house.registry, self.routines, text, earlier)

    async def plan(self, text: str, requester: Requester, *, chat: str | None = None) -> Turn:
        """What the model's tool calls would do with `text`; nothing is carried out.

        The chat's history is read (a follow-up is planned as it would run), not added to.
        """
        deps = HouseDeps(self.house, requester, self.routines, dry_run=True)
        key = chat or requester.id
        history = self.conversations.history(key)
        deps.focus = self.focus(text, history)
        return await self._turn(deps, key, text, text, history=history)

    async def run(self, text: str, requester: Requester, *, chat: str | None = None) -> Turn:
        """Carry out `text` through the tools; sensitive actions wait for an approval.

        `chat` keys the conversation; by default each person has their own.
        """
        deps = HouseDeps(self.house, requester, self.routines)
        key = chat or requester.id
        history = self.conversations.history(key)
        deps.focus = self.focus(text, history)
        return await self._turn(deps, key, text, text, history=history, remember=True)

    def owns(self, waiting: object) -> bool:
        """Whether a confirmation request's subject is one of this agent's paused runs."""
        return isinstance(waiting, _Paused)

    async def resume(self, token: str, approver: Requester, *, approve: bool) -> Turn:
        """Answer an approval request: only an authorised person, once, before it expires
        (`Confirmations.take` decides); the house's policy checks every action again."""
        request = self.house.confirmations.take(token, approver)
        return await self.go_on(request.subject, approver, approve=approve)

    async def go_on(self, waiting: object, approver: Requester, *, approve: bool) -> Turn:
        """Go on with a paused run taken from the confirmation store, as `approver` answered."""
        if not isinstance(waiting, _Paused):
            raise ConfirmationError("That request is not about a conversation with the model.")
        paused = waiting
        denied = ToolDenied("The person declined; nothing was done. Say so briefly.")
        answers: dict[str, bool | ToolApproved | ToolDenied] = {
            call.tool_call_id: True if approve else denied for call in paused.requests.approvals
        }
        deps = HouseDeps(self.house, paused.requester, self.routines, approver=approver)
        return await self._turn(
            deps,
            paused.chat,
            None,
            paused.text,
            history=paused.messages,
            deferred=DeferredToolResults(approvals=answers),
            remember=True,
            history_length=paused.history_length,
        )

    def pending(self, token: str) -> Approval | None:
        """An approval request of this agent still open."""
        request = self.house.confirmations.get(token)
        if request is None or not isinstance(request.subject, _Paused):
            return None
        return _approval(token, request.subject.requests)

    async def _turn(
        self,
        deps: HouseDeps,
        chat: str,
        prompt: str | None,
        text: str,
        *,
        history: list[ModelMessage],
        deferred: DeferredToolResults | None = None,
        remember: bool = False,
        history_length: int | None = None,
    ) -> Turn:
        earlier = len(history) if history_length is None else history_length
        try:
            async with self.agent:  # the provider's HTTP client lives for one turn
                result = await self.agent.run(
                    prompt,
                    deps=deps,
                    message_history=history or None,
                    deferred_tool_results=deferred,
                    instructions=self.context(text),
                    usage_limits=self.limits,
                    timeout=self.settings.llm_timeout,
                )
        except UsageLimitExceeded as error:
            _LOGGER.warning("A turn hit its usage limit: %s", error)
            return _turn_of(deps, LIMIT_REPLY, failed=True)
        except (AgentRunError, TimeoutError) as error:
            _LOGGER.warning("The model failed (%s)", type(error).__name__)
            return _turn_of(deps, PARTIAL_REPLY if deps.results else ERROR_REPLY, failed=True)
        usage = {
            "requests": result.usage.requests,
            "input_tokens": result.usage.input_tokens,
            "output_tokens": result.usage.output_tokens,
        }
        self.conversations.record_usage(chat, usage)
        _LOGGER.info(
            "A model run used %d requests, %d input and %d output tokens",
            usage["requests"],
            usage["input_tokens"],
            usage["output_tokens"],
        )
        messages = result.all_messages()
        output = result.output
        if isinstance(output, DeferredToolRequests):
            paused = _Paused(output, messages, deps.requester, chat, text, earlier)
            question = _approval("", output).question
            request = self.house.confirmations.open(question, deps.requester, paused)
            approval = _approval(request.token, output)
            return _turn_of(deps, approval.question, pending=approval, usage=usage)
        if remember:
            self.conversations.remember(chat, messages[earlier:])
        if deps.pending:  # a schedule or a routine's step waits for a person's Approve
            waiting = deps.pending[0]
            approval = Approval(waiting.token, waiting.question, [])
            return _turn_of(deps, output, pending=approval, usage=usage)
        return _turn_of(deps, output, usage=usage)


def _approval(token: str, requests: DeferredToolRequests) -> Approval:
    questions: list[str] = []
    actions: list[str] = []
    for call in requests.approvals:
        meta: dict[str, Any] = requests.metadata.get(call.tool_call_id, {})
        question = str(meta.get("question", f"Please confirm {call.tool_name}."))
        if question not in questions:
            questions.append(question)
        actions.extend(str(a) for a in meta.get("actions", []))
    return Approval(token, " ".join(questions), actions)


def _turn_of(deps: HouseDeps, reply: str, **extra: Any) -> Turn:
    return Turn(
        reply=reply,
        actions=list(deps.actions),
        results=list(deps.results),
        refused=list(deps.refused),
        **extra,
    )
