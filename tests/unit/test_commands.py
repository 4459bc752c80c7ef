"""The shared `/papers` grammar and handlers."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands import COMMANDS, parse_command
from bot.handlers import CommandContext, Handlers
from digest.clock import FixedClock
from digest.compose import Digest
from digest.errors import UsageError
from digest.models import InterestKind, Paper, Platform
from digest.outbox import Outbox
from digest.ports import SentMessage
from digest.ranking.ranker import HybridRanker
from digest.service import DigestService
from storage.memory import MemoryRepository

NOW = datetime(2026, 6, 12, 7, 0, tzinfo=UTC)  # a Friday


class Publisher:
    def __init__(self) -> None:
        self.sent: list[Digest] = []

    async def publish(self, digest: Digest, delivery_tag: str) -> list[SentMessage]:
        self.sent.append(digest)
        return [SentMessage("m1", tuple(i.paper.key for i in digest.items))]


@pytest.fixture
def env() -> tuple[Handlers, MemoryRepository, CommandContext, Publisher]:
    repo = MemoryRepository()
    clock = FixedClock(NOW)
    handlers = Handlers(repo, DigestService(repo, clock), Outbox(repo, clock, owner="t"), clock)
    publisher = Publisher()
    ctx = CommandContext(
        platform=Platform.SLACK,
        workspace_id="T1",
        channel_id="C1",
        user_id="U1",
        publisher=publisher,
    )
    repo.upsert_papers(
        [
            Paper(
                id="2401.00001",
                arxiv_id="2401.00001",
                title="Diffusion Policy for Robots",
                abstract="We learn a diffusion policy from 50 demonstrations.",
                authors=("Ada Lovelace",),
                categories=("cs.RO",),
            ),
            Paper(
                id="2401.00002",
                arxiv_id="2401.00002",
                title="Protein Folding at Scale",
                abstract="Folding proteins with transformers.",
                categories=("q-bio.BM",),
            ),
        ],
        NOW,
    )
    return handlers, repo, ctx, publisher


def interests(repo: MemoryRepository) -> list[tuple[str, str, float]]:
    channel = repo.ensure_channel(Platform.SLACK, "T1", "C1")
    assert channel.id is not None
    return [(i.kind.value, i.text, i.weight) for i in repo.list_interests(channel.id)]


async def test_interest_lifecycle(
    env: tuple[Handlers, MemoryRepository, CommandContext, Publisher],
) -> None:
    handlers, repo, ctx, _ = env
    reply = await handlers.handle('interests add "diffusion policy" -survey --weight 2', ctx)
    assert not reply.error and "weight 2" in reply.text
    await handlers.handle('follow author:"Ada Lovelace"', ctx)
    await handlers.handle("category cs.RO", ctx)
    assert interests(repo) == [
        ("query", '"diffusion policy" -survey', 2.0),
        ("author", "Ada Lovelace", 1.0),
        ("category", "cs.RO", 1.0),
    ]
    listed = await handlers.handle("interests list", ctx)
    assert listed.lines[0].startswith("1. [query]")
    await handlers.handle("interests remove 2", ctx)
    await handlers.handle("interests remove cs.RO", ctx)
    assert [t for _, t, _ in interests(repo)] == ['"diffusion policy" -survey']
    ask = await handlers.handle("interests clear", ctx)
    assert ask.confirm_command == "interests clear --yes"
    assert len(interests(repo)) == 1  # asking changed nothing
    await handlers.handle("interests clear --yes", ctx)
    assert interests(repo) == []


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("frobnicate", "unknown command `frobnicate`"),
        ("interests", "needs add, remove, weight, list or clear"),
        ("interests add", "missing the interest text"),
        ('interests add "unclosed', "unclosed quote"),
        ("interests add rl --weight lots", "is not a number"),
        ("interests add rl --weight 99", "at most 10"),
        ("interests add like:notanid", "like:"),
        ("interests remove 7", "no interest number 7"),
        ("schedule 25:00", "Usage: /papers schedule"),
        ("schedule 09:00 Mars/Olympus", "unknown time zone"),
        ("schedule 09:00 weekly", "needs a day"),
        ("size 0", "from 1 to 25"),
        ("size many", "from 1 to 25"),
        ("threshold 2", "from 0 to 1"),
        ("threshold -0.1", "from 0 to 1"),
        ("threshold nan", "from 0 to 1"),
        ("threshold", "from 0 to 1"),
        ("quiet maybe", "`say` (post a short note) or `silent`"),
        ("category not a category", "not an arXiv category"),
        ("follow", "name the author"),
        ("pause now please", "takes no argument"),
        ("boost stars on", "name a boost (upvotes, recency, code)"),
        ("boost code maybe", "say on or off"),
        ("layout diagonal", "say grouped (several papers per message) or single"),
        ("x" * 2000, "too long"),
    ],
)
async def test_bad_input_gets_a_specific_error_and_changes_nothing(
    env: tuple[Handlers, MemoryRepository, CommandContext, Publisher], text: str, needle: str
) -> None:
    handlers, repo, ctx, _ = env
    before_channel = repo.ensure_channel(Platform.SLACK, "T1", "C1")
    before = interests(repo)
    reply = await handlers.handle(text, ctx)
    assert reply.error and reply.ephemeral
    assert needle in reply.text
    assert interests(repo) == before
    assert repo.ensure_channel(Platform.SLACK, "T1", "C1") == before_channel


async def test_schedule_size_pause_resume_settings(
    env: tuple[Handlers, MemoryRepository, CommandContext, Publisher],
) -> None:
    handlers, repo, ctx, _ = env
    reply = await handlers.handle("schedule 7:30 Europe/Berlin weekly monday", ctx)
    assert "Next: Mon 15 Jun 07:30 CEST" in reply.text
    channel = repo.ensure_channel(Platform.SLACK, "T1", "C1")
    assert (channel.schedule.time, channel.schedule.timezone, channel.schedule.days) == (
        "07:30",
        "Europe/Berlin",
        ("mon",),
    )
    await handlers.handle("size 3", ctx)
    await handlers.handle("pause", ctx)
    channel = repo.ensure_channel(Platform.SLACK, "T1", "C1")
    assert channel.digest_size == 3 and channel.paused
    settings_reply = await handlers.handle("settings", ctx)
    assert any("paused" in line for line in settings_reply.lines)
    await handlers.handle("resume", ctx)
    assert not repo.ensure_channel(Platform.SLACK, "T1", "C1").paused


async def test_adding_an_interest_says_what_it_would_have_picked(
    env: tuple[Handlers, MemoryRepository, CommandContext, Publisher],
) -> None:
    handlers, repo, ctx, publisher = env
    hit = await handlers.handle("interests add diffusion policy", ctx)
    assert hit.text == (
        "Added query interest “diffusion policy”. Of the last 3 days' 2 papers, it would have "
        "picked 1, e.g. “Diffusion Policy for Robots”."
    )
    weak = await handlers.handle("interests add quantum annealing", ctx)
    assert weak.text == (
        "Added query interest “quantum annealing”. Of the last 3 days' 2 papers, none is relevant "
        "enough for this channel's threshold (0.25): a broader interest would catch more."
    )
    # When a filter is why nothing passes, the reply names it.
    author = await handlers.handle("follow author:Grace Hopper", ctx)
    assert author.text.endswith("Of the last 3 days' 2 papers, none is by Grace Hopper.")
    filters = await handlers.handle('interests add "robot hands" cat:cs.LG policy', ctx)
    assert filters.text.endswith(
        "Of the last 3 days' 2 papers, none is in cs.LG; none contains “robot hands”."
    )
    assert len(interests(repo)) == 4 and publisher.sent == []  # stored; nothing posted


async def test_a_like_interest_brings_papers_resembling_a_stored_paper(
    env: tuple[Handlers, MemoryRepository, CommandContext, Publisher],
) -> None:
    handlers, repo, ctx, _ = env
    repo.upsert_papers(
        [
            Paper(
                id="2401.00003",
                arxiv_id="2401.00003",
                title="Visuomotor Diffusion Policies",
                abstract="Diffusion policies for robots, learned from demonstrations.",
            )
        ],
        NOW,
    )
    added = await handlers.handle("interests add like:2401.00001v1", ctx)
    assert "it would have picked 1, e.g. “Visuomotor Diffusion Policies”" in added.text
    preview = await handlers.handle("preview", ctx)
    assert preview.digest is not None
    assert [(i.paper.id, i.why) for i in preview.digest.items] == [
        ("2401.00003", "similar to “Diffusion Policy for Robots”")
    ]


class BrokenEmbedder:
    """An embedder whose model fails (a worker that died, say)."""

    name = "broken"
    dim = 4

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        raise RuntimeError("the model worker died")


async def test_an_interest_is_added_even_when_trying_it_fails(
    env: tuple[Handlers, MemoryRepository, CommandContext, Publisher],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, repo, ctx, _ = env
    clock = FixedClock(NOW)
    digests = DigestService(repo, clock, ranker=HybridRanker(BrokenEmbedder()))
    handlers = Handlers(repo, digests, Outbox(repo, clock, owner="t"), clock)
    reply = await handlers.handle("interests add diffusion policy", ctx)
    assert reply.text == "Added query interest “diffusion policy”." and not reply.error
    assert interests(repo) == [("query", "diffusion policy", 1.0)]
    assert "could not try a new interest" in caplog.text


async def test_threshold_and_quiet_days_are_set_by_command(
    env: tuple[Handlers, MemoryRepository, CommandContext, Publisher],
) -> None:
    handlers, repo, ctx, publisher = env
    await handlers.handle("interests add diffusion policy", ctx)
    assert (await handlers.handle("preview", ctx)).digest.items  # type: ignore[union-attr]
    reply = await handlers.handle("threshold 1", ctx)
    assert reply.text == "Digests now leave out papers below 1 relevance (it was 0.25)."
    assert not reply.ephemeral  # a change everyone in the channel should know about
    assert repo.ensure_channel(Platform.SLACK, "T1", "C1").min_score == 1.0
    strict = await handlers.handle("preview", ctx)
    assert strict.digest is not None and not strict.digest.items  # nothing is that relevant
    await handlers.handle("threshold 40%", ctx)
    assert repo.ensure_channel(Platform.SLACK, "T1", "C1").min_score == 0.4
    assert (await handlers.handle("quiet silent", ctx)).text == (
        "When nothing new matches, nothing is posted."
    )
    assert not repo.ensure_channel(Platform.SLACK, "T1", "C1").quiet_day_message
    lines = (await handlers.handle("settings", ctx)).lines
    assert "Minimum relevance: 0.4 (papers below it are left out)" in lines
    assert "Quiet days: post nothing" in lines
    await handlers.handle("quiet say", ctx)
    assert repo.ensure_channel(Platform.SLACK, "T1", "C1").quiet_day_message
    assert publisher.sent == []


async def test_digest_now_and_preview(
    env: tuple[Handlers, MemoryRepository, CommandContext, Publisher],
) -> None:
    handlers, _, ctx, publisher = env
    await handlers.handle("interests add diffusion policy", ctx)
    preview = await handlers.handle("preview", ctx)
    assert preview.ephemeral and preview.digest is not None
    assert [i.paper.id for i in preview.digest.items] == ["2401.00001"]
    assert publisher.sent == []  # a preview posts nothing
    posted = await handlers.handle("digest now", ctx)
    assert posted.text == "Posted a digest of 1 papers."
    assert [i.paper.id for i in publisher.sent[0].items] == ["2401.00001"]
    again = await handlers.handle("digest now", ctx)
    assert "No new papers matched" in again.text and len(publisher.sent) == 1


async def test_search_summary_status(
    env: tuple[Handlers, MemoryRepository, CommandContext, Publisher],
) -> None:
    handlers, _, ctx, _ = env
    found = await handlers.handle("search protein folding", ctx)
    assert [p.id for p in found.papers] == ["2401.00002"]
    summary = await handlers.handle("summary https://arxiv.org/abs/2401.00001v2", ctx)
    assert summary.text == "Diffusion Policy for Robots"
    assert "50 demonstrations" in summary.lines[0]
    missing = await handlers.handle("summary 2499.99999", ctx)
    assert missing.error
    status = await handlers.handle("status", ctx)
    assert any(line.startswith("Next digest: Fri 12 Jun 09:00 UTC") for line in status.lines)
    assert any("Papers stored: 2" in line for line in status.lines)


async def test_restricted_workspace_lets_only_managers_change_settings(
    env: tuple[Handlers, MemoryRepository, CommandContext, Publisher],
) -> None:
    handlers, repo, ctx, _ = env
    workspace = repo.ensure_workspace(Platform.SLACK, "T1")
    repo.save_workspace(dataclasses.replace(workspace, restrict_settings=True))
    refused = await handlers.handle("interests add rl", ctx)
    assert refused.error and "only channel managers" in refused.text
    assert interests(repo) == []
    assert not (await handlers.handle("interests list", ctx)).error  # reading stays open
    manager = dataclasses.replace(ctx, is_manager=True)
    assert not (await handlers.handle("interests add rl", manager)).error
    assert interests(repo) == [("query", "rl", 1.0)]


async def test_help_lists_every_command(
    env: tuple[Handlers, MemoryRepository, CommandContext, Publisher],
) -> None:
    handlers, _, ctx, _ = env
    reply = await handlers.handle("help", ctx)
    assert len(reply.lines) == len(COMMANDS)
    assert (await handlers.handle("", ctx)).text == reply.text


def test_every_command_parses_its_own_example() -> None:
    examples = {
        "interests add": "interests add rl",
        "interests remove": "interests remove 1",
        "interests weight": "interests weight 1 2.5",
        "follow": "follow author:Sutton",
        "category": "category cs.LG",
        "schedule": "schedule 09:00",
        "size": "size 5",
        "threshold": "threshold 0.4",
        "quiet": "quiet silent",
        "threads": "threads on",
        "boost": "boost code off",
        "layout": "layout single",
        "search": "search rl",
        "summary": "summary 2401.00001",
        "why": "why 2401.00001",
    }
    for spec in COMMANDS:
        command = parse_command("/papers " + examples.get(spec.name, spec.name))
        assert command.name == spec.name


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_no_text_crashes_the_grammar(text: str) -> None:
    try:
        parse_command(text)
    except UsageError as exc:
        assert str(exc)


def test_interest_kinds_are_stable() -> None:
    assert {k.value for k in InterestKind} == {"query", "author", "category", "seed", "exclusion"}


async def test_layout_is_set_per_channel_and_shown_in_settings(
    env: tuple[Handlers, MemoryRepository, CommandContext, Publisher],
) -> None:
    handlers, repo, ctx, _ = env
    shown = await handlers.handle("settings", ctx)
    assert "Layout: several papers per message (vote with the buttons)" in shown.lines
    reply = await handlers.handle("layout SINGLE", ctx)
    assert not reply.error and "one message per paper" in reply.text
    assert repo.ensure_channel(Platform.SLACK, "T1", "C1").layout == "single"
    shown = await handlers.handle("settings", ctx)
    assert any(line.startswith("Layout: one message per paper") for line in shown.lines)
    await handlers.handle("layout grouped", ctx)
    assert repo.ensure_channel(Platform.SLACK, "T1", "C1").layout == "grouped"


async def test_boosts_are_switched_per_channel_and_change_the_ranking(
    env: tuple[Handlers, MemoryRepository, CommandContext, Publisher],
) -> None:
    handlers, repo, ctx, _ = env
    repo.upsert_papers(
        [
            Paper(
                id="2401.00003",
                arxiv_id="2401.00003",
                title="Diffusion Policy with Code",
                abstract="We learn a diffusion policy from 50 demonstrations.",
                code_url="https://github.com/example/dp",
            )
        ],
        NOW,
    )
    await handlers.handle("interests add diffusion policy", ctx)

    async def scores() -> dict[str, float]:
        preview = await handlers.handle("preview", ctx)
        assert preview.digest is not None
        return {i.paper.id: i.score for i in preview.digest.items}

    with_code = await scores()
    assert with_code["2401.00003"] > with_code["2401.00001"]  # the code boost at work
    reply = await handlers.handle("boost code off", ctx)
    assert reply.text == "Papers with code no longer rank higher here." and not reply.ephemeral
    channel = repo.ensure_channel(Platform.SLACK, "T1", "C1")
    assert not channel.boost_code and channel.boost_upvotes and channel.boost_recency
    without = await scores()
    assert without["2401.00003"] == pytest.approx(without["2401.00001"])
    settings_reply = await handlers.handle("settings", ctx)
    assert "Boosts: papers with many HF upvotes, the newest papers" in settings_reply.lines
    await handlers.handle("boost upvotes off", ctx)
    await handlers.handle("boost recency off", ctx)
    assert "Boosts: none" in (await handlers.handle("settings", ctx)).lines


async def test_an_interest_weight_is_changed_by_its_number(
    env: tuple[Handlers, MemoryRepository, CommandContext, Publisher],
) -> None:
    handlers, repo, ctx, _ = env
    await handlers.handle("interests add diffusion policy", ctx)
    await handlers.handle("interests add protein folding --weight 2", ctx)
    reply = await handlers.handle("interests weight 1 3.5", ctx)
    assert reply.text.startswith("The query interest “diffusion policy” now counts with weight 3.5")
    assert interests(repo) == [
        ("query", "protein folding", 2.0),
        ("query", "diffusion policy", 3.5),
    ]
    for bad in ("interests weight 9 2", "interests weight 1 0", "interests weight 1 x"):
        assert (await handlers.handle(bad, ctx)).error
    assert interests(repo)[1] == ("query", "diffusion policy", 3.5)
