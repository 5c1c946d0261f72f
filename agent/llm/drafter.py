"""The LLM drafter: a pydantic-ai agent whose only tools are the read-only probes.

    learned = await draft_with_model(model, "192.168.1.40", 80, record=audit)

Who the host is (its family, identity and name) is read first, without the model, at the
signature table's identity endpoints. Then the model reads the device through three tools,
each a `Prober` call on that one host within the same budget and rules as `dobby explore`:
`http_get` (a GET whose path and query command nothing), `upnp_document` (a description or
SCPD) and `soap_get` (a `Get...` action). A request outside the rules (another host, a
scheme in the path, a commanding word, a spent budget) is refused by the tool, whatever the
model says; the model reads the refusal. Its answer is a `Recipe` (pydantic-ai's structured
output): the host, port and identity are then the ones Dobby read itself, not the model's,
and every read of the draft is tried before anyone sees it. Nothing is commanded here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from pydantic_ai import Agent, RunContext
from pydantic_ai.exceptions import AgentRunError, UnexpectedModelBehavior
from pydantic_ai.models import Model

from devices.explore.learn import Learned, Learner
from devices.explore.probe import DEFAULT_BUDGET, Answer, Prober, ProbeRecord
from devices.explore.rules import ProbeRefusedError
from devices.recipe import Recipe, identity_of

MAX_SHOWN = 6000
"""Characters of an answer's body the model is shown."""
INSTRUCTIONS = """\
You learn how to read and drive one device on a home network, from its own local API.
You may only read it: the tools send GETs, fetch UPnP descriptions and service
descriptions (SCPD), and call SOAP actions whose names start with Get. A request that
could change the device is refused. Find where the device shows its state (booleans,
levels) and what its commands would be, then answer with a recipe: the device's entities
(domain light or switch for what turns on and off), each with its reads (`state` first,
a GET path and a JSON pointer, or a SOAP Get action and its out-argument, with a mapping
from the device's value to on/off) and its commands (turn_on, turn_off: method, path and
a JSON body or SOAP arguments; a string exactly "$name" is the typed parameter `name`).
Do not guess: put in the recipe only what the device showed you. Nothing is sent to the
device from your recipe until the household approves each command."""


@dataclass
class ProbeDeps:
    """What the drafter's tools reach: one prober, for one host."""

    prober: Prober


def _shown(answer: Answer) -> str:
    """An answer as the model reads it: status, content type, the body (cut short)."""
    if answer.note is not None:
        return f"no usable answer: {answer.note}"
    kind = answer.headers.get("Content-Type", "")
    body = json.dumps(answer.json, ensure_ascii=False) if answer.json is not None else answer.text
    return f"HTTP {answer.status} ({kind})\n{body[:MAX_SHOWN]}"


def drafter(model: Model | str | None = None) -> Agent[ProbeDeps, Recipe]:
    """The drafting agent; its tools are the read-only probes and nothing else."""
    agent: Agent[ProbeDeps, Recipe] = Agent(
        model, deps_type=ProbeDeps, output_type=Recipe, instructions=INSTRUCTIONS
    )

    @agent.tool
    async def http_get(ctx: RunContext[ProbeDeps], path: str) -> str:
        """GET a path on the device, such as `/json/state` or `/rpc/Switch.GetStatus?id=0`.

        Read-only: a path or query with a commanding word (set, on, off, turn, toggle,
        reboot...) is refused, as is anything that is not a plain path on this device."""
        try:
            return _shown(await ctx.deps.prober.get(path))
        except ProbeRefusedError as refused:
            return f"refused: {refused}"

    @agent.tool
    async def upnp_document(ctx: RunContext[ProbeDeps], path: str) -> str:
        """Fetch a UPnP device description or service description (SCPD) the device names."""
        try:
            return _shown(await ctx.deps.prober.document(path))
        except ProbeRefusedError as refused:
            return f"refused: {refused}"

    @agent.tool
    async def soap_get(
        ctx: RunContext[ProbeDeps], control_path: str, service_type: str, action: str
    ) -> str:
        """Call a UPnP SOAP action that reads (its name starts with Get; no arguments)."""
        try:
            answer, values = await ctx.deps.prober.soap_get(control_path, service_type, action)
        except ProbeRefusedError as refused:
            return f"refused: {refused}"
        if answer.note is not None:
            return f"no usable answer: {answer.note}"
        return json.dumps(values, ensure_ascii=False)

    return agent


async def draft_with_model(
    model: Model | str,
    host: str,
    port: int = 80,
    *,
    budget: int = DEFAULT_BUDGET,
    request_timeout: float = 3.0,
    record: Callable[[ProbeRecord], None] | None = None,
    location: str | None = None,
    name: str = "",
    area: str | None = None,
) -> Learned:
    """Who the host is (read without the model), then the model's draft, its reads tried."""
    learner = Learner(
        host, port, budget=budget, timeout=request_timeout, record=record, location=location
    )
    result = learner.result
    async with learner.prober:
        try:
            await learner.read_identity()
        except ProbeRefusedError as refused:
            result.notes.append(str(refused))
            return result
        identity = identity_of(result.identity)
        if identity is None:
            result.notes.append("no stable identity (MAC, UDN, device id): nothing drafted")
            return result
        known = result.family.title if result.family is not None else "not recognised"
        prompt = (
            f"The device at {result.host} port {port} ({known}, calls itself "
            f"{result.name or 'nothing'}). Read it and draft its recipe."
        )
        try:
            run = await drafter(model).run(prompt, deps=ProbeDeps(learner.prober))
        except (AgentRunError, UnexpectedModelBehavior) as error:
            result.notes.append(f"the model gave no recipe: {error}")
            return result
        draft = run.output
        entities = [e.model_copy(update={"area": area or e.area}) for e in draft.entities]
        draft = draft.model_copy(
            update={
                "name": name or result.name or draft.name,
                "host": result.host,
                "port": port,
                "identity": identity,
                "family": result.family.id if result.family is not None else draft.family,
                "entities": entities,
            }
        )
        await learner.try_reads(Recipe.model_validate(draft.model_dump()))
    result.requests = learner.prober.sent
    return result
