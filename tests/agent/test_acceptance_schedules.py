"""Issue 6's acceptance: a one-shot schedule firing inside the demo, run as the issue writes
it (`dobby demo --say "in 2 seconds ..." --say "wait 3 seconds" --json`) in a process of
its own, with the schedule stored in that run's state directory.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "config"


def test_a_one_shot_schedule_fires_inside_the_demo(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent",
            "demo",
            "--say",
            "in 2 seconds turn off the kitchen pendant",
            "--say",
            "wait 3 seconds",
            "--json",
            "--state",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        cwd=CONFIG.parent,
    )
    assert result.returncode == 0, result.stderr
    scheduled, waited, states = (json.loads(line) for line in result.stdout.strip().splitlines())
    assert scheduled["intent"] == "Schedule"
    assert scheduled["actions"] == [
        {"entity_id": "light.kitchen_pendant", "command": "light.turn_off", "params": {}}
    ]
    assert scheduled["results"] == []  # nothing done yet: it is scheduled
    assert re.fullmatch(
        r"Scheduled 'turn off the kitchen pendant' at \d\d:\d\d:\d\d (today|tomorrow)\.",
        scheduled["reply"],
    ), scheduled["reply"]
    # While Dobby waited, the schedule fired and reported what it did.
    assert waited["reply"] == (
        "Waited 3 seconds.\nScheduled: turn off the kitchen pendant: 1 of 1 actions done."
    )
    lights = {s["entity_id"]: s["state"] for s in states if s["entity_id"].startswith("light.")}
    assert lights == {
        "light.kitchen_pendant": "off",
        "light.counter_strip": "on",
        "light.living_room_ceiling": "on",
        "light.floor_lamp": "on",
        "light.bedside_lamp": "off",
        "light.pool_light": "off",
    }
    assert (tmp_path / "dobby.db").is_file()  # the job store of that run
