"""Query syntax, lexical scoring, acronyms, feedback, diversity and explanations."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.errors import UsageError
from digest.models import DigestItem, Interest, InterestKind, Paper
from digest.ranking.acronyms import mine_acronyms
from digest.ranking.query import parse_query
from digest.ranking.ranker import ChannelProfile, LexicalRanker, Priors
from digest.ranking.selection import select


def p(key: str, title: str, abstract: str = "", **extra: object) -> Paper:
    return Paper(uid=key, id=key, title=title, abstract=abstract, **extra)  # type: ignore[arg-type]


def query(text: str, weight: float = 1.0) -> Interest:
    return Interest(kind=InterestKind.QUERY, text=text, weight=weight)


def test_query_syntax() -> None:
    parsed = parse_query(
        '"diffusion policy" robots -survey NOT review author:"Yann LeCun" '
        "cat:cs.RO like:2401.12345v2 Re:Invent"
    )
    assert parsed.phrases == ("diffusion policy",)
    assert parsed.terms == ("robots", "Re:Invent")
    assert parsed.excluded == ("survey", "review")
    assert parsed.authors == ("Yann LeCun",)
    assert parsed.categories == ("cs.RO",)
    assert parsed.seeds == ("2401.12345",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "needs some words"),
        ('"open', "unclosed quote"),
        ("-only -exclusions", "besides"),
        ("NOT", "must be followed"),
        ("like:banana", "arXiv id"),
        ("cat:CS LG!", "category"),
        ("author:", "needs a value"),
        ("x" * 501, "at most 500"),
    ],
)
def test_bad_queries_get_clear_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_query(text)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200))
def test_no_query_crashes_the_parser(text: str) -> None:
    try:
        parsed = parse_query(text)
    except UsageError:
        return
    assert not parsed.is_empty


PAPERS = [
    p(
        "a",
        "Reinforcement Learning from Human Feedback at Scale",
        "We align language models with reinforcement learning from human feedback.",
    ),
    p(
        "b",
        "Graph Neural Networks for Molecules",
        "A GNN predicts molecular properties.",
        authors=("Ada Lovelace",),
        categories=("cs.LG",),
    ),
    p(
        "c",
        "A Survey of Graph Neural Networks",
        "We survey graph neural network methods.",
        categories=("cs.LG",),
    ),
    p("d", "Protein Structure", "Folding proteins.", categories=("q-bio.BM",)),
]


def rank(*interests: Interest, **profile: object) -> list[DigestItem]:
    return LexicalRanker().score(PAPERS, ChannelProfile(interests=interests, **profile))  # type: ignore[arg-type]


def test_acronym_matches_its_expansion_and_back() -> None:
    top = rank(query("RLHF"))[0]
    assert top.paper.key == "a" and top.score > 0.3
    assert "RLHF" in top.why or "reinforcement" in top.why
    gnn = rank(query("graph neural network"))
    assert {gnn[0].paper.key, gnn[1].paper.key} == {"b", "c"}


def test_exclusions_phrases_authors_and_categories() -> None:
    assert [i.paper.key for i in rank(query("graph neural networks -survey")) if i.score > 0] == [
        "b"
    ]
    assert [i.paper.key for i in rank(query('"human feedback"')) if i.score > 0] == ["a"]
    by_author = rank(Interest(kind=InterestKind.AUTHOR, text="A. Lovelace"))
    assert by_author[0].paper.key == "b" and "author" in by_author[0].why
    in_cat = [
        i.paper.key for i in rank(Interest(kind=InterestKind.CATEGORY, text="cs.LG")) if i.score > 0
    ]
    assert sorted(in_cat) == ["b", "c"]
    excluded = rank(query("graph"), Interest(kind=InterestKind.EXCLUSION, text="molecules"))
    assert next(i for i in excluded if i.paper.key == "b").score == 0


def test_feedback_moves_similar_papers() -> None:
    liked = p("x", "Graph networks for chemistry", "Graph neural network on molecules.")
    disliked = p("y", "Surveys of graph methods", "A survey of graph neural network methods.")
    base = {i.paper.key: i.score for i in rank(query("graph neural networks"))}
    tuned = {
        i.paper.key: i.score
        for i in rank(query("graph neural networks"), liked=(liked,), disliked=(disliked,))
    }
    assert tuned["b"] - base["b"] > tuned["c"] - base["c"]


def test_priors_are_switchable() -> None:
    hot = p(
        "h",
        "Graph neural networks",
        "Graph neural networks.",
        upvotes=80,
        code_url="https://github.com/x",
        published=date(2026, 6, 12),
    )
    cold = p("k", "Graph neural networks", "Graph neural networks.")
    ranker = LexicalRanker()
    on = ranker.score(
        [hot, cold], ChannelProfile(interests=(query("graph"),)), today=date(2026, 6, 12)
    )
    off = ranker.score(
        [hot, cold],
        ChannelProfile(
            interests=(query("graph"),), priors=Priors(upvotes=False, recency=False, code=False)
        ),
        today=date(2026, 6, 12),
    )
    assert on[0].paper.key == "h" and on[0].score > on[1].score
    assert off[0].score == off[1].score


def test_deterministic_for_the_same_input() -> None:
    first = [(i.paper.key, i.score) for i in rank(query("graph"))]
    assert first == [(i.paper.key, i.score) for i in rank(query("graph"))]


def test_select_threshold_near_duplicates_and_size() -> None:
    def item(key: str, title: str, score: float) -> DigestItem:
        return DigestItem(paper=p(key, title, "words " + title), score=score, why="w")

    items = [
        item("1", "Diffusion Policy", 0.9),
        item("2", "Diffusion policy", 0.8),
        item("3", "Robot Grasping", 0.5),
        item("4", "Weak Match", 0.05),
    ]
    chosen = select(items, top=5, min_score=0.1)
    assert [i.paper.key for i in chosen] == ["1", "3"]
    assert [i.paper.key for i in select(items, top=1)] == ["1"]


def test_select_shares_the_digest_among_interests_by_weight() -> None:
    def item(key: str, score: float, interest: str | None) -> DigestItem:
        paper = p(key, f"Paper {key}", f"distinct words {key} {key}x {key}y")
        return DigestItem(paper=paper, score=score, why="w", interest=interest)

    strong = [item(f"a{n}", 0.9 - n / 100, "query:moe") for n in range(6)]
    weaker = [item(f"b{n}", 0.6 - n / 100, "query:rlhf") for n in range(2)]
    voted = [item("v", 0.95, None)]  # picked by votes, not by an interest
    # Equal shares: six strong papers on one topic do not crowd out the other interest.
    chosen = select([*strong, *weaker], top=4)
    assert [i.paper.key for i in chosen] == ["a0", "a1", "b0", "b1"]  # best first
    # A heavier interest gets more places (Sainte-Laguë: 3 to 1 at weights 3 and 1).
    heavy = select([*strong, *weaker], top=4, shares={"query:moe": 3.0})
    assert [i.paper.key for i in heavy] == ["a0", "a1", "a2", "b0"]
    # Votes' picks are a group of their own; an interest with nothing eligible gets nothing.
    mixed = select([*voted, *strong, *weaker], top=3, min_score=0.7)
    assert [i.paper.key for i in mixed] == ["v", "a0", "a1"]
    # One interest: the plain best, as before.
    assert [i.paper.key for i in select(strong, top=3)] == ["a0", "a1", "a2"]


def test_mined_acronyms_skip_leading_function_words() -> None:
    mined = mine_acronyms(
        [
            "The study of large language models (LLMs) is popular.",
            "We use Mixture-of-Experts (MoE) layers.",
        ]
    )
    assert mined["llms"] == ("large language models",)
    assert mined["moe"] == ("mixture-of-experts",)


def test_several_interests_each_paper_scored_by_its_best_and_explained_by_it() -> None:
    items = {i.paper.key: i for i in rank(query("RLHF"), query("graph neural networks"))}
    alone = {i.paper.key: i for i in rank(query("graph neural networks"))}
    assert items["a"].score > 0.3 and "RLHF" in items["a"].why
    assert items["b"].score == alone["b"].score  # the best interest decides, not a sum
    assert "graph" in items["b"].why
    assert items["d"].score == 0 and items["d"].why == "no interest matched"
    # A lighter interest counts for less.
    light = Interest(kind=InterestKind.QUERY, text="RLHF", weight=0.25)
    weighted = {i.paper.key: i.score for i in rank(light, query("graph neural networks"))}
    assert weighted["a"] < items["a"].score and weighted["b"] == items["b"].score


def test_limit_scores_only_the_best_in_full_and_keeps_their_order() -> None:
    ranker = LexicalRanker()
    profile = ChannelProfile(interests=(query("graph neural networks"),))
    full = ranker.score(PAPERS, profile)
    top = ranker.score_index(ranker.index(PAPERS), profile, limit=2)
    assert [(i.paper.key, i.score, i.why) for i in top] == [
        (i.paper.key, i.score, i.why) for i in full[:2]
    ]


def test_sentence_scores_are_the_mean_of_each_papers_two_best_sentences() -> None:
    import numpy as np

    from digest.ranking.index import CorpusIndex

    def unit(*rows: list[float]) -> np.ndarray:
        matrix = np.array(rows, dtype=np.float32)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

    vectors = unit([1, 0], [0, 1], [1, 1], [1, -1])
    no_sentences = np.zeros((0, 2), dtype=np.float32)
    sentences = [unit([1, 0], [0, 1], [1, 1]), unit([0, 1]), no_sentences, unit([1, 0], [1, 0.1])]
    index = CorpusIndex(PAPERS, vectors=vectors, sentences=sentences)
    query = unit([1, 0])[0]
    scores = index.sentence_scores(query, np.array([3, 0, 1, 2]))[:, 0]
    expected = [
        (1.0 + float(unit([1, 0.1])[0] @ query)) / 2,  # two sentences: both count
        (1.0 + float(unit([1, 1])[0] @ query)) / 2,  # three: the best two
        0.0,  # one sentence: itself
        float(vectors[2] @ query),  # none: the whole-text vector
    ]
    assert np.allclose(scores, expected)


def _genre_corpus(n: int, seed: int = 7) -> tuple[list[Paper], object, object, object]:
    """``n`` papers that share one "genre" direction in varying amounts, each with a topic
    of its own; paper 0 is mostly genre, paper 1 is mostly topic ``t``."""
    rng = np.random.default_rng(seed)
    dim = 64
    genre, topic = np.eye(dim)[0], np.eye(dim)[1]
    rows = [3.0 * genre + 0.2 * np.eye(dim)[2], 0.3 * genre + topic]
    for _ in range(n - 2):
        own = rng.normal(size=dim)
        own[:2] = 0
        rows.append(rng.uniform(0.5, 2.5) * genre + own / np.linalg.norm(own))
    vectors = np.array(rows, dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    papers = [p(f"g{i}", f"paper {i}") for i in range(n)]
    query = (2 * genre + topic).astype(np.float32)
    return papers, vectors, query / np.linalg.norm(query)


def test_distinctive_cosines_rank_the_on_topic_paper_above_a_generic_one() -> None:
    from digest.ranking.index import CorpusIndex

    papers, vectors, query = _genre_corpus(40)
    index = CorpusIndex(papers, vectors=vectors)
    raw = index.cosines(query[None])[:, 0]
    distinctive = index.cosines(query[None], distinctive=True)[:, 0]
    assert raw[0] > raw[1]  # plain cosine: the paper that is mostly genre wins
    assert distinctive[1] > distinctive[0]  # without the shared directions: the topic wins
    assert distinctive.argmax() == 1


def test_distinctive_cosines_are_cosines_of_the_projected_vectors() -> None:
    from digest.ranking.index import CorpusIndex, Directions

    papers, vectors, query = _genre_corpus(30)
    index = CorpusIndex(papers, vectors=vectors)
    basis = Directions.of(vectors, None).papers.basis
    assert np.allclose(basis @ basis.T, np.eye(2))

    def without(m: np.ndarray) -> np.ndarray:
        m = m.astype(np.float64) - (m @ basis.T) @ basis
        return m / np.linalg.norm(m, axis=-1, keepdims=True)

    expected = without(vectors) @ without(query[None])[0]
    assert np.allclose(index.cosines(query[None], distinctive=True)[:, 0], expected, atol=1e-5)


def test_a_small_day_keeps_plain_cosines() -> None:
    """With few papers the shared directions would be the day's topics: nothing is removed."""
    from digest.ranking.index import MIN_PAPERS_FOR_COMMON, CorpusIndex

    papers, vectors, query = _genre_corpus(MIN_PAPERS_FOR_COMMON - 1)
    index = CorpusIndex(papers, vectors=vectors)
    assert np.array_equal(index.cosines(query[None], distinctive=True), index.cosines(query[None]))


def test_mean_of_two_best_per_group_and_column_with_ties_and_single_rows() -> None:
    from digest.ranking.index import _mean_of_two_best

    values = np.array(
        [
            [0.1, 5.0],  # group 0: three rows
            [0.9, 5.0],  # a tie for the best in column 1: both count
            [0.5, 1.0],
            [0.3, -2.0],  # group 1: one row, its own value
            [-1.0, 0.0],  # group 2: two rows
            [-3.0, 4.0],
        ]
    )
    got = _mean_of_two_best(values, np.array([0, 3, 4]), np.array([3, 1, 2]))
    assert np.allclose(got, [[0.7, 5.0], [0.3, -2.0], [-2.0, 2.0]])


def test_an_exact_phrase_is_explained_whole() -> None:
    papers = [
        p("a", "Diffusion Policy for Robots", "A diffusion policy steers robots."),
        p("b", "Policy Diffusion in Cities", "How a policy spreads between robots."),
    ]
    profile = ChannelProfile(interests=(query('"diffusion policy" robots'),))
    items = {i.paper.key: i for i in LexicalRanker().score(papers, profile)}
    assert items["a"].why == 'matches “"diffusion policy" robots” (diffusion policy, robots)'
    assert not items["b"].relevance  # the phrase is required, not just its words


def test_a_like_interest_picks_only_papers_resembling_its_seed() -> None:
    seed = p("2401.00001", "Diffusion Policy for Robots", "A diffusion policy for manipulation.")
    papers = [
        seed,
        p("2401.00003", "Visuomotor Diffusion Policies", "Diffusion policies for manipulation."),
        p("2401.00002", "Protein Folding at Scale", "Folding proteins with transformers."),
    ]
    ranker = LexicalRanker()
    alone = ChannelProfile(interests=(query("like:2401.00001"),), seeds={"2401.00001": seed})
    items = ranker.score(papers, alone)
    relevant = [(i.paper.key, i.why) for i in items if (i.relevance or 0) > 0]
    # Not every paper (as when the seed went unresolved): the one like it; not the seed itself.
    assert relevant == [("2401.00003", "similar to “Diffusion Policy for Robots”")]
    # A seed nobody stored matches nothing, rather than everything.
    unknown = ChannelProfile(interests=(query("like:2401.09999"),))
    assert all(not i.relevance for i in ranker.score(papers, unknown))
    # With words too, the words' matches count as well as the seed's look-alikes.
    mixed = ChannelProfile(
        interests=(query("protein like:2401.00001"),), seeds={"2401.00001": seed}
    )
    relevant_keys = {i.paper.key for i in ranker.score(papers, mixed) if (i.relevance or 0) > 0}
    assert relevant_keys == {"2401.00002", "2401.00003"}


def test_seed_ids_come_from_like_operators_and_seed_interests() -> None:
    from digest.ranking.ranker import seed_ids

    interests = (
        query("diffusion like:2401.00001v2 like:arXiv:2401.00002"),
        Interest(kind=InterestKind.SEED, text="2401.00003"),
        query("like:2401.00001"),  # named twice: once is enough
        Interest(kind=InterestKind.AUTHOR, text="like:2401.00004"),  # an author, not a seed
    )
    assert seed_ids(interests) == ("2401.00001", "2401.00002", "2401.00003")


def test_an_acronym_is_explained_by_the_form_the_paper_uses() -> None:
    papers = [
        p("short", "RLHF at scale", "We study RLHF reward models."),
        p("spelled", "Preference tuning", "Reinforcement learning from human feedback, again."),
        p("other", "Protein folding", "Structures of proteins."),
    ]
    items = {
        i.paper.key: i.why
        for i in LexicalRanker().score(papers, ChannelProfile(interests=(query("RLHF reward"),)))
    }
    assert items["short"] == "matches “RLHF reward” (RLHF, reward)"
    assert items["spelled"] == "matches “RLHF reward” (reinforcement learning from human feedback)"


_PIECES = st.sampled_from(
    [
        "mixture",
        "of",
        "experts",
        "mixture-of-experts",
        "MoE",
        "RL",
        "reinforcement",
        "-",
        "a",
        "learning",
        "multi-agent",
        "from",
        "human",
        "feedback",
        "RLHF",
        "é",
        "x-",
        "--",
        "(MoE)",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=8).map(" ".join))
def test_any_interest_is_ranked_and_explained(text: str) -> None:
    papers = [
        p("a", "Mixture-of-Experts (MoE) routing", "Reinforcement learning from human feedback."),
        p("b", "Multi-agent RL", "MARL with a learned critic."),
    ]
    try:
        parse_query(text)
    except UsageError:
        return
    items = LexicalRanker().score(papers, ChannelProfile(interests=(query(text),)))
    assert sorted(i.paper.key for i in items) == ["a", "b"]
    assert all(i.why for i in items)


def test_a_spelled_out_interest_is_explained_by_the_acronym_a_paper_uses() -> None:
    papers = [
        p("long", "Sparse models", "A mixture of experts for translation."),
        # Defines the acronym, written in mixed case: explanations write it the same way.
        p("defines", "Routing", "We scale Mixture-of-Experts (MoE) layers."),
        p("short", "MoE at scale", "An MoE with 64 experts."),
        p("marl", "Cooperation", "MARL agents learn to share rewards."),
        p("other", "Protein folding", "Structures of proteins."),
    ]
    profile = ChannelProfile(
        interests=(query("mixture-of-experts routing"), query("multi-agent reinforcement learning"))
    )
    items = {i.paper.key: i.why for i in LexicalRanker().score(papers, profile)}
    assert items["long"] == "matches “mixture-of-experts routing” (mixture of experts)"
    assert items["defines"] == "matches “mixture-of-experts routing” (mixture of experts, routing)"
    assert items["short"] == "matches “mixture-of-experts routing” (MoE)"
    assert items["marl"] == "matches “multi-agent reinforcement learning” (MARL)"
    assert items["other"] == "no interest matched"


def test_best_per_column_finds_each_columns_largest_rows() -> None:
    from digest.ranking.topk import best_per_column

    values = np.random.default_rng(3).normal(size=(200, 7)).astype(np.float32)
    for k in (1, 5, 20):  # the argmax passes and, above 16, the partition
        got = best_per_column(values, k)
        assert got.shape == (k, 7)
        expected = np.argsort(-values, axis=0)[:k]
        assert np.array_equal(np.sort(got, axis=0), np.sort(expected, axis=0))
    assert best_per_column(values[:3], 5).shape == (3, 7)  # never more rows than there are


def test_z_scores_each_column_and_zeroes_a_constant_one() -> None:
    from digest.ranking.topk import zscore

    values = np.asfortranarray(np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]], dtype=np.float32))
    z = zscore(values)
    assert z.dtype == np.float32 and z.flags.f_contiguous
    assert np.allclose(z[:, 0], [-1.2247449, 0.0, 1.2247449])
    assert np.array_equal(z[:, 1], [0.0, 0.0, 0.0])
