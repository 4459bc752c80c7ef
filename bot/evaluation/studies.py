"""Studies beside the main table: learning from votes, and what the embedding sees."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import numpy as np

from bot.crossval import cross_validate, fixed_folds
from bot.evaluation.metrics import JudgedSet, ndcg_at, paired_p_value
from bot.evaluation.systems import PHRASINGS, Embedded, paperboy_ranking, score_interests
from digest.models import Interest, InterestKind, Paper
from digest.ranking.embedding import Embedder, paper_text
from digest.ranking.index import CorpusIndex
from digest.ranking.ranker import ChannelProfile, HybridRanker

__all__ = ["FEEDBACK_SETTINGS", "embedding_input_effect", "feedback_effect", "feedback_scores"]


# The feedback settings cross-validation chooses among, the shipped defaults first (ties go
# to them), then the votes' embedding model alone as it was before the words, the per-length
# weights and the interests' own learning (the comparison the table's last rows keep).
BEFORE = "embeddings' model alone, 0.1 a vote"
FEEDBACK_SETTINGS: dict[str, dict[str, float]] = {
    "shipped defaults": {},
    BEFORE: {
        "feedback_per_vote": 0.1,
        "feedback_short_per_vote": 0.1,
        "feedback_lexical": 0.0,
        "likes_query_weight": 0.0,
    },
}
for _short, _sentence, _words, _query in itertools.product(
    (0.1, 0.15, 0.2), (0.0, 0.05), (0.3, 0.5), (0.0, 1.0)
):
    FEEDBACK_SETTINGS.setdefault(
        f"short {_short}/vote, sentence {_sentence}/vote, words {_words}, query {_query}",
        {
            "feedback_short_per_vote": _short,
            "feedback_per_vote": _sentence,
            "feedback_lexical": _words,
            "likes_query_weight": _query,
        },
    )


def feedback_effect(
    embedder: Embedder, embedded: Embedded, judged: JudgedSet, qids: Sequence[str]
) -> dict[str, dict[str, float]]:
    """nDCG@10 on the papers not voted on, with no votes, 3 likes, and 3 likes + 3 dislikes,
    the feedback settings cross-validated over interests like the ranking's own.

    The likes are the first three relevant papers of paperboy's own ranking, the dislikes
    its first three irrelevant ones: what a person reading the digest would vote on. The
    voted papers are left out of every ranking and of the judgments (they were seen)."""
    print(
        "\n== feedback: votes on paperboy's own first relevant / irrelevant papers, nDCG@10 "
        "on the other papers =="
    )
    indexes: dict[frozenset[str], CorpusIndex] = {}
    grid = {
        name: feedback_scores(HybridRanker(embedder, **overrides), embedded, judged, qids, indexes)  # type: ignore[arg-type]
        for name, overrides in FEEDBACK_SETTINGS.items()
    }
    folds = fixed_folds(qids, 5)
    units = [[f"{q}/{p}" for q in fold for p in PHRASINGS] for fold in folds]
    # Chosen on the mean of the two kinds of votes: a setting that helps likes alone but
    # turns on a channel once it also dislikes is no good.
    cv = cross_validate(
        {n: {u: (v[1] + v[2]) / 2 for u, v in scores.items()} for n, scores in grid.items()},
        units,
    )
    print(f"{len(grid)} settings; per fold, the one chosen on the other four:")
    for number, choice in enumerate(cv.chosen, start=1):
        print(f"  fold {number}: {choice}")
    print(
        f"  chosen on all interests: {cv.best_overall}"
        + (
            " (the shipped defaults)"
            if cv.best_overall == "shipped defaults"
            else " — the shipped defaults differ: update HybridRanker's defaults"
        )
    )
    fold_of = {u: i for i, fold in enumerate(units) for u in fold}
    held_out = {u: grid[cv.chosen[fold_of[u]]][u] for u in fold_of}
    result: dict[str, dict[str, float]] = {}
    for phrasing in PHRASINGS:
        for label, scores in (("cross-validated", held_out), (BEFORE, grid[BEFORE])):
            plain, liked, both = ([scores[f"{q}/{phrasing}"][i] for q in qids] for i in range(3))
            print(
                f"{phrasing:6} {label[:36]:36} no votes {np.mean(plain):.3f}  3 likes "
                f"{np.mean(liked):.3f} ({np.mean(liked) - np.mean(plain):+.3f}, "
                f"p={paired_p_value(liked, plain):.3f})  3 likes + 3 dislikes {np.mean(both):.3f} "
                f"({np.mean(both) - np.mean(plain):+.3f}, p={paired_p_value(both, plain):.3f})"
            )
        plain, liked, both = ([held_out[f"{q}/{phrasing}"][i] for q in qids] for i in range(3))
        result[phrasing] = {
            "none": float(np.mean(plain)),
            "likes": float(np.mean(liked)),
            "likes+dislikes": float(np.mean(both)),
        }
    return result


def feedback_scores(
    ranker: HybridRanker,
    embedded: Embedded,
    judged: JudgedSet,
    qids: Sequence[str],
    indexes: dict[frozenset[str], CorpusIndex] | None = None,
) -> dict[str, tuple[float, float, float]]:
    """Per "interest/phrasing": nDCG@10 with no votes, 3 likes, and 3 likes + 3 dislikes,
    over the papers not voted on (as the next days' papers are: the votes were on earlier
    papers, so the voted ones are not in the index ranked). ``indexes`` keeps the indexes
    without the voted papers between calls whose rankers differ only in feedback settings."""
    indexes = {} if indexes is None else indexes
    by_key = {p.key: p for p in judged.papers}
    full = embedded.index(ranker, judged.papers)

    def ranked(
        index: CorpusIndex, query: str, liked: Sequence[str] = (), disliked: Sequence[str] = ()
    ) -> list[str]:
        profile = ChannelProfile(
            interests=(Interest(kind=InterestKind.QUERY, text=query),),
            liked=tuple(by_key[k] for k in liked),
            disliked=tuple(by_key[k] for k in disliked),
        )
        return [item.paper.key for item in ranker.score_index(index, profile)]

    result = {}
    for qid in qids:
        for phrasing in PHRASINGS:
            query, grades = judged.queries[qid][phrasing], judged.qrels[qid]
            first = ranked(full, query)
            likes = [k for k in first if grades.get(k, 0) > 0][:3]
            dislikes = [k for k in first if grades.get(k, 0) == 0][:3]
            voted = set(likes) | set(dislikes)
            key = frozenset(voted)
            if key not in indexes:
                indexes[key] = embedded.index(
                    ranker, [p for p in judged.papers if p.key not in voted]
                )
            rest = indexes[key]
            grades = {k: g for k, g in grades.items() if k not in voted}
            result[f"{qid}/{phrasing}"] = (
                ndcg_at(ranked(rest, query), grades),
                ndcg_at(ranked(rest, query, likes), grades),
                ndcg_at(ranked(rest, query, likes, dislikes), grades),
            )
    return result


def _chunk_texts(paper: Paper, words: int = 90) -> list[str]:
    """The title, then the abstract's sentences grouped into chunks of about ``words`` words,
    each chunk led by the title (what a 128-token window can hold)."""
    chunks: list[list[str]] = [[]]
    for sentence in re.split(r"(?<=[.!?])\s+", paper.abstract):
        if chunks[-1] and sum(len(s.split()) for s in chunks[-1]) + len(sentence.split()) > words:
            chunks.append([])
        chunks[-1].append(sentence)
    return [f"{paper.title}. {' '.join(chunk)}".strip() for chunk in chunks if chunk]


def embedding_input_effect(
    ranker: HybridRanker, embedded: Embedded, judged: JudgedSet, qids: Sequence[str]
) -> None:
    """What cutting each paper to its first 128 tokens costs, against longer inputs and
    chunked vectors, with everything else as shipped (sentence re-scoring on and off)."""
    from digest.ranking.minilm import MiniLmEmbedder

    print("\n== what the embedding sees: mean nDCG@10 over every interest, shipped settings ==")
    papers = judged.papers
    longer = MiniLmEmbedder(max_tokens=256).embed([paper_text(p) for p in papers])
    pieces = [_chunk_texts(p) for p in papers]
    flat = ranker.embedder.embed([t for chunk in pieces for t in chunk])  # type: ignore[union-attr]
    offsets = np.cumsum([0, *map(len, pieces)])
    chunked = np.vstack([flat[a:b].mean(axis=0) for a, b in itertools.pairwise(offsets)])
    chunked /= np.linalg.norm(chunked, axis=1, keepdims=True)
    first = np.vstack([embedded.vectors[p.key] for p in papers])
    agreement = float(np.mean(np.sum(first * longer, axis=1)))
    print(f"(mean cosine between 128- and 256-token vectors of a paper: {agreement:.3f})")
    variants = {
        "first 128 tokens (shipped)": (ranker, first),
        "first 256 tokens": (ranker, longer),
        "128-token chunks, mean-pooled": (ranker, chunked),
        "first 128 tokens, no sentence re-scoring": (
            HybridRanker(ranker.embedder, sentence_depth=0),
            first,
        ),
    }
    for name, (variant, vectors) in variants.items():
        swapped = Embedded.of(
            {p.key: v for p, v in zip(papers, vectors, strict=True)}, embedded.sentences
        )
        measured = score_interests(paperboy_ranking(variant, papers, (), swapped), judged, qids)
        means = [np.mean([measured[f"{q}/{ph}"][0] for q in qids]) for ph in PHRASINGS]
        print(f"{name:44} {means[0]:.3f} / {means[1]:.3f}")
