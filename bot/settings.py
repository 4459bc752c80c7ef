"""Settings, read once at the edge from the environment (prefix ``PAPERBOY_``) and ``.env``."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings"]

_SOURCES = {"hf-daily", "arxiv-rss", "arxiv-api", "feeds"}


def _csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PAPERBOY_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # A value left empty (as in .env.example) means "use the default".
        env_ignore_empty=True,
    )

    database_url: str = "sqlite:///paperboy.db"
    log_level: str = "INFO"
    # auto: JSON lines when stderr is not a terminal, readable text when it is.
    log_format: str = Field(default="auto", pattern="^(auto|json|text)$")
    # Also write the log to this file. The console REPL (`paperboy run` with no platform)
    # logs only to a file, this one or ./paperboy.log, so its prompt and replies stay clean.
    log_file: Path | None = None
    http_port: int = 8080
    # The control panel (/panel/ on http_port): the address people reach it at, used in the
    # links `/papers panel` gives (https makes its cookies Secure), and the key that signs
    # them (generated and stored in the database on first start when unset).
    public_url: str | None = None
    panel_secret: SecretStr | None = Field(default=None, min_length=16)

    # Sources: which to fetch, and for arXiv which categories.
    sources: Annotated[list[str], NoDecode] = ["hf-daily", "arxiv-rss"]
    arxiv_categories: Annotated[list[str], NoDecode] = [
        "cs.LG",
        "cs.AI",
        "cs.CL",
        "cs.CV",
        "cs.RO",
        "stat.ML",
    ]
    feeds: Annotated[list[str], NoDecode] = []
    hf_base_url: str = "https://huggingface.co"
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_feed_url: str = "https://rss.arxiv.org"
    http_timeout: float = 30.0
    # Where `paperboy demo` falls back to when the network does not answer.
    listings_dir: Path | None = None

    # Ranking: "auto" uses the embedding model when installed (else lexical), "minilm"
    # requires it, "none" ranks lexically.
    embedder: str = Field(default="auto", pattern="^(auto|minilm|hashing|none)$")
    # MiniLM's arithmetic: "auto" is bf16 on CPUs with AMX, else int8. Stored vectors are
    # named by it, so replicas on different CPUs sharing a database should name one.
    embedder_precision: str = Field(default="auto", pattern="^(auto|int8|bf16|fp32)$")
    # The model runs in a worker process that stops after this many idle seconds, so an idle
    # bot stays small (the model is needed only to ingest and to rank); 0 keeps it loaded in
    # the main process instead.
    embedder_idle_seconds: float = Field(default=300.0, ge=0)

    # Delivery. How many channels one process sends to at the same time (each channel's
    # messages are paced to its platform's rate limit, so this can be high).
    fanout_concurrency: int = Field(default=200, ge=1, le=5000)
    # This process's name in the outbox: unique per replica, stable across its restarts
    # (a restarted replica takes back what it held at once; others wait out the lease).
    replica_id: str = Field(default_factory=socket.gethostname, min_length=1, max_length=200)
    # How long a sender's claim on a digest lasts without renewal (it renews every third):
    # the time another replica waits before taking over from a dead one.
    delivery_lease_seconds: float = Field(default=40.0, ge=1, le=3600)

    # Defaults for new channels.
    default_timezone: str = "UTC"
    digest_size: int = Field(default=8, ge=1, le=25)

    # Instant alerts (`/papers follow ... --instant`): at most this many per channel and day;
    # past it, matching papers wait for the next digest.
    alerts_per_day: int = Field(default=10, ge=0, le=100)
    # Where the console writes trends pictures (default: paperboy-charts in the temp dir).
    charts_dir: Path | None = None

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"

    # Discord
    discord_token: SecretStr | None = None
    discord_application_id: str | None = None
    discord_api_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str | None = None
    # Run several processes for a large bot: each takes some shards of the total.
    discord_shard_count: int | None = None
    discord_shard_ids: Annotated[list[int], NoDecode] = []

    # Summaries: full text from arXiv's HTML rendering when available (bounded), and an
    # optional LLM summariser (any OpenAI-compatible chat-completions API).
    arxiv_html_url: str = "https://arxiv.org/html"
    full_text: bool = True
    full_text_chars: int = Field(default=40_000, ge=1000, le=500_000)
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(default=30.0, gt=0, le=300)

    _split_lists = field_validator(
        "sources", "arxiv_categories", "feeds", "discord_shard_ids", mode="before"
    )(_csv)

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - _SOURCES)
        if unknown:
            raise ValueError(f"unknown sources {unknown}; choose from {sorted(_SOURCES)}")
        return value

    @property
    def panel_url(self) -> str:
        return (self.public_url or f"http://localhost:{self.http_port}").rstrip("/")

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None or self.slack_client_id is not None

    @property
    def discord_enabled(self) -> bool:
        return self.discord_token is not None
