"""`paperboy discord sync` registers the command group, against the fake Discord."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.fakes.discord import APP_ID, GUILD_ID, fake_discord


async def test_sync_to_a_guild(tmp_path: Path) -> None:
    async with fake_discord() as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOY_")}
        env.update(
            {
                "PAPERBOY_DISCORD_TOKEN": "bot-token",
                "PAPERBOY_DISCORD_APPLICATION_ID": APP_ID,
                "PAPERBOY_DISCORD_API_URL": fake.api_url,
                "PAPERBOY_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}",
            }
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "discord",
            "sync",
            "--guild",
            GUILD_ID,
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, stderr.decode()
    assert f"server {GUILD_ID}" in stdout.decode()
    (put,) = fake.routes(f"PUT /applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    (group,) = put.body
    assert group["name"] == "papers"
    names = {o["name"] for o in group["options"]}
    assert {"interests", "digest", "summary", "schedule", "status"} <= names
