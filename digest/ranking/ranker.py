"""Ranking a day's papers for one channel: interests, feedback, priors, diversity, explanations.

This is the lexical ranker (BM25 with acronym expansion); it needs no model and is the
fallback whenever no embedding model is installed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from digest.errors import UsageError
from digest.identifiers import normalise_title
from digest.models import DigestItem, Interest, InterestKind, Paper
from digest.ranking.acronyms import BASE_ACRONYMS, mine_acronyms
from digest.ranking.bm25 import Bm25Index
from digest.ranking.query import ParsedQuery, parse_query
from digest.ranking.text import tokenize

__all__ = ["ChannelProfile", "LexicalRanker", "Priors", "select"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Priors:
    """Signals a user expects besides topic match; each can be switched off per channel."""

    upvotes: bool = True
    recency: bool = True
    code: bool = True


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelProfile:
    interests: tuple[Interest, ...]
    liked: tuple[Paper, ...] = ()
    disliked: tuple[Paper, ...] = ()
    # Seed papers named by like:<id> interests, resolved by the caller.
    seeds: Mapping[str, Paper] = field(default_factory=dict)
    priors: Priors = field(default_factory=Priors)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Match:
    relevance: float
    label: str
    words: tuple[str, ...] = ()


def _contains_author(paper: Paper, name: str) -> bool:
    wanted = normalise_title(name).split()
    if not wanted:
        return False
    for author in paper.authors:
        have = normalise_title(author).split()
        if not have:
            continue
        if have == wanted or (len(wanted) == 1 and have[-1] == wanted[0]):
            return True
        # "Y. LeCun" matches "Yann LeCun": same last name and first initial.
        if have[-1] == wanted[-1] and have[0][:1] == wanted[0][:1]:
            return True
    return False


def _in_category(paper: Paper, category: str) -> bool:
    category = category.lower()
    return any(
        c.lower() == category or c.lower().startswith(category + ".") for c in paper.categories
    )


class LexicalRanker:
    name = "lexical"

    def __init__(self, acronyms: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self._base_acronyms = dict(acronyms if acronyms is not None else BASE_ACRONYMS)

    def score(
        self, papers: Sequence[Paper], profile: ChannelProfile, *, today: date | None = None
    ) -> list[DigestItem]:
        """Every paper scored in [0, ~1.1] with an explanation, best first (ties by key)."""
        if not papers:
            return []
        index = Bm25Index(papers)
        acronyms = {**mine_acronyms(p.abstract for p in papers), **self._base_acronyms}
        reverse = {long: acr for acr, longs in acronyms.items() for long in longs}
        texts = [f"{p.title} {p.abstract}".lower() for p in papers]
        queries = self._parsed_interests(profile.interests)
        exclusions = [i.text.lower() for i in profile.interests if i.kind == InterestKind.EXCLUSION]
        exclusions += [term for _, q in queries if q for term in q.excluded]
        max_weight = max((i.weight for i in profile.interests), default=1.0) or 1.0
        vectors = _TfIdf(index, papers)
        variants = {
            id(interest): _variants(parsed.text, acronyms, reverse) if parsed else []
            for interest, parsed in queries
        }
        items: list[DigestItem] = []
        for doc, paper in enumerate(papers):
            if any(_mentions(texts[doc], term) for term in exclusions):
                items.append(DigestItem(paper=paper, score=0.0, why="excluded by an exclusion"))
                continue
            best: _Match | None = None
            best_score = 0.0
            for interest, parsed in queries:
                match = self._match(
                    interest,
                    parsed,
                    doc,
                    paper,
                    index,
                    texts[doc],
                    variants[id(interest)],
                    profile,
                    vectors,
                )
                weighted = match.relevance * math.sqrt(max(interest.weight, 0.0) / max_weight)
                if weighted > best_score:
                    best, best_score = match, weighted
            score, why = best_score, _explain(best)
            if profile.liked or profile.disliked:
                liked = max((vectors.similarity(doc, p) for p in profile.liked), default=0.0)
                disliked = max((vectors.similarity(doc, p) for p in profile.disliked), default=0.0)
                score += 0.4 * liked - 0.4 * disliked
                if liked > 0.3 and liked >= best_score:
                    why = f"resembles a paper you liked{_liked_title(profile.liked, vectors, doc)}"
            if score > 0:
                score += _prior_bonus(paper, profile.priors, today)
            items.append(DigestItem(paper=paper, score=round(max(score, 0.0), 6), why=why))
        items.sort(key=lambda item: (-item.score, item.paper.key))
        return items

    @staticmethod
    def _parsed_interests(
        interests: Sequence[Interest],
    ) -> list[tuple[Interest, ParsedQuery | None]]:
        parsed: list[tuple[Interest, ParsedQuery | None]] = []
        for interest in interests:
            if interest.kind == InterestKind.EXCLUSION:
                continue
            if interest.kind == InterestKind.QUERY:
                try:
                    parsed.append((interest, parse_query(interest.text)))
                except UsageError:
                    continue  # stored before the syntax got stricter: ignore, never crash
            else:
                parsed.append((interest, None))
        return parsed

    def _match(
        self,
        interest: Interest,
        parsed: ParsedQuery | None,
        doc: int,
        paper: Paper,
        index: Bm25Index,
        text: str,
        variants: Sequence[tuple[str, list[str]]],
        profile: ChannelProfile,
        vectors: _TfIdf,
    ) -> _Match:
        if interest.kind == InterestKind.AUTHOR:
            hit = _contains_author(paper, interest.text)
            return _Match(relevance=1.0 if hit else 0.0, label=f"author {interest.text}")
        if interest.kind == InterestKind.CATEGORY:
            hit = _in_category(paper, interest.text)
            return _Match(relevance=0.5 if hit else 0.0, label=f"category {interest.text}")
        if interest.kind == InterestKind.SEED:
            seed = profile.seeds.get(interest.text)
            sim = vectors.similarity(doc, seed) if seed and seed.key != paper.key else 0.0
            return _Match(
                relevance=sim, label=f"similar to {seed.title if seed else interest.text}"
            )
        assert parsed is not None
        label = f"“{interest.text}”"
        if any(not _mentions(text, phrase.lower()) for phrase in parsed.phrases):
            return _Match(relevance=0.0, label=label)
        if parsed.authors and not any(_contains_author(paper, a) for a in parsed.authors):
            return _Match(relevance=0.0, label=label)
        if parsed.categories and not any(_in_category(paper, c) for c in parsed.categories):
            return _Match(relevance=0.0, label=label)
        relevance, words = 0.0, ()
        for variant, terms in variants:
            if not terms:
                continue
            value = index.score(doc, terms)
            if value > relevance:
                relevance = value
                words = tuple(
                    w for w in variant.split() if any(index.contains(doc, t) for t in tokenize(w))
                )
        if not parsed.text:  # only operators: author/category/seed filters passed
            relevance = 0.6
        for seed_id in parsed.seeds:
            seed = profile.seeds.get(seed_id)
            if seed and seed.key != paper.key:
                relevance = max(relevance, vectors.similarity(doc, seed))
        return _Match(relevance=relevance, label=label, words=words)


def _variants(
    text: str, acronyms: Mapping[str, tuple[str, ...]], reverse: Mapping[str, str]
) -> list[tuple[str, list[str]]]:
    """The query as typed, with acronyms spelled out, and with long forms abbreviated,
    each with its tokens."""
    return [(v, tokenize(v)) for v in _spell_variants(text, acronyms, reverse)]


def _spell_variants(
    text: str, acronyms: Mapping[str, tuple[str, ...]], reverse: Mapping[str, str]
) -> list[str]:
    variants = [text]
    lowered = text.lower()
    for word in re.findall(r"[A-Za-z][A-Za-z0-9-]*", text):
        for long_form in acronyms.get(word.lower(), ())[:3]:
            variants.append(re.sub(rf"\b{re.escape(word)}\b", long_form, text))
    for long_form, acronym in reverse.items():
        if len(long_form) > 8 and long_form in lowered:
            variants.append(lowered.replace(long_form, acronym))
    return list(dict.fromkeys(variants))


def _mentions(text: str, term: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text) is not None


def _explain(match: _Match | None) -> str:
    if match is None or match.relevance <= 0:
        return "no interest matched"
    if match.words:
        return f"matches {match.label}: {', '.join(dict.fromkeys(match.words))}"
    return f"matches {match.label}"


def _liked_title(liked: Sequence[Paper], vectors: _TfIdf, doc: int) -> str:
    best = max(liked, key=lambda p: vectors.similarity(doc, p))
    return f": {best.title}"


def _prior_bonus(paper: Paper, priors: Priors, today: date | None) -> float:
    bonus = 0.0
    if priors.upvotes and paper.upvotes:
        bonus += 0.06 * min(1.0, math.log1p(paper.upvotes) / math.log(101))
    if priors.recency and today and paper.published:
        age = (today - paper.published).days
        bonus += 0.03 * max(0.0, 1 - age / 14) if age >= 0 else 0.0
    if priors.code and paper.code_url:
        bonus += 0.02
    return bonus


class _TfIdf:
    """Cosine similarity of idf-weighted term vectors, for seeds and feedback."""

    def __init__(self, index: Bm25Index, papers: Sequence[Paper]) -> None:
        self._index = index
        self._papers = papers
        self._cache: dict[str, dict[str, float]] = {}

    def vector(self, paper: Paper) -> dict[str, float]:
        if paper.key not in self._cache:
            counts: dict[str, float] = {}
            for token in tokenize(f"{paper.title} {paper.title} {paper.abstract}"):
                counts[token] = counts.get(token, 0.0) + 1.0
            vec = {t: (1 + math.log(c)) * self._index.idf(t) for t, c in counts.items()}
            norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            self._cache[paper.key] = {t: v / norm for t, v in vec.items()}
        return self._cache[paper.key]

    def similarity(self, doc: int, other: Paper) -> float:
        mine, theirs = self.vector(self._papers[doc]), self.vector(other)
        if len(theirs) < len(mine):
            mine, theirs = theirs, mine
        return sum(v * theirs.get(t, 0.0) for t, v in mine.items())


def select(
    items: Sequence[DigestItem], *, top: int, min_score: float = 0.0, diversity: float = 0.3
) -> list[DigestItem]:
    """The digest: above the threshold, near-duplicates dropped, then MMR for variety.

    Never padded: a weak day yields a shorter digest.
    """
    eligible = [i for i in items if i.score > 0 and i.score >= min_score]
    token_sets = {id(i): set(tokenize(f"{i.paper.title} {i.paper.abstract}")) for i in eligible}
    chosen: list[DigestItem] = []
    seen_titles: set[str] = set()
    while eligible and len(chosen) < top:
        best, best_value = None, -math.inf
        for item in eligible:
            overlap = max(
                (_jaccard(token_sets[id(item)], token_sets[id(c)]) for c in chosen), default=0.0
            )
            value = item.score - diversity * overlap
            if value > best_value:
                best, best_value = item, value
        assert best is not None
        eligible.remove(best)
        title_key = normalise_title(best.paper.title)
        near_duplicate = title_key in seen_titles or any(
            _jaccard(token_sets[id(best)], token_sets[id(c)]) > 0.8 for c in chosen
        )
        if near_duplicate:
            continue
        seen_titles.add(title_key)
        chosen.append(best)
    return chosen


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
