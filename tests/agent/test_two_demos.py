"""Two `dobby demo` processes on one machine, and `dobby run` on a port that is taken.

The chatting demo listens on the default HTTP port (8790) when it is free; a second demo
(or any demo while something else holds the port) takes a free one and prints its URL.
`dobby run`, whose port a person chose for a reason, says in one line that it is taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

CONFIG = Path(__file__).resolve().parents[2] / "config"
LINK = re.compile(r"http://127\.0\.0\.1:(\d+)/signin/\S+")


def _environment(**extra: str) -> dict[str, str]:
    """This environment without the HTTP settings a person (or CI) may have set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOBBY_")}
    return {**env, "DOBBY_WEB_URL": "", **extra}


async def _chatting_demo(state: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "agent",
        "demo",
        "--state",
        str(state),
        cwd=CONFIG.parent,
        env=_environment(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _sign_in_link(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    while True:
        line = (await process.stdout.readline()).decode()
        assert line, "the demo ended without a sign-in link"
        found = LINK.search(line)
        if found is not None:
            return found.group(0)


async def _page(link: str) -> str:
    """Sign in with the link; the house's page."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as client:
        origin = link.split("/signin/", maxsplit=1)[0]
        async with client.post(link, headers={"Origin": origin}) as response:
            assert response.status == 200
            return await response.text()


async def _end(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    assert process.stdin is not None
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # it ended already
        process.stdin.write(b"exit\n")
        await process.stdin.drain()
    try:
        await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        await process.wait()


@pytest.mark.timeout(300)
async def test_two_chatting_demos_run_at_once_and_both_answer(tmp_path: Path) -> None:
    """Two demos started together, without DOBBY_HTTP_PORT: at most one of them has the
    default port; the other takes a free one, prints its URL, and both serve their page."""
    demos = [await _chatting_demo(tmp_path / name) for name in ("first", "second")]
    try:
        async with asyncio.timeout(240):
            links = await asyncio.gather(*(_sign_in_link(demo) for demo in demos))
            ports = {LINK.search(link).group(1) for link in links}  # type: ignore[union-attr]
            assert len(ports) == 2, links
            pages = await asyncio.gather(*(_page(link) for link in links))
        for page in pages:
            assert "terminal" in page  # signed in as the person at the terminal
            assert 'id="light.kitchen_pendant"' in page
    finally:
        await asyncio.gather(*(_end(demo) for demo in demos))


@pytest.mark.timeout(180)
async def test_dobby_run_on_a_port_that_is_taken_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        env = _environment(
            DOBBY_HTTP_HOST="127.0.0.1", DOBBY_HTTP_PORT=str(port), DOBBY_WEB="false"
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "agent",
            "run",
            "--state",
            str(tmp_path),
            "--only-host",
            "127.0.0.1",
            cwd=CONFIG.parent,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(process.communicate(), 150)
    assert process.returncode == 2
    said = [line for line in err.decode().splitlines() if line.strip()]
    assert said[-1] == (
        f"Settings error: port {port} on 127.0.0.1 is taken by another program: stop it,"
        " or set DOBBY_HTTP_PORT to a free port."
    ), said
    assert "Traceback" not in err.decode()
