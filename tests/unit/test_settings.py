"""Settings: .env.example is valid as shipped, lists every setting, and lists are parsed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_loads_and_documents_every_setting() -> None:
    example = ROOT / ".env.example"
    settings = Settings(_env_file=example)
    assert settings.database_url == "sqlite:///paperboy.db"
    assert settings.sources == ["hf-daily", "arxiv-rss"]
    assert settings.slack_bot_token is None and settings.discord_shard_count is None
    documented = set(re.findall(r"^#?\s*PAPERBOY_(\w+)=", example.read_text(), re.MULTILINE))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_lists_and_validation() -> None:
    settings = Settings(
        _env_file=None,
        sources="hf-daily, feeds",
        feeds="https://a/x,https://b/y",
        arxiv_categories="cs.LG",
    )
    assert settings.sources == ["hf-daily", "feeds"] and settings.arxiv_categories == ["cs.LG"]
    assert settings.feeds == ["https://a/x", "https://b/y"]
    with pytest.raises(ValidationError, match="unknown sources"):
        Settings(_env_file=None, sources="myspace")
    with pytest.raises(ValidationError):
        Settings(_env_file=None, log_format="xml")
