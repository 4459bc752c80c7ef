"""Reactions as votes: a 👍/👎 on a message that shows one paper is a vote on that paper."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from digest.clock import FixedClock
from digest.models import Channel, DigestRun, Platform
from digest.ports import Settlement
from digest.reactions import ReactionOutcome, ReactionResult, ReactionVotes, vote_of
from storage.memory import MemoryRepository

T0 = datetime(2026, 6, 12, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("emoji", "vote"),
    [
        ("+1", 1),
        ("thumbsup", 1),
        (":+1:", 1),
        ("+1::skin-tone-4", 1),
        ("👍", 1),
        ("👍🏽", 1),
        ("-1", -1),
        ("thumbsdown", -1),
        ("👎🏿", -1),
        ("heart", None),
        ("🎉", None),
        ("", None),
        ("+1+1", None),
    ],
)
def test_which_emoji_are_votes(emoji: str, vote: int | None) -> None:
    assert vote_of(emoji) == vote


@pytest.fixture
def repo() -> MemoryRepository:
    return MemoryRepository()


def posted(repo: MemoryRepository, messages: dict[str, tuple[str, ...]]) -> Channel:
    """A digest posted to Slack channel C1 as the given messages (id -> paper keys)."""
    channel = repo.ensure_channel(Platform.SLACK, "T1", "C1")
    assert channel.id is not None
    run = repo.start_run(DigestRun(channel_id=channel.id, started_at=T0))
    assert run.id is not None
    repo.record_deliveries(channel.id, run.id, [k for keys in messages.values() for k in keys])
    placed = tuple((key, message) for message, keys in messages.items() for key in keys)
    repo.settle_runs([Settlement(run.id, "sent", len(placed), None, placed)])
    return channel


def react(
    votes: ReactionVotes, message: str, emoji: str, *, added: bool = True, user: str = "U1"
) -> ReactionResult:
    return votes.react(
        platform=Platform.SLACK,
        workspace_id="T1",
        channel_id="C1",
        message_id=message,
        user_id=user,
        emoji=emoji,
        added=added,
    )


def votes_of(repo: MemoryRepository, channel: Channel) -> list[tuple[str, str, int]]:
    assert channel.id is not None
    return sorted((f.user_id, f.paper_key, f.value) for f in repo.list_feedback(channel.id))


def test_a_reaction_on_a_one_paper_message_votes_and_taking_it_back_unvotes(
    repo: MemoryRepository,
) -> None:
    channel = posted(repo, {"1.1": ("p1",), "1.2": ("p2",)})
    votes = ReactionVotes(repo, FixedClock(T0))
    result = react(votes, "1.2", "+1")
    assert (result.outcome, result.paper_key) == (ReactionOutcome.VOTED, "p2")
    assert result.channel is not None and result.channel.id == channel.id
    react(votes, "1.1", "thumbsdown", user="U2")
    assert votes_of(repo, channel) == [("U1", "p2", 1), ("U2", "p1", -1)]
    assert react(votes, "1.2", "+1", added=False).outcome is ReactionOutcome.RETRACTED
    assert votes_of(repo, channel) == [("U2", "p1", -1)]


def test_the_last_reaction_counts_and_removing_an_older_one_keeps_it(
    repo: MemoryRepository,
) -> None:
    channel = posted(repo, {"1.1": ("p1",)})
    votes = ReactionVotes(repo, FixedClock(T0))
    react(votes, "1.1", "+1")
    react(votes, "1.1", "-1")
    assert react(votes, "1.1", "+1", added=False).outcome is ReactionOutcome.UNCHANGED
    assert votes_of(repo, channel) == [("U1", "p1", -1)]


def test_reactions_that_cannot_be_votes_change_nothing(repo: MemoryRepository) -> None:
    channel = posted(repo, {"1.1": ("p1", "p2"), "1.2": ("p3",)})
    votes = ReactionVotes(repo, FixedClock(T0))
    assert react(votes, "1.1", "+1").outcome is ReactionOutcome.AMBIGUOUS
    assert react(votes, "1.2", "tada").outcome is ReactionOutcome.NOT_A_VOTE
    assert react(votes, "9.9", "+1").outcome is ReactionOutcome.NOT_OURS
    elsewhere = votes.react(
        platform=Platform.SLACK,
        workspace_id="T1",
        channel_id="C2",  # the same ts in another channel is not our message
        message_id="1.2",
        user_id="U1",
        emoji="+1",
        added=True,
    )
    assert elsewhere.outcome is ReactionOutcome.NOT_OURS
    assert votes_of(repo, channel) == []
