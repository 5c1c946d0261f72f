"""Recipes are data: validated with file, line and field; no templates, no commanding reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.recipe import RecipeError, load_recipes, parse_recipe

GOOD = """\
name: Desk Strip
identity: {mac: "02:aa:bb:cc:dd:ee"}
host: 192.168.1.40
poll_interval: 10
entities:
  - key: main
    domain: light
    name: Desk Strip
    reads:
      state: {path: /json/state, pointer: /on, type: bool, mapping: {"true": "on"}}
      brightness: {path: /json/state, pointer: /bri, type: int, scale: [0, 255]}
    commands:
      turn_on:
        method: POST
        path: /json/state
        body: {"on": true, bri: $brightness}
        params: {brightness: {type: int, minimum: 0, maximum: 255}}
"""


def test_a_good_recipe() -> None:
    recipe = parse_recipe(GOOD, "desk.yaml")
    assert recipe.identity.key == "02:aa:bb:cc:dd:ee"
    assert recipe.entities[0].commands["turn_on"].params["brightness"].maximum == 255


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("type: bool,", "type: boolean,"), "desk.yaml:10: entities.0.reads.state.type"),
        (("pointer: /on", "pointer: on"), "desk.yaml:10: entities.0.reads.state"),
        (("path: /json/state, pointer: /on", "path: /win&T=1, pointer: /on"), "hides a command"),
        (("bri: $brightness", "bri: $level"), "does not declare: level"),
        (("bri: $brightness", "bri: '{brightness}'"), "no templates"),
        (("bri: $brightness", "bri: '$(reboot)'"), "not a parameter name"),
        (('identity: {mac: "02:aa:bb:cc:dd:ee"}', "identity: {}"), "desk.yaml:2: identity"),
        (("domain: light", "domain: toaster"), "desk.yaml:7: entities.0.domain"),
    ],
)
def test_bad_recipes_say_file_line_and_field(change: tuple[str, str], expected: str) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(RecipeError, match=expected.replace(".", r"\.").replace("(", r"\(")):
        parse_recipe(text, "desk.yaml")


def test_the_recipes_folder(tmp_path: Path) -> None:
    assert load_recipes(tmp_path) == []
    (tmp_path / "recipes").mkdir()
    (tmp_path / "recipes" / "desk.yaml").write_text(GOOD, encoding="utf-8")
    assert [r.name for r in load_recipes(tmp_path)] == ["Desk Strip"]
    (tmp_path / "recipes" / "bad.yaml").write_text("name: [", encoding="utf-8")
    with pytest.raises(RecipeError, match=r"bad\.yaml:1: not YAML"):
        load_recipes(tmp_path)
