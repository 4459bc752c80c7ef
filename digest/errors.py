"""Errors the core raises on purpose; each carries a message fit to show a person."""

from __future__ import annotations

__all__ = ["DeliveryRefused", "PaperboyError", "SourceError", "UsageError"]


class PaperboyError(Exception):
    """Base of every error paperboy raises deliberately."""


class SourceError(PaperboyError):
    """A source could not be fetched or its payload could not be read.

    Always names the source, so a log line or a digest footer can say which one failed.
    """

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.reason = message


class UsageError(PaperboyError):
    """A command or argument a person typed is not valid; the message says the right usage."""


class DeliveryRefused(PaperboyError):
    """The platform will not take messages for this channel until a person acts (the bot was
    removed, the channel archived, the token revoked). Retrying cannot help: the channel's
    deliveries pause with ``reason`` until someone runs ``/papers resume``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
