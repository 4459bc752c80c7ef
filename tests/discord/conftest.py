"""The Discord harness fixture (defined beside the base tests) for every Discord test file."""

from tests.discord.test_discord_bot import bot  # noqa: F401 (a fixture)
