"""A local fake of an OpenAI-compatible chat-completions server (what vLLM, Ollama and
llama.cpp's server also speak), with scripted slow, 429 and malformed answers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes import serve

__all__ = ["FakeLlm", "fake_llm"]


@dataclass
class FakeLlm:
    base_url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    # Each entry: "ok", "slow", "429", "500", "malformed", "no-json"; then "ok" forever.
    script: list[str] = field(default_factory=list)
    answer: dict[str, Any] = field(
        default_factory=lambda: {
            "tldr": "A diffusion planner reaches 85.5% success.",
            "points": [
                "Problem: long horizons.",
                "Method: latent diffusion.",
                "Result: 85.5% success on 20 tasks.",
            ],
        }
    )

    async def _chat(self, request: web.Request) -> web.Response:
        self.requests.append(await request.json())
        self.headers.append(dict(request.headers))
        mode = self.script.pop(0) if self.script else "ok"
        if mode == "slow":
            await asyncio.sleep(5)
        if mode == "429":
            return web.json_response(
                {"error": {"message": "rate limited"}}, status=429, headers={"Retry-After": "0"}
            )
        if mode == "500":
            return web.json_response({"error": {"message": "boom"}}, status=500)
        content = json.dumps(self.answer)
        if mode == "malformed":
            content = '{"tldr": "cut off'
        if mode == "no-json":
            content = "Sure! Here is a summary without any JSON."
        return web.json_response(
            {
                "id": "x",
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
            }
        )


@asynccontextmanager
async def fake_llm() -> AsyncIterator[FakeLlm]:
    fake = FakeLlm()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake._chat)
    runner, base_url = await serve(app)
    fake.base_url = f"{base_url}/v1"
    try:
        yield fake
    finally:
        await runner.cleanup()
