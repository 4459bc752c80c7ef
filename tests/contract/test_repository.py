"""One contract suite, run against every Repository: memory, SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from digest.models import DigestRun, Interest, InterestKind, Paper, Platform, Schedule, SourceHealth
from digest.ports import Feedback, Repository, Settlement, StoredEmbedding, UpsertCounts

T0 = datetime(2026, 6, 12, 8, 0, tzinfo=UTC)


def arxiv_paper(arxiv_id: str, title: str, **extra: object) -> Paper:
    return Paper(
        id=arxiv_id,
        arxiv_id=arxiv_id,
        title=title,
        abstract=f"Abstract of {title}.",
        sources=("arxiv-rss",),
        **extra,  # type: ignore[arg-type]
    )


def test_upsert_counts_new_updated_unchanged(repository: Repository) -> None:
    first = [arxiv_paper("2401.00001", "Alpha"), arxiv_paper("2401.00002", "Beta")]
    assert repository.upsert_papers(first, T0) == UpsertCounts(new=2)
    assert repository.upsert_papers(first, T0 + timedelta(hours=1)) == UpsertCounts(unchanged=2)
    voted = [dataclasses.replace(first[0], upvotes=7, sources=("hf-daily",))]
    assert repository.upsert_papers(voted, T0) == UpsertCounts(updated=1)
    stored = repository.get_paper("2401.00001")
    assert stored is not None
    assert stored.upvotes == 7
    assert stored.sources == ("arxiv-rss", "hf-daily")
    assert stored.first_seen == T0
    assert repository.count_papers() == 2


def test_paper_round_trips_every_field(repository: Repository) -> None:
    paper = Paper(
        id="2401.12345",
        arxiv_id="2401.12345",
        version=3,
        doi="10.1000/xyz",
        title="A Title",
        abstract="An abstract with numbers 12.5%.",
        authors=("Ada Lovelace", "Alan Turing"),
        author_count=2,
        categories=("cs.LG", "cs.AI"),
        primary_category="cs.LG",
        published=date(2026, 6, 1),
        updated=datetime(2026, 6, 2, 3, 4, 5, tzinfo=UTC),
        abs_url="https://arxiv.org/abs/2401.12345",
        pdf_url="https://arxiv.org/pdf/2401.12345",
        hf_url="https://huggingface.co/papers/2401.12345",
        code_url="https://github.com/x/y",
        project_url="https://x.github.io",
        url="https://arxiv.org/abs/2401.12345",
        comment="10 pages",
        journal_ref="J. Test 1 (2026)",
        upvotes=12,
        num_comments=3,
        ai_summary="It works.",
        ai_keywords=("testing", "round trip"),
        thumbnail="https://example.org/t.png",
        organization="Org",
        announce_type="new",
        sources=("hf-daily",),
    )
    repository.upsert_papers([paper], T0)
    stored = repository.get_paper("2401.12345v3")
    assert stored == paper.replace(uid="2401.12345", first_seen=T0)


def test_merges_title_only_record_with_arxiv_record(repository: Repository) -> None:
    listing = Paper(
        title="Mixture-of-Experts Made Easy", abstract="Short.", upvotes=3, sources=("hf-listing",)
    )
    repository.upsert_papers([listing], T0)
    arxiv = arxiv_paper("2402.00001", "Mixture of Experts Made Easy")
    counts = repository.upsert_papers([arxiv], T0 + timedelta(days=1))
    assert counts == UpsertCounts(updated=1)
    assert repository.count_papers() == 1
    merged = repository.get_paper("2402.00001")
    assert merged is not None
    assert merged.upvotes == 3
    assert merged.sources == ("hf-listing", "arxiv-rss")
    assert merged.abstract == "Abstract of Mixture of Experts Made Easy."
    assert merged.first_seen == T0


def test_different_arxiv_ids_with_same_title_stay_apart(repository: Repository) -> None:
    counts = repository.upsert_papers(
        [arxiv_paper("2401.00001", "Survey"), arxiv_paper("2401.00002", "Survey")], T0
    )
    assert counts.new == 2


def test_same_paper_twice_in_one_batch_is_one_record(repository: Repository) -> None:
    counts = repository.upsert_papers(
        [arxiv_paper("2401.00001", "Alpha"), arxiv_paper("2401.00001", "Alpha", upvotes=4)], T0
    )
    assert counts == UpsertCounts(new=1)
    stored = repository.get_paper("2401.00001")
    assert stored is not None and stored.upvotes == 4


def test_list_papers_since_newest_first(repository: Repository) -> None:
    repository.upsert_papers([arxiv_paper("2401.00001", "Old")], T0)
    repository.upsert_papers([arxiv_paper("2401.00002", "New")], T0 + timedelta(days=1))
    assert [p.title for p in repository.list_papers()] == ["New", "Old"]
    assert [p.title for p in repository.list_papers(since=T0 + timedelta(hours=1))] == ["New"]
    assert [p.title for p in repository.list_papers(limit=1)] == ["New"]


def test_channels_are_created_once_and_saved(repository: Repository) -> None:
    workspace = repository.ensure_workspace(Platform.SLACK, "T1")
    repository.save_workspace(dataclasses.replace(workspace, timezone="Europe/Berlin"))
    channel = repository.ensure_channel(Platform.SLACK, "T1", "C1", name="papers")
    assert channel.id is not None
    assert channel.schedule.timezone == "Europe/Berlin"
    again = repository.ensure_channel(Platform.SLACK, "T1", "C1")
    assert again.id == channel.id
    changed = dataclasses.replace(
        channel,
        digest_size=3,
        paused=True,
        paused_reason="not_in_channel",
        schedule=Schedule(time="07:30", days=("mon",), timezone="Asia/Tokyo"),
        quiet_day_message=False,
        delivery_mode="thread",
        layout="single",
        boost_upvotes=False,
        boost_code=False,
    )
    before = repository.channels_revision()
    repository.save_channel(changed)
    assert repository.get_channel(channel.id) == changed
    # Every save moves the revision on (how a new schedule reaches the scheduler's leader).
    assert repository.channels_revision() > before
    moved = repository.channels_revision()
    repository.save_channel(dataclasses.replace(changed, digest_size=4))
    assert repository.channels_revision() > moved
    saved = repository.channels_revision()
    other = repository.ensure_channel(Platform.DISCORD, "G1", "C1")
    assert repository.channels_revision() > saved  # a new channel has a schedule too
    assert other.id != channel.id
    assert [c.id for c in repository.list_channels(Platform.DISCORD)] == [other.id]
    assert len(repository.list_channels()) == 2


def test_interests_add_list_remove_clear(repository: Repository) -> None:
    channel = repository.ensure_channel(Platform.CONSOLE, "local", "c")
    other = repository.ensure_channel(Platform.CONSOLE, "local", "d")
    assert channel.id is not None and other.id is not None
    first = repository.add_interest(
        channel.id,
        Interest(kind=InterestKind.QUERY, text="RLHF", weight=2.0, added_by="U1", added_at=T0),
    )
    repository.add_interest(channel.id, Interest(kind=InterestKind.AUTHOR, text="Sutton"))
    repository.add_interest(other.id, Interest(kind=InterestKind.QUERY, text="GNN"))
    listed = repository.list_interests(channel.id)
    assert [(i.kind, i.text) for i in listed] == [
        (InterestKind.QUERY, "RLHF"),
        (InterestKind.AUTHOR, "Sutton"),
    ]
    assert listed[0] == first
    assert first.id is not None
    assert repository.remove_interest(other.id, first.id) is False
    assert repository.remove_interest(channel.id, first.id) is True
    assert repository.clear_interests(channel.id) == 1
    assert repository.list_interests(channel.id) == []
    assert len(repository.list_interests(other.id)) == 1


def test_deliveries_are_unique_per_channel_and_paper(repository: Repository) -> None:
    channel = repository.ensure_channel(Platform.CONSOLE, "local", "c")
    assert channel.id is not None
    run = repository.start_run(DigestRun(channel_id=channel.id, started_at=T0, scanned=10))
    assert run.id is not None
    created = repository.record_deliveries(channel.id, run.id, ["a", "b", "a"])
    assert [d.paper_key for d in created] == ["a", "b"]
    again = repository.record_deliveries(channel.id, run.id, ["b", "c"])
    assert [d.paper_key for d in again] == ["c"]
    assert repository.delivered_keys(channel.id) == {"a", "b", "c"}
    assert created[0].id is not None
    repository.mark_delivery(created[0].id, status="sent", message_id="m-1")
    statuses = {
        d.paper_key: (d.status, d.message_id) for d in repository.list_deliveries(channel.id)
    }
    assert statuses == {"a": ("sent", "m-1"), "b": ("pending", None), "c": ("pending", None)}
    repository.settle_run(run.id, status="sent", picked=3, message_id="m-2")
    last = repository.last_run(channel.id)
    assert last is not None and (last.status, last.picked, last.scanned) == ("sent", 3, 10)
    statuses = {
        d.paper_key: (d.status, d.message_id) for d in repository.list_deliveries(channel.id)
    }
    # Settling marks the run's pending deliveries; an already sent one keeps its message.
    assert statuses == {"a": ("sent", "m-1"), "b": ("sent", "m-2"), "c": ("sent", "m-2")}


def test_each_paper_is_found_by_the_message_that_shows_it(repository: Repository) -> None:
    channel = repository.ensure_channel(Platform.SLACK, "T1", "C1")
    elsewhere = repository.ensure_channel(Platform.SLACK, "T1", "C2")
    assert channel.id is not None and elsewhere.id is not None
    run = repository.start_run(DigestRun(channel_id=channel.id, started_at=T0))
    other_run = repository.start_run(DigestRun(channel_id=elsewhere.id, started_at=T0))
    assert run.id is not None and other_run.id is not None
    repository.record_deliveries(channel.id, run.id, ["a", "b", "c"])
    repository.record_deliveries(elsewhere.id, other_run.id, ["a"])
    repository.settle_runs(
        [
            Settlement(
                run.id, "sent", 3, "100.1", (("a", "100.1"), ("b", "100.1"), ("c", "100.2"))
            ),
            # Slack's ids are unique per channel only: the same ts in another channel.
            Settlement(other_run.id, "sent", 1, "100.2", (("a", "100.2"),)),
        ]
    )
    ids = {d.paper_key: d.message_id for d in repository.list_deliveries(channel.id)}
    assert ids == {"a": "100.1", "b": "100.1", "c": "100.2"}
    both = repository.find_message(Platform.SLACK, "T1", "100.1", channel_id="C1")
    assert both is not None and both.channel.id == channel.id
    assert sorted(both.paper_keys) == ["a", "b"]
    one = repository.find_message(Platform.SLACK, "T1", "100.2", channel_id="C1")
    assert one is not None and one.paper_keys == ("c",)
    theirs = repository.find_message(Platform.SLACK, "T1", "100.2", channel_id="C2")
    assert theirs is not None and (theirs.channel.id, theirs.paper_keys) == (elsewhere.id, ("a",))
    assert repository.find_message(Platform.SLACK, "T1", "999.9", channel_id="C1") is None
    assert repository.find_message(Platform.SLACK, "T2", "100.1", channel_id="C1") is None
    # No workspace (a direct message belongs to none): any workspace's, by channel.
    anywhere = repository.find_message(Platform.SLACK, None, "100.2", channel_id="C2")
    assert anywhere is not None and anywhere.channel.channel_id == "C2"
    assert repository.find_message(Platform.DISCORD, "T1", "100.1") is None


def test_channels_are_read_many_at_once(repository: Repository) -> None:
    first = repository.ensure_channel(Platform.SLACK, "T1", "C1")
    second = repository.ensure_channel(Platform.DISCORD, "G1", "D1")
    assert first.id is not None and second.id is not None
    found = repository.get_channels([first.id, second.id, 999_999])
    assert found == {first.id: first, second.id: second}
    assert repository.get_channels([]) == {}


def _queued_runs(repository: Repository, count: int) -> list[int]:
    channel = repository.ensure_channel(Platform.CONSOLE, "local", "c")
    assert channel.id is not None
    ids = []
    for n in range(count):
        run = repository.start_run(DigestRun(channel_id=channel.id, started_at=T0))
        assert run.id is not None and run.status == "queued"
        repository.record_deliveries(channel.id, run.id, [f"p{n}"])
        ids.append(run.id)
    return ids


def test_claims_take_the_oldest_free_runs_and_count_attempts(repository: Repository) -> None:
    ids = _queued_runs(repository, 3)
    lease = timedelta(seconds=30)
    first = repository.claim_runs("a", now=T0, lease=lease, limit=2)
    assert [r.id for r in first] == ids[:2]
    assert all(r.claimed_by == "a" and r.attempts == 1 for r in first)
    assert all(r.lease_until == T0 + lease for r in first)
    # Held runs are not claimable by anyone while their lease lasts.
    second = repository.claim_runs("b", now=T0 + timedelta(seconds=29), lease=lease, limit=5)
    assert [r.id for r in second] == ids[2:]
    assert repository.claim_runs("b", now=T0 + timedelta(seconds=29), lease=lease, limit=5) == []
    # A lapsed lease (the holder died) frees the run for another sender; attempts go up.
    later = T0 + timedelta(seconds=31)
    taken = repository.claim_runs("b", now=later, lease=lease, limit=5)
    assert [r.id for r in taken] == ids[:2]
    assert all(r.attempts == 2 and r.claimed_by == "b" for r in taken)
    # The old holder no longer holds them.
    assert repository.renew_claims("a", ids[:2], later + lease) == set()
    assert repository.renew_claims("b", ids, later + lease) == set(ids)


def test_pending_papers_and_settling_many_runs_at_once(repository: Repository) -> None:
    ids = _queued_runs(repository, 3)
    assert repository.pending_keys(ids) == {ids[0]: {"p0"}, ids[1]: {"p1"}, ids[2]: {"p2"}}
    repository.settle_runs([Settlement(ids[0], "sent", 1, "m-0"), Settlement(ids[1], "failed", 0)])
    assert repository.pending_keys(ids) == {ids[2]: {"p2"}}
    assert repository.pending_keys([]) == {}
    runs = [repository.get_run(i) for i in ids]
    assert [r.status for r in runs if r] == ["sent", "failed", "queued"]
    channel_id = runs[0].channel_id  # type: ignore[union-attr]
    assert {
        (d.paper_key, d.status, d.message_id) for d in repository.list_deliveries(channel_id)
    } == {
        ("p0", "sent", "m-0"),
        ("p1", "failed", None),
        ("p2", "pending", None),
    }


def test_release_and_settle_end_claims(repository: Repository) -> None:
    ids = _queued_runs(repository, 3)
    lease = timedelta(seconds=30)
    repository.claim_runs("a", now=T0, lease=lease, limit=3)
    # Given back after a transient failure: claimable only from retry_at.
    repository.release_run(ids[0], "a", retry_at=T0 + timedelta(minutes=5))
    repository.release_run(ids[1], "someone-else", retry_at=None)  # not theirs: no effect
    run = repository.get_run(ids[0])
    assert run is not None and run.claimed_by is None
    assert run.lease_until == T0 + timedelta(minutes=5)
    assert repository.claim_runs("b", now=T0 + timedelta(seconds=20), lease=lease, limit=5) == []
    # A restarted "a" frees what its earlier life held, at once.
    assert repository.release_claims("a") == 2
    assert [r.id for r in repository.claim_runs("a", now=T0, lease=lease, limit=5)] == ids[1:]
    # Settled runs are never claimed again.
    repository.settle_run(ids[1], status="sent", picked=1)
    repository.settle_run(ids[2], status="failed", picked=0)
    much_later = T0 + timedelta(days=1)
    assert [r.id for r in repository.claim_runs("c", now=much_later, lease=lease, limit=5)] == [
        ids[0]
    ]
    channel_id = repository.get_run(ids[2]).channel_id  # type: ignore[union-attr]
    assert {d.paper_key: d.status for d in repository.list_deliveries(channel_id)} == {
        "p0": "pending",
        "p1": "sent",
        "p2": "failed",
    }
    assert [d.paper_key for d in repository.list_deliveries(channel_id, run_id=ids[1])] == ["p1"]
    assert repository.delivered_keys(channel_id) == {"p0", "p1"}  # failed ones may go again


def test_feedback_one_vote_per_user(repository: Repository) -> None:
    channel = repository.ensure_channel(Platform.CONSOLE, "local", "c")
    assert channel.id is not None
    repository.record_feedback(
        Feedback(channel_id=channel.id, paper_key="p", user_id="u", value=1, at=T0)
    )
    repository.record_feedback(
        Feedback(channel_id=channel.id, paper_key="p", user_id="u", value=-1, at=T0)
    )
    repository.record_feedback(
        Feedback(channel_id=channel.id, paper_key="p", user_id="v", value=1, at=T0)
    )
    votes = sorted((f.user_id, f.value) for f in repository.list_feedback(channel.id))
    assert votes == [("u", -1), ("v", 1)]


def test_a_vote_is_taken_back_only_while_it_stands(repository: Repository) -> None:
    channel = repository.ensure_channel(Platform.CONSOLE, "local", "c")
    assert channel.id is not None
    repository.record_feedback(
        Feedback(channel_id=channel.id, paper_key="p", user_id="u", value=-1, at=T0)
    )
    repository.record_feedback(
        Feedback(channel_id=channel.id, paper_key="p", user_id="v", value=1, at=T0)
    )
    # u's 👍 was replaced by a 👎: taking the 👍 back leaves the 👎.
    assert repository.retract_feedback(channel.id, "p", "u", 1) is False
    assert repository.retract_feedback(channel.id, "p", "nobody", -1) is False
    assert repository.retract_feedback(channel.id, "p", "u", -1) is True
    assert [(f.user_id, f.value) for f in repository.list_feedback(channel.id)] == [("v", 1)]


def test_summary_cache_per_paper_and_summariser(repository: Repository) -> None:
    assert repository.get_summary("p", "extractive") is None
    repository.put_summary("p", "extractive", '{"tldr": "one"}', T0)
    repository.put_summary("p", "extractive", '{"tldr": "two"}', T0)
    repository.put_summary("p", "llm", '{"tldr": "three"}', T0)
    assert repository.get_summary("p", "extractive") == '{"tldr": "two"}'
    assert repository.get_summary("p", "llm") == '{"tldr": "three"}'


def test_summaries_stored_at_once_by_several_threads(repository: Repository) -> None:
    """Digests compose in worker threads: two may cache the same paper's summary together."""
    barrier = threading.Barrier(6)

    def store(writer: int) -> None:
        for n in range(15):
            if n == 0:
                barrier.wait()
            repository.put_summary(f"paper-{n}", "extractive", f'{{"by": {writer}}}', T0)

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(store, range(6)))  # re-raises any writer's error
    assert all(repository.get_summary(f"paper-{n}", "extractive") for n in range(15))


def test_source_health_is_stored(repository: Repository) -> None:
    assert repository.get_source_health("hf-daily") == SourceHealth(name="hf-daily")
    health = SourceHealth(
        name="hf-daily",
        last_success=T0,
        last_error="HTTP 503",
        last_error_at=T0 + timedelta(hours=1),
        last_note="quiet day",
    )
    repository.save_source_health(health)
    assert repository.get_source_health("hf-daily") == health
    assert not health.healthy
    assert [h.name for h in repository.list_source_health()] == ["hf-daily"]


@pytest.mark.parametrize("bad", ["", "not-an-id"])
def test_unknown_paper_is_none(repository: Repository, bad: str) -> None:
    assert repository.get_paper(bad) is None


def test_http_validators_by_url(repository: Repository) -> None:
    assert repository.get_validators("https://a/x") == (None, None)
    repository.put_validators("https://a/x", 'W/"1"', None)
    repository.put_validators("https://a/x", 'W/"2"', "Fri, 12 Jun 2026 08:00:00 GMT")
    assert repository.get_validators("https://a/x") == ('W/"2"', "Fri, 12 Jun 2026 08:00:00 GMT")
    assert repository.get_validators("https://a/y") == (None, None)


def test_embeddings_round_trip_at_half_precision(repository: Repository) -> None:
    rng = np.random.default_rng(7)
    vector = rng.normal(size=384).astype(np.float32)
    sentences = rng.normal(size=(3, 384)).astype(np.float32)
    repository.put_embeddings("m", {"p1": StoredEmbedding(vector=vector, sentences=sentences)})
    repository.put_embeddings("m", {"p1": StoredEmbedding(vector=vector, sentences=sentences)})
    found = repository.get_embeddings(["p1", "p2"], "m")
    assert list(found) == ["p1"]
    assert found["p1"].sentences.shape == (3, 384)
    np.testing.assert_allclose(found["p1"].vector, vector, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(found["p1"].sentences, sentences, rtol=1e-3, atol=1e-3)
    assert repository.get_embeddings(["p1"], "other-model") == {}


def test_failed_deliveries_can_be_claimed_again(repository: Repository) -> None:
    channel = repository.ensure_channel(Platform.CONSOLE, "local", "c")
    assert channel.id is not None
    (first,) = repository.record_deliveries(channel.id, None, ["p"])
    assert first.id is not None
    repository.mark_delivery(first.id, status="failed")
    assert repository.delivered_keys(channel.id) == set()
    (again,) = repository.record_deliveries(channel.id, None, ["p"])
    assert again.id == first.id and again.status == "pending"
    repository.mark_delivery(again.id, status="sent", message_id="m")
    assert repository.record_deliveries(channel.id, None, ["p"]) == []
    assert len(repository.list_deliveries(channel.id)) == 1


def test_a_run_is_recorded_with_its_deliveries(repository: Repository) -> None:
    channel = repository.ensure_channel(Platform.CONSOLE, "local", "c")
    assert channel.id is not None
    (failed,) = repository.record_deliveries(channel.id, None, ["failed"])
    assert failed.id is not None
    repository.mark_delivery(failed.id, status="failed")
    repository.record_deliveries(channel.id, None, ["had"])
    run = repository.start_run(
        DigestRun(channel_id=channel.id, started_at=T0), ["new", "had", "failed", "new"]
    )
    assert run.id is not None
    ours = {d.paper_key: d for d in repository.list_deliveries(channel.id, run_id=run.id)}
    # New papers get rows, a failed one is claimed again, one the channel had is left alone.
    assert set(ours) == {"new", "failed"}
    assert all(d.status == "pending" for d in ours.values())
    assert ours["failed"].id == failed.id
    assert len(repository.list_deliveries(channel.id)) == 3


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_run_whose_deliveries_fail_to_record_is_not_recorded_either(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A crash between the two writes could leave a run without outbox rows, which a sender
    settles as "nothing left to send": the digest would be lost. They commit together."""
    from sqlalchemy import event

    from storage.engine import create_db_engine, upgrade_schema
    from storage.sql import SqlRepository

    if kind == "sqlite":
        engine = create_db_engine(f"sqlite:///{tmp_path / 'atomic.db'}")
    else:
        engine = request.getfixturevalue("postgres_engine")
    upgrade_schema(engine)
    repository = SqlRepository(engine)
    channel = repository.ensure_channel(Platform.CONSOLE, "local", "c")
    assert channel.id is not None

    class DiskFull(Exception):
        pass

    def fail_deliveries(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO DELIVERIES"):
            raise DiskFull("the database gave up between the run and its deliveries")

    event.listen(engine, "before_cursor_execute", fail_deliveries)
    with pytest.raises(DiskFull):
        repository.start_run(DigestRun(channel_id=channel.id, started_at=T0), ["a", "b"])
    event.remove(engine, "before_cursor_execute", fail_deliveries)
    assert repository.last_run(channel.id) is None
    assert repository.list_deliveries(channel.id) == []
    run = repository.start_run(DigestRun(channel_id=channel.id, started_at=T0), ["a", "b"])
    assert {d.paper_key for d in repository.list_deliveries(channel.id, run_id=run.id)} == {
        "a",
        "b",
    }
    engine.dispose()


def test_followed_queries_are_the_distinct_topics_of_active_channels(
    repository: Repository,
) -> None:
    active = repository.ensure_channel(Platform.SLACK, "T1", "C1")
    other = repository.ensure_channel(Platform.DISCORD, "G1", "D1")
    quiet = repository.ensure_channel(Platform.SLACK, "T1", "C2")
    assert active.id is not None and other.id is not None and quiet.id is not None
    repository.save_channel(dataclasses.replace(quiet, paused=True))
    for channel_id, kind, text in [
        (active.id, InterestKind.QUERY, "RLHF"),
        (active.id, InterestKind.AUTHOR, "Sutton"),
        (other.id, InterestKind.QUERY, "RLHF"),
        (other.id, InterestKind.QUERY, "diffusion policy"),
        (quiet.id, InterestKind.QUERY, "protein folding"),  # paused: not read today
    ]:
        repository.add_interest(channel_id, Interest(kind=kind, text=text))
    assert sorted(repository.followed_queries()) == ["RLHF", "diffusion policy"]
