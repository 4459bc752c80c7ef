"""Summaries end to end: the LLM summariser against a fake OpenAI-compatible server, the
console adapter, and the `paperboy summarize` contract."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from rich.console import Console

from bot.app import build_app
from bot.console_app.repl import run_repl
from bot.settings import Settings
from digest.clock import FixedClock
from digest.models import Paper
from digest.summarise.llm import LlmSummariser
from tests.fakes.openai import fake_llm
from tests.test_cli import paperboy

PAPER = Paper(
    id="2606.00042",
    arxiv_id="2606.00042",
    uid="2606.00042",
    title="Diffusion Policies That Plan",
    abstract="Planning is hard. We propose a latent diffusion planner. It reaches "
    "85.5% success on 20 tasks, 12.3 points above the best baseline.",
)
NOW = datetime(2026, 6, 12, 8, 0, tzinfo=UTC)


async def _no_wait(seconds: float) -> None:
    return None


@pytest.mark.parametrize(
    ("script", "summariser", "calls"),
    [
        ([], "llm", 1),
        (["429"], "llm", 2),
        (["500", "500", "500"], "extractive", 3),
        (["malformed"], "extractive", 1),
        (["no-json"], "extractive", 1),
        (["slow"], "extractive", 1),
    ],
)
async def test_llm_summariser_and_its_fallback(
    script: list[str], summariser: str, calls: int
) -> None:
    async with fake_llm() as fake, httpx.AsyncClient() as client:
        fake.script = list(script)
        llm = LlmSummariser(
            client,
            base_url=fake.base_url,
            model="tiny",
            api_key="sk-test",
            timeout=0.5,
            sleep=_no_wait,
        )
        summary = await llm.summarise(PAPER)
    assert summary.summariser == summariser
    assert len(fake.requests) == calls
    request = fake.requests[0]
    assert request["model"] == "tiny" and request["max_tokens"] == 500
    assert "85.5%" in request["messages"][1]["content"]
    assert fake.headers[0]["Authorization"] == "Bearer sk-test"
    if summariser == "llm":
        assert summary.tldr == "A diffusion planner reaches 85.5% success."
        assert len(summary.points) == 3
    else:
        assert summary.note and summary.note.startswith("LLM unavailable")
        assert "85.5% success" in " ".join((summary.tldr, *summary.points))


async def test_llm_input_respects_the_token_budget() -> None:
    async with fake_llm() as fake, httpx.AsyncClient() as client:
        llm = LlmSummariser(client, base_url=fake.base_url, model="tiny", input_budget_tokens=100)
        long = PAPER.replace(abstract="word " * 5000)
        await llm.summarise(long)
    assert len(fake.requests[0]["messages"][1]["content"]) <= 400


async def test_summary_command_through_the_console_with_an_llm(tmp_path: Path) -> None:
    async with fake_llm() as fake:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{tmp_path / 'c.db'}",
            embedder="none",
            llm_base_url=fake.base_url,
            llm_model="tiny",
            llm_api_key=SecretStr("sk-test"),
            full_text=False,
            hf_base_url=fake.base_url,
            arxiv_api_url=fake.base_url + "/none",
        )
        out = io.StringIO()
        async with build_app(settings, clock=FixedClock(NOW)) as app:
            app.repository.upsert_papers([PAPER], NOW)
            lines = iter(
                [
                    "/papers summary https://arxiv.org/abs/2606.00042v2",
                    "/papers summary 2606.00042",
                    "/papers summary http://10.0.0.1/x",
                    "quit",
                ]
            )

            async def read_line(prompt: str) -> str | None:
                return next(lines, None)

            await run_repl(app.handlers, Console(file=out, width=200), read_line=read_line)
            cached = app.repository.get_summary(PAPER.key, "llm")
    text = out.getvalue()
    assert text.count("TL;DR: A diffusion planner reaches 85.5% success.") == 2
    assert len(fake.requests) == 1  # the second answer came from the cache
    assert cached is not None
    assert "links to IP addresses are refused" in text


def test_summarize_cli_contract(tmp_path: Path) -> None:
    papers = tmp_path / "papers.jsonl"
    papers.write_text(
        json.dumps({"id": PAPER.id, "title": PAPER.title, "abstract": PAPER.abstract}) + "\n"
    )
    env = {"PAPERBOY_FULL_TEXT": "false"}
    result = paperboy(
        "summarize", "2606.00042v1", "--papers", str(papers), "--json", cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["id", "title", "tldr", "points", "summariser", "url"]
    assert data["id"] == "2606.00042" and data["summariser"] == "extractive"
    assert data["tldr"] == "We propose a latent diffusion planner."
    assert data["url"] == "https://arxiv.org/abs/2606.00042"
    for reference in (
        "https://arxiv.org@evil.example/abs/1",
        "gopher://arxiv.org/x",
        "http://169.254.169.254/latest",
    ):
        refused = paperboy("summarize", reference, "--json", cwd=tmp_path, env=env)
        assert refused.returncode != 0 and refused.stdout == ""
        assert len(refused.stderr.strip().splitlines()) == 1
        assert "Traceback" not in refused.stderr
    unknown = paperboy(
        "summarize", "10.1000/nothing", "--papers", str(papers), "--json", cwd=tmp_path, env=env
    )
    assert unknown.returncode != 0 and "doi.org" in unknown.stderr
