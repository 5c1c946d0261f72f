"""Which model Dobby uses: DOBBY_MODEL, a local server's base URL, or none at all."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic_ai.models.openai import OpenAIChatModel

from agent.app import Dobby
from agent.config import ConfigError, load_config
from agent.llm import from_environment, load_settings
from agent.understanding import Understander
from devices.plugin import LoadedAdapters


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in (
        "DOBBY_MODEL",
        "DOBBY_MODEL_BASE_URL",
        "DOBBY_MODEL_API_KEY",
        "DOBBY_LLM_FIRST",
        "OPENAI_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)


def test_no_model_means_local_understanding_only(llm_home):
    assert load_settings() is None
    assert from_environment(llm_home.house, llm_home.routines) is None


async def test_without_a_model_the_reply_is_helpful(llm_home):
    understood = await Understander(llm_home.registry, llm_home.routines).understand("sing")
    assert understood.source == "none"
    assert "No language model is configured" in understood.reply
    assert '"movie time"' in understood.reply


def test_base_url_uses_the_openai_compatible_model(llm_home, monkeypatch):
    monkeypatch.setenv("DOBBY_MODEL", "openai:llama3")
    monkeypatch.setenv("DOBBY_MODEL_BASE_URL", "http://127.0.0.1:11434/v1")
    agent = from_environment(llm_home.house, llm_home.routines)
    assert agent is not None
    assert isinstance(agent.agent.model, OpenAIChatModel)
    assert agent.agent.model.model_name == "llama3"
    assert str(agent.agent.model.base_url).startswith("http://127.0.0.1:11434/v1")


def test_dotenv_file_configures_the_model(llm_home, tmp_path):
    (tmp_path / ".env").write_text(
        "DOBBY_MODEL=openai:qwen\nDOBBY_MODEL_BASE_URL=http://127.0.0.1:8080/v1\n"
    )
    settings = load_settings()
    assert settings is not None
    assert settings.model == "openai:qwen"


def test_a_model_that_cannot_be_set_up_is_logged_without_its_key(llm_home, monkeypatch, caplog):
    monkeypatch.setenv("DOBBY_MODEL", "openai:gpt-4o")  # no OPENAI_API_KEY, no base URL
    monkeypatch.setenv("DOBBY_MODEL_API_KEY", "")
    caplog.set_level(logging.ERROR)
    assert from_environment(llm_home.house, llm_home.routines) is None
    assert "openai:gpt-4o cannot be used" in caplog.text
    monkeypatch.setenv("DOBBY_MODEL", "nonsense:model")
    monkeypatch.setenv("DOBBY_MODEL_API_KEY", "sk-very-secret")
    assert from_environment(llm_home.house, llm_home.routines) is None
    assert "sk-very-secret" not in caplog.text


def test_settings_never_show_the_key(monkeypatch):
    monkeypatch.setenv("DOBBY_MODEL", "anthropic:claude-sonnet-4-5")
    monkeypatch.setenv("DOBBY_MODEL_API_KEY", "sk-very-secret")
    settings = load_settings()
    assert settings is not None
    assert "sk-very-secret" not in repr(settings)
    assert "sk-very-secret" not in str(settings.model_dump())


def test_importing_the_app_does_not_import_pydantic_ai():
    code = "import sys, agent.app; print('pydantic_ai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def dobby_with(tmp_path: Path, home_yaml: str) -> Dobby:
    """The app on a config dir with this home.yaml and no adapters at all."""
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "home.yaml").write_text(home_yaml, encoding="utf-8")
    return Dobby(load_config(config_dir), tmp_path / "state", loaded=LoadedAdapters({}, []))


HOME_WITH_MODEL = """
areas: [{name: Kitchen}]
model: openai:qwen2.5
model_base_url: http://127.0.0.1:11434/v1
"""


async def test_the_model_comes_from_home_yaml(tmp_path):
    dobby = dobby_with(tmp_path, HOME_WITH_MODEL)
    try:
        llm = dobby.understander.llm
        assert llm is not None
        assert isinstance(llm.agent.model, OpenAIChatModel)
        assert llm.agent.model.model_name == "qwen2.5"
        assert str(llm.agent.model.base_url).startswith("http://127.0.0.1:11434/v1")
        assert llm.settings.llm_first is False
        # Conversations live in the state database.
        assert llm.conversations.path == str(tmp_path / "state" / "dobby.db")
        understood = await dobby.understander.local("turn off the kitchen lights")
        assert understood is not None
    finally:
        await dobby.stop()


async def test_dobby_model_overrides_home_yaml(tmp_path, monkeypatch):
    monkeypatch.setenv("DOBBY_MODEL", "openai:llama3")
    monkeypatch.setenv("DOBBY_MODEL_BASE_URL", "http://127.0.0.1:8080/v1")
    dobby = dobby_with(tmp_path, HOME_WITH_MODEL)
    try:
        llm = dobby.understander.llm
        assert llm is not None
        assert isinstance(llm.agent.model, OpenAIChatModel)
        assert llm.agent.model.model_name == "llama3"
        assert str(llm.agent.model.base_url).startswith("http://127.0.0.1:8080/v1")
    finally:
        await dobby.stop()


def test_home_yaml_base_url_goes_only_with_its_model(monkeypatch):
    settings = load_settings("openai:qwen2.5", model_base_url="http://127.0.0.1:11434/v1")
    assert settings is not None
    assert settings.model_base_url == "http://127.0.0.1:11434/v1"
    monkeypatch.setenv("DOBBY_MODEL", "anthropic:claude-sonnet-4-5")
    settings = load_settings("openai:qwen2.5", model_base_url="http://127.0.0.1:11434/v1")
    assert settings is not None
    assert (settings.model, settings.model_base_url) == ("anthropic:claude-sonnet-4-5", None)
    assert load_settings(None) is not None  # the environment alone configures a model


async def test_llm_first_in_home_yaml_sends_everything_to_the_model(tmp_path, monkeypatch):
    dobby = dobby_with(tmp_path, HOME_WITH_MODEL + "llm_first: true\n")
    try:
        llm = dobby.understander.llm
        assert llm is not None
        assert llm.settings.llm_first is True
        assert await dobby.understander.local("turn off the kitchen lights") is None
    finally:
        await dobby.stop()
    monkeypatch.setenv("DOBBY_LLM_FIRST", "false")  # the environment has the last word
    settings = load_settings("openai:qwen2.5", llm_first=True)
    assert settings is not None
    assert settings.llm_first is False


def test_a_misspelt_llm_setting_names_the_line(tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "home.yaml").write_text("name: Home\nllm_first: perhaps\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"home.yaml:2: llm_first: expected true or false"):
        load_config(config_dir)
