"""The hybrid ranker with real embedders: the packaged MiniLM and the model-free hashing one."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest

from digest.models import Interest, InterestKind, Paper
from digest.ranking.embedding import HashingEmbedder, load_embedder
from digest.ranking.feedback import FeedbackModel, vote_weight
from digest.ranking.index import CorpusIndex, split_sentences
from digest.ranking.ranker import ChannelProfile, HybridRanker, Priors
from digest.ranking.selection import select

PAPERS = [
    Paper(
        uid="rl",
        title="Offline Reinforcement Learning with Conservative Critics",
        abstract="We learn policies from fixed datasets. Conservative value estimates avoid "
        "overestimation on unseen actions.",
    ),
    Paper(
        uid="moe",
        title="Sparse Mixture-of-Experts Inference",
        abstract="Mixture-of-Experts (MoE) language models activate few experts per token. "
        "We prefetch experts to serve them on one GPU.",
    ),
    Paper(
        uid="bandit",
        title="Regret Bounds for Contextual Bandits",
        abstract="We prove regret bounds for linear contextual bandits with delayed feedback.",
    ),
    Paper(
        uid="robot",
        title="Diffusion Policies for Robot Manipulation",
        abstract="A diffusion model outputs robot actions learned from demonstrations.",
    ),
    Paper(
        uid="protein",
        title="Protein Structure Prediction",
        abstract="We predict the folded structure of proteins from their sequences.",
    ),
]


@pytest.fixture(scope="module")
def minilm() -> object:
    embedder = load_embedder("minilm")
    assert embedder is not None
    return embedder


def query(text: str) -> Interest:
    return Interest(kind=InterestKind.QUERY, text=text)


def test_minilm_vectors_are_normalised_and_semantic(minilm: object) -> None:
    vectors = minilm.embed(["robot arm control", "robotic manipulation", "tax law"])  # type: ignore[attr-defined]
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_semantic_match_without_shared_words(minilm: object) -> None:
    ranker = HybridRanker(minilm)  # type: ignore[arg-type]
    items = ranker.score(PAPERS, ChannelProfile(interests=(query("folding of biomolecules"),)))
    assert items[0].paper.key == "protein"
    items = ranker.score(
        PAPERS, ChannelProfile(interests=(query("learning from fixed logged data"),))
    )
    assert items[0].paper.key == "rl"


def test_acronym_and_explanation(minilm: object) -> None:
    ranker = HybridRanker(minilm)  # type: ignore[arg-type]
    top = ranker.score(PAPERS, ChannelProfile(interests=(query("MoE"),)))[0]
    assert top.paper.key == "moe"
    assert top.why.startswith("matches “MoE”")
    assert top.relevance is not None and top.relevance > 0.3


def test_weak_matches_stay_below_the_threshold(minilm: object) -> None:
    ranker = HybridRanker(minilm)  # type: ignore[arg-type]
    items = ranker.score(PAPERS, ChannelProfile(interests=(query("medieval poetry"),)))
    assert select(items, top=5, min_score=0.25) == []


def test_feedback_model_learns_from_likes() -> None:
    embedder = HashingEmbedder()
    index = CorpusIndex(PAPERS, embedder=embedder)
    liked = [PAPERS[0]]
    model = FeedbackModel.train(index, liked, [PAPERS[4]])
    assert model is not None
    assert model.order[0] == max(model.order)
    assert model.order[4] == min(model.order)
    # A like is a vote, a dislike 0.3 of one (dislikes are near misses, see feedback.py).
    assert model.votes == pytest.approx(1.3)
    assert FeedbackModel.train(index, liked, [PAPERS[4]], dislike=1.0).votes == 2  # type: ignore[union-attr]
    assert FeedbackModel.train(index, [], []) is None
    assert vote_weight(3, 0.15, 0.5) == pytest.approx(0.45)
    assert vote_weight(10, 0.15, 0.5) == 0.5


def test_feedback_reads_the_words_liked_papers_share() -> None:
    """Two papers alike to the embedding but only one naming the liked paper's method: the
    words' part of the model puts that one first."""
    papers = [
        Paper(uid="named", title="Scaling CQL-Lagrangian critics", abstract="Offline control."),
        Paper(uid="other", title="Scaling conservative critics", abstract="Offline control."),
        *PAPERS[1:],
    ]
    index = CorpusIndex(papers, embedder=HashingEmbedder())
    liked = [Paper(uid="l", title="CQL-Lagrangian for robots", abstract="Safe offline control.")]
    words = FeedbackModel.train(index, liked, [], lexical=1.0)
    assert words is not None and words.order[0] > words.order[1]


def test_votes_count_more_next_to_a_short_interest(minilm: object) -> None:
    """With votes worth nothing next to a sentence, a sentence interest's scores ignore
    them, while a short interest's follow them: the liked paper's neighbour rises."""
    ranker = HybridRanker(minilm, feedback_per_vote=0.0, likes_query_weight=0.0)  # type: ignore[arg-type]
    liked = (Paper(uid="l", title="Protein folding with language models", abstract="Structures."),)
    for text, moves in (
        ("learning", True),
        ("methods that learn from data for prediction and control", False),
    ):
        interests = (query(text),)
        plain = {
            i.paper.key: i.score for i in ranker.score(PAPERS, ChannelProfile(interests=interests))
        }
        voted = {
            i.paper.key: i.score
            for i in ranker.score(PAPERS, ChannelProfile(interests=interests, liked=liked))
        }
        if moves:
            assert voted["protein"] > plain["protein"], text
        else:
            assert voted == plain, text


def test_a_like_teaches_the_interest_it_matches(minilm: object) -> None:
    """A liked protein paper moves the channel's protein interest, not its RL one (votes'
    own model switched off: only the interests' queries learn)."""
    ranker = HybridRanker(minilm, feedback_per_vote=0.0, feedback_short_per_vote=0.0)  # type: ignore[arg-type]
    interests = (query("offline reinforcement learning"), query("protein structure"))
    liked = (Paper(uid="l", title="Folding proteins from sequences", abstract="Structure."),)
    plain = {
        i.paper.key: i.score for i in ranker.score(PAPERS, ChannelProfile(interests=interests))
    }
    voted = {
        i.paper.key: i.score
        for i in ranker.score(PAPERS, ChannelProfile(interests=interests, liked=liked))
    }
    assert voted["rl"] == plain["rl"]
    assert voted["protein"] != plain["protein"]


def test_likes_lift_similar_papers_in_the_ranking(minilm: object) -> None:
    ranker = HybridRanker(minilm)  # type: ignore[arg-type]
    liked = Paper(
        uid="liked",
        title="Conservative Q-learning for offline RL",
        abstract="Pessimistic value functions for learning from logged datasets.",
    )
    base = ranker.score(PAPERS, ChannelProfile(interests=(query("machine learning"),)))
    tuned = ranker.score(
        PAPERS, ChannelProfile(interests=(query("machine learning"),), liked=(liked,))
    )
    position = {i.paper.key: n for n, i in enumerate(base)}
    assert [i.paper.key for i in tuned].index("rl") <= position["rl"]
    assert tuned[0].paper.key == "rl"


def test_index_memoises_interests_and_limits_items() -> None:
    ranker = HybridRanker(HashingEmbedder())
    index = ranker.index(PAPERS)
    profile = ChannelProfile(interests=(query("diffusion robot"),))
    first = ranker.score_index(index, profile, limit=2)
    assert len(first) == 2 and first[0].paper.key == "robot"
    assert ranker.score_index(index, profile, limit=2) == first


def test_sentences_split_title_first() -> None:
    assert split_sentences(PAPERS[1])[0] == "Sparse Mixture-of-Experts Inference"
    assert len(split_sentences(PAPERS[1])) == 3


def test_load_embedder_modes() -> None:
    assert load_embedder("none") is None
    assert isinstance(load_embedder("hashing"), HashingEmbedder)


def _many_papers(n: int = 60) -> list[Paper]:
    """A day big enough (>= 20 papers) for the shared directions to be left out."""
    topics = [
        ("reinforcement learning", "policy value critic reward"),
        ("mixture of experts", "router experts tokens sparse inference"),
        ("contextual bandits", "regret arms exploration bounds"),
        ("robot manipulation", "grasping demonstrations diffusion policy"),
        ("protein folding", "structure sequence residues prediction"),
    ]
    papers = []
    for i in range(n):
        name, words = topics[i % len(topics)]
        extra = " ".join(words.split()[: 1 + i % 4])
        changed = words.split()[i % 4]
        papers.append(
            Paper(
                uid=f"p{i}",
                title=f"{name.title()} study {i}",
                abstract=f"We study {name} with {extra}. Variant {i} changes {changed}.",
            )
        )
    return papers


@pytest.mark.parametrize("embedded", [True, False], ids=["hybrid", "lexical-only"])
def test_prepared_interests_rank_exactly_as_interests_scored_one_by_one(embedded: bool) -> None:
    papers = _many_papers()
    texts = ["reinforcement learning critic", "MoE inference", "bandit regret -protein"]
    profiles = [
        ChannelProfile(interests=(query(texts[0]), query(texts[1]))),
        ChannelProfile(interests=(query(texts[2]),)),
    ]
    lazy, batched = (HybridRanker(HashingEmbedder() if embedded else None) for _ in range(2))
    lazy_index, batched_index = lazy.index(papers), batched.index(papers)
    # Duplicates, operator-only and unreadable interests are not topics to score.
    assert batched.prepare(batched_index, [*texts, texts[0], "author:Sutton", '"unclosed']) == 3
    assert batched.prepare(batched_index, texts) == 0  # already scored
    for profile in profiles:
        expected = lazy.score_index(lazy_index, profile)
        got = batched.score_index(batched_index, profile)
        assert [i.paper.key for i in got] == [i.paper.key for i in expected]
        np.testing.assert_allclose([i.score for i in got], [i.score for i in expected], atol=1e-6)
        assert [i.why for i in got] == [i.why for i in expected]


@pytest.mark.parametrize("embedded", [True, False], ids=["hybrid", "lexical-only"])
def test_the_best_few_are_the_head_of_the_full_ranking(embedded: bool) -> None:
    """``limit`` scores only each interest's best papers: the result must be exactly the
    head of the full ranking, whatever the weights, priors, exclusions and votes."""
    today = date(2026, 3, 1)
    papers = [
        replace(
            paper,
            upvotes=(i * 7) % 40,
            published=today - timedelta(days=i % 20),
            code_url="https://example.org/code" if i % 3 == 0 else None,
        )
        for i, paper in enumerate(_many_papers())
    ]
    ranker = HybridRanker(HashingEmbedder() if embedded else None)
    index = ranker.index(papers)
    weighted = Interest(kind=InterestKind.QUERY, text="MoE inference", weight=0.4)
    profiles = [
        ChannelProfile(interests=(query("reinforcement learning critic"), weighted)),
        ChannelProfile(
            interests=(query("bandit regret"), query("protein folding")),
            priors=Priors(upvotes=False, code=False),
        ),
        ChannelProfile(interests=(query("robot manipulation -diffusion"),)),
        ChannelProfile(interests=(query("bandit regret"),), liked=(papers[3],)),
    ]
    for profile in profiles:
        full = [i for i in ranker.score_index(index, profile, today=today) if i.score > 0]
        for limit in (1, 5, 12):
            head = ranker.score_index(index, profile, today=today, limit=limit)
            assert [(i.paper.key, i.score, i.why) for i in head if i.score > 0] == [
                (i.paper.key, i.score, i.why) for i in full[:limit]
            ]
