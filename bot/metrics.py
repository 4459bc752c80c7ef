"""paperboy's Prometheus metrics (served at /metrics by bot/ops.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram

from digest.outbox import Outcome, SendResult

__all__ = ["Metrics"]


@dataclass
class Metrics:
    """paperboy's Prometheus metrics, on a registry of their own."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.digests_sent = Counter(
            "paperboy_digests_sent", "Digests delivered", ["platform"], registry=r
        )
        self.deliveries_failed = Counter(
            "paperboy_deliveries_failed",
            "Digest deliveries that failed",
            ["platform", "reason"],
            registry=r,
        )
        self.source_fetch = Histogram(
            "paperboy_source_fetch_seconds", "Source fetch time", ["source"], registry=r
        )
        self.source_errors = Counter(
            "paperboy_source_errors", "Failed source fetches", ["source"], registry=r
        )
        self.ranking = Histogram(
            "paperboy_ranking_seconds", "Composing one channel's digest", registry=r
        )
        self.command_latency = Histogram(
            "paperboy_command_seconds",
            "Slash-command handling",
            ["platform", "command"],
            registry=r,
        )

    def observe_delivery(self, result: SendResult) -> None:
        if result.outcome is Outcome.SENT:
            self.digests_sent.labels(result.platform).inc()
        else:  # refusals carry the platform's error; retries the exception's type
            reason = (result.reason or str(result.outcome))[:60]
            self.deliveries_failed.labels(result.platform, reason).inc()

    def observe_command(self, platform: str, command: str, seconds: float) -> None:
        self.command_latency.labels(platform, command).observe(seconds)

    def observe_source(self, source: str, seconds: float, failed: bool) -> None:
        self.source_fetch.labels(source).observe(seconds)
        if failed:
            self.source_errors.labels(source).inc()
