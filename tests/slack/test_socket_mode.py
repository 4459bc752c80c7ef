"""Socket Mode: the real Bolt Socket Mode handler against the fake Slack's WebSocket."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import build_app
from bot.settings import Settings
from bot.slack_app.app import build_slack_app
from digest.models import Platform
from tests.fakes.slack import fake_slack
from tests.slack.conftest import SECRET, wait_until


async def test_slash_command_over_socket_mode(tmp_path: Path) -> None:
    async with fake_slack() as fake:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{tmp_path / 's.db'}",
            embedder="none",
            slack_signing_secret=SecretStr(SECRET),
            slack_bot_token=SecretStr("xoxb-socket"),
            slack_app_token=SecretStr("xapp-socket"),
            slack_api_url=fake.api_url,
            hf_base_url=fake.base_url,
        )
        async with build_app(settings) as paperboy:
            side = build_slack_app(settings, paperboy)
            handler = AsyncSocketModeHandler(side.app, "xapp-socket")
            await handler.connect_async()
            try:
                await fake.socket_outbox.put(
                    {
                        "envelope_id": "env-1",
                        "type": "slash_commands",
                        "accepts_response_payload": True,
                        "payload": {
                            "team_id": "T1",
                            "channel_id": "C1",
                            "user_id": "U1",
                            "command": "/papers",
                            "text": "interests add bandits",
                            "response_url": fake.response_url(),
                            "trigger_id": "t",
                            "api_app_id": "A1",
                        },
                    }
                )
                await wait_until(lambda: fake.responses and fake.socket_acks)
            finally:
                await handler.close_async()
                await side.close()
        assert fake.called("apps.connections.open")[0].token == "xapp-socket"
        assert fake.socket_acks[0]["envelope_id"] == "env-1"
        assert "bandits" in fake.responses[0]["text"]
        channel = paperboy.repository.ensure_channel(Platform.SLACK, "T1", "C1")
        assert channel.id is not None
        assert [i.text for i in paperboy.repository.list_interests(channel.id)] == ["bandits"]
