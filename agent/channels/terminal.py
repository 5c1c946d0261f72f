"""The terminal channel: `dobby chat`, `dobby demo` and `dobby say`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from rich.console import Console

from agent.app import Dobby, Reply
from skills.actions import Requester
from skills.house import ConfirmationError
from skills.notifications import Notice

Ask = Callable[[str], Awaitable[str | None]]


async def _ask_stdin(prompt: str) -> str | None:
    try:
        return await asyncio.to_thread(input, prompt)
    except EOFError:
        return None


async def chat(
    dobby: Dobby,
    requester: Requester,
    *,
    ask: Ask = _ask_stdin,
    console: Console | None = None,
) -> None:
    """Talk with Dobby until the person types "exit" or closes the input."""
    console = console or Console()

    async def show(notice: Notice) -> None:
        console.print(f"dobby> ({notice.kind.value}) {notice.text}", markup=False)

    stop_notices = dobby.notifications.subscribe(show)
    try:
        await _converse(dobby, requester, ask, console)
    finally:
        stop_notices()


async def _converse(dobby: Dobby, requester: Requester, ask: Ask, console: Console) -> None:
    console.print(
        "[bold]Dobby[/] is listening. Try [italic]sleepy time[/] or "
        "[italic]pause the kitchen[/]; [italic]exit[/] to leave."
    )
    while True:
        text = await ask("you> ")
        if text is None or text.strip().lower() in {"exit", "quit", "bye"}:
            return
        if not text.strip():
            continue
        reply = await dobby.handle(text, requester)
        console.print(f"dobby> {reply.reply}", markup=False, highlight=False)
        if reply.confirmation:
            await _confirm(dobby, reply, requester, ask, console)


async def _confirm(
    dobby: Dobby, reply: Reply, requester: Requester, ask: Ask, console: Console
) -> None:
    assert reply.confirmation is not None
    answer = await ask("approve? [y/N] ")
    approve = (answer or "").strip().lower() in {"y", "yes"}
    try:
        result = await dobby.confirm(reply.confirmation, requester, approve=approve)
    except ConfirmationError as error:
        console.print(f"dobby> {error}", markup=False)
        return
    console.print(f"dobby> {result.reply or 'Done.'}", markup=False, highlight=False)
