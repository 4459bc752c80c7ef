"""`/papers why`: why a paper was (not) posted, from what storage holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.handlers import CommandContext, Handlers
from digest.clock import FixedClock
from digest.compose import Digest
from digest.models import Interest, InterestKind, Paper, Platform
from digest.outbox import Outbox
from digest.ports import SentMessage
from digest.service import DigestService
from digest.why import find_stored, unmet_filters
from storage.memory import MemoryRepository

NOW = datetime(2026, 6, 12, 7, 0, tzinfo=UTC)


class Publisher:
    async def publish(self, digest: Digest, delivery_tag: str) -> list[SentMessage]:
        return [SentMessage("m1", tuple(i.paper.key for i in digest.items))]

    async def find_sent(self, digest: Digest, delivery_tag: str) -> dict[str, str]:
        return {}


def paper(number: int, title: str, abstract: str, **extra: object) -> Paper:
    arxiv_id = f"2406.{number:05d}"
    return Paper(
        id=arxiv_id,
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract,
        sources=("arxiv-rss",),
        **extra,  # type: ignore[arg-type]
    )


PAPERS = [
    paper(1, "Diffusion Policy for Robot Arms", "A diffusion policy for robot manipulation."),
    paper(2, "Protein Folding at Scale", "Folding proteins with transformers."),
    paper(3, "Robot Diffusion Survey", "A survey of diffusion models in robotics."),
    paper(4, "Graph Neural Networks for Molecules", "Message passing on molecular graphs."),
]


@pytest.fixture
def env() -> tuple[Handlers, MemoryRepository, CommandContext]:
    repo = MemoryRepository()
    clock = FixedClock(NOW)
    handlers = Handlers(repo, DigestService(repo, clock), Outbox(repo, clock, owner="t"), clock)
    ctx = CommandContext(
        platform=Platform.SLACK,
        workspace_id="T1",
        channel_id="C1",
        user_id="U1",
        publisher=Publisher(),
    )
    repo.upsert_papers(PAPERS, NOW - timedelta(hours=2))
    return handlers, repo, ctx


async def test_a_paper_never_fetched_says_so(
    env: tuple[Handlers, MemoryRepository, CommandContext],
) -> None:
    handlers, _, ctx = env
    reply = await handlers.handle("why 2406.99999", ctx)
    assert reply.text.startswith("Not fetched")
    assert not reply.error and reply.papers == ()


async def test_below_the_threshold_names_scores_and_threshold(
    env: tuple[Handlers, MemoryRepository, CommandContext],
) -> None:
    handlers, _, ctx = env
    await handlers.handle("interests add diffusion policy robot", ctx)
    reply = await handlers.handle("why protein folding at scale", ctx)
    assert reply.text.startswith("Not posted: below the threshold")
    assert "< 0.25" in reply.text
    assert reply.papers[0].arxiv_id == "2406.00002"
    assert any(line.startswith("Fetched: ") and "arxiv-rss" in line for line in reply.lines)
    assert any(
        "Interest [query] diffusion policy robot: relevance 0.00" in line for line in reply.lines
    )
    assert "Threshold: 0.25" in reply.lines
    assert "Never sent here" in reply.lines


async def test_a_good_paper_would_be_picked_then_is_posted(
    env: tuple[Handlers, MemoryRepository, CommandContext],
) -> None:
    handlers, _, ctx = env
    await handlers.handle("interests add diffusion policy robot", ctx)
    before = await handlers.handle("why https://arxiv.org/abs/2406.00001", ctx)
    assert before.text.startswith("Not posted yet: the next digest would hold it (rank 1)")
    assert any("today's digest would hold it" in line for line in before.lines)
    posted = await handlers.handle("digest now", ctx)
    assert not posted.error, posted.text
    after = await handlers.handle("why 2406.00001", ctx)
    assert after.text.startswith("Posted: sent in the digest of Fri 12 Jun 2026 07:00 UTC")


async def test_an_exclusion_is_named_as_the_filter_that_dropped_it(
    env: tuple[Handlers, MemoryRepository, CommandContext],
) -> None:
    handlers, _, ctx = env
    await handlers.handle("interests add diffusion robot -survey", ctx)
    reply = await handlers.handle("why 2406.00003", ctx)
    assert reply.text == "Not posted: dropped by the exclusion survey."


async def test_ambiguous_title_words_ask_which_and_bad_references_are_refused(
    env: tuple[Handlers, MemoryRepository, CommandContext],
) -> None:
    handlers, _, ctx = env
    ambiguous = await handlers.handle("why diffusion robot", ctx)
    assert ambiguous.error and "several papers match" in ambiguous.text
    refused = await handlers.handle("why javascript:alert(1)", ctx)
    assert refused.error
    assert (await handlers.handle("why", ctx)).error


def test_find_stored_and_filters_are_pure() -> None:
    found, candidates = find_stored("graph neural networks for molecules", PAPERS)
    assert found is PAPERS[3] and candidates == ()
    assert find_stored("2406.00004v2", PAPERS)[0] is PAPERS[3]
    assert find_stored("nothing like it", PAPERS) == (None, ())
    by_ada = Interest(kind=InterestKind.AUTHOR, text="Ada Lovelace")
    assert unmet_filters(PAPERS[0], by_ada) == ("is not by Ada Lovelace",)
    phrase = Interest(kind=InterestKind.QUERY, text='"robot arms" cat:cs.RO')
    assert unmet_filters(PAPERS[0], phrase) == ("is not in cs.RO",)
