"""`python -m bench context`: prompt tokens of one LLM turn, by house size.

The turn is what the model is sent for one message: the instructions with the turn's
bounded context (areas, routines, what the house has, the entities the message names), the
tool definitions, and the message. It is captured from a real `HouseAgent` run against a
scripted model (no network) in the generated houses of `bench understand`, at 10, 100 and
1,000 entities. Beside it is the same turn with every entity of the house listed in the
prompt, one line each as Dobby lists them, the way Home Assistant's LLM API exposes
entities. `ratio` is the every-entity prompt's tokens over Dobby's.

`tokens` and `all_entities_tokens` count the whole request: the system instructions (with
the context), the tool definitions and the message. The tools are those the turn is shown
(`skills.toolsets.Focus`: finding and reading entities, running routines, and the control
tools of the domains the message is about); they are the same in both, and reported
beside them as `tool_tokens`, counted as the JSON of each tool's name, description and
parameter schema (providers render them more compactly). Tokens are counted with
`agent.llm.tokens` (an offline estimate, named in the report's `tokenizer`). Target: at
most 1,500 tokens at 1,000 entities, flat from 100 on.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.llm.agent import HouseAgent
from agent.llm.context import LISTING, entity_line
from agent.llm.settings import LLMSettings
from agent.llm.tokens import MESSAGE_OVERHEAD, TOKENIZER, count_tokens
from bench import report
from bench.understand import generated_house, routines
from devices.registry import Registry
from skills.actions import Requester
from skills.executor import Executor
from skills.house import House
from skills.policy import Policy, PolicyConfig

MESSAGE = "turn off the kitchen lamps and dim the desk lamp to 30%"
"""The message of the measured turn."""
_LISTING = LISTING + "\n"


def prompt_tokens(instructions: str, tools: list[str], message: str) -> int:
    """Tokens of a prompt: system instructions, each tool definition, the user message."""
    parts = [instructions, *tools, message]
    return sum(MESSAGE_OVERHEAD + count_tokens(part) for part in parts)


async def captured_turn(registry: Registry, message: str) -> tuple[str, list[str]]:
    """The instructions and tool definitions (as JSON) a model is sent for `message`."""
    house = House(registry, Policy(registry, PolicyConfig()), Executor(registry, {}))
    seen: list[tuple[str, list[str]]] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        tools = [
            json.dumps(
                {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters_json_schema,
                }
            )
            for t in info.function_tools
        ]
        seen.append((info.instructions or "", tools))
        return ModelResponse(parts=[TextPart("ok")])

    agent = HouseAgent(house, routines(), FunctionModel(model), settings=LLMSettings(model="x"))
    await agent.plan(message, Requester.local_admin())
    return seen[0]


def every_entity(registry: Registry, instructions: str) -> str:
    """The same instructions with every entity of the house listed instead of a few."""
    head, _, _ = instructions.partition(_LISTING)
    lines = (entity_line(registry, e) for e in registry.entities.values())
    return head + _LISTING + "\n".join(lines)


async def measure(count: int) -> dict[str, Any]:
    """Prompt tokens of the turn in a house of `count` entities, and with every entity."""
    registry = generated_house(count)
    instructions, tools = await captured_turn(registry, MESSAGE)
    if _LISTING not in instructions:
        raise RuntimeError("the turn's context no longer lists entities where expected")
    tokens = prompt_tokens(instructions, tools, MESSAGE)
    everything = prompt_tokens(every_entity(registry, instructions), tools, MESSAGE)
    return {
        "entities": count,
        "tokens": tokens,
        "all_entities_tokens": everything,
        "ratio": round(everything / tokens, 2),
        "tool_tokens": prompt_tokens("", tools, "") - 2 * MESSAGE_OVERHEAD,
        "tools": len(tools),
    }


async def run(argv: list[str], *, json_out: bool) -> dict[str, Any]:
    """Run the benchmark and report it."""
    parser = argparse.ArgumentParser(prog="python -m bench context")
    parser.add_argument("--entities", type=int, nargs="+", default=[10, 100, 1000])
    args = parser.parse_args(argv)
    results = [await measure(count) for count in args.entities]
    document = {
        "benchmark": "context",
        "tokenizer": TOKENIZER,
        "message": MESSAGE,
        "results": results,
    }
    report("context", document, json_out=json_out)
    return document
