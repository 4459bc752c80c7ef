"""Emoji reactions as votes, for every platform.

A 👍 or 👎 on one of our digest messages that shows exactly one paper is a vote on that paper,
the same as its buttons (one vote per person and paper; the last one counts). Taking the
reaction back takes the vote back, unless the person has since voted the other way. A reaction
on a message that shows several papers cannot say which paper it means: it changes nothing, and
the platform adapter may tell the person how to vote instead.
"""

from __future__ import annotations

import enum
import logging
import re
from dataclasses import dataclass
from typing import Protocol

from digest.models import Channel, Platform
from digest.ports import Clock, DeliveryRepository, Feedback, FeedbackRepository

__all__ = ["ReactionOutcome", "ReactionResult", "ReactionVotes", "vote_of"]

log = logging.getLogger(__name__)
# Slack names its emoji; Discord sends the characters. Both have a thumb for each direction.
_VOTES = {"+1": 1, "thumbsup": 1, "👍": 1, "-1": -1, "thumbsdown": -1, "👎": -1}
# Skin tones: Slack appends "::skin-tone-N"; Discord appends a modifier character.
_SKIN_TONE = re.compile(r"(::skin-tone-\d)$|[\U0001f3fb-\U0001f3ff]|\ufe0f")


def vote_of(emoji: str) -> int | None:
    """+1, -1, or None for an emoji that is not a vote."""
    return _VOTES.get(_SKIN_TONE.sub("", emoji.strip().strip(":")))


class ReactionOutcome(enum.StrEnum):
    VOTED = "voted"
    RETRACTED = "retracted"
    UNCHANGED = "unchanged"  # a removed reaction whose vote had already changed
    NOT_A_VOTE = "not_a_vote"  # another emoji
    NOT_OURS = "not_ours"  # not a digest message of ours (or one without papers)
    AMBIGUOUS = "ambiguous"  # a message that shows several papers


@dataclass(frozen=True, slots=True)
class ReactionResult:
    outcome: ReactionOutcome
    channel: Channel | None = None
    paper_key: str | None = None


class _Store(DeliveryRepository, FeedbackRepository, Protocol):
    """What reactions need of the repository."""


class ReactionVotes:
    def __init__(self, repository: _Store, clock: Clock) -> None:
        self._repository = repository
        self._clock = clock

    def react(
        self,
        *,
        platform: Platform,
        workspace_id: str | None,
        message_id: str,
        user_id: str,
        emoji: str,
        added: bool,
        channel_id: str | None = None,
    ) -> ReactionResult:
        """Record (``added``) or take back a reaction's vote."""
        value = vote_of(emoji)
        if value is None:
            return ReactionResult(ReactionOutcome.NOT_A_VOTE)
        found = self._repository.find_message(
            platform, workspace_id, message_id, channel_id=channel_id
        )
        if found is None or not found.paper_keys:
            return ReactionResult(ReactionOutcome.NOT_OURS)
        channel = found.channel
        assert channel.id is not None
        if len(found.paper_keys) > 1:
            return ReactionResult(ReactionOutcome.AMBIGUOUS, channel)
        key = found.paper_keys[0]
        fields = {"channel": channel.address, "paper": key, "user": user_id, "vote": value}
        if added:
            self._repository.record_feedback(
                Feedback(
                    channel_id=channel.id,
                    paper_key=key,
                    user_id=user_id,
                    value=value,
                    at=self._clock.now(),
                )
            )
            log.info("reaction vote recorded", extra=fields)
            return ReactionResult(ReactionOutcome.VOTED, channel, key)
        if self._repository.retract_feedback(channel.id, key, user_id, value):
            log.info("reaction vote taken back", extra=fields)
            return ReactionResult(ReactionOutcome.RETRACTED, channel, key)
        return ReactionResult(ReactionOutcome.UNCHANGED, channel, key)
