"""home.yaml changed from chat: an alias added, everything people wrote kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import load_config
from agent.home_store import HomeStore
from skills.yaml_edit import YamlEditError

HOME = """\
# Our house -- keep this comment!
name: Test House
areas:
  - {name: Living Room}
entities:
  # the one by the sofa
  light.floor_lamp: {area: Living Room, aliases: [reading lamp]}   # flow style stays
"""


@pytest.fixture
def store(tmp_path: Path) -> HomeStore:
    (tmp_path / "home.yaml").write_text(HOME, encoding="utf-8")
    return HomeStore(tmp_path / "home.yaml")


def test_an_alias_is_added_and_every_comment_kept(store: HomeStore) -> None:
    home = store.add_alias("light.floor_lamp", "big light")
    text = store.path.read_text(encoding="utf-8")
    assert "# Our house -- keep this comment!" in text
    assert "# the one by the sofa" in text
    assert "{area: Living Room, aliases: [reading lamp, big light]} # flow style stays" in text
    assert home.entities["light.floor_lamp"].aliases == ["reading lamp", "big light"]
    assert load_config(store.path.parent).home.entities["light.floor_lamp"].area == "Living Room"


def test_an_entity_not_yet_named_gets_an_entry(store: HomeStore) -> None:
    store.add_alias("light.kitchen_pendant", "the pendant")
    store.add_alias("light.kitchen_pendant", "The Pendant")  # once, whatever the case
    entities = load_config(store.path.parent).home.entities
    assert entities["light.kitchen_pendant"].aliases == ["the pendant"]


def test_a_file_that_cannot_take_it_is_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "home.yaml"
    path.write_text("name: Test\nentities: [not, a, mapping]\n", encoding="utf-8")
    with pytest.raises(YamlEditError, match="entities"):
        HomeStore(path).add_alias("light.floor_lamp", "big light")
    assert path.read_text(encoding="utf-8") == "name: Test\nentities: [not, a, mapping]\n"


def test_a_missing_file_is_created(tmp_path: Path) -> None:
    HomeStore(tmp_path / "home.yaml").add_alias("lock.front_door", "the door")
    assert load_config(tmp_path).home.entities["lock.front_door"].aliases == ["the door"]
