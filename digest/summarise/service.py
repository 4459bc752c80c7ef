"""Resolve a reference to a paper, then summarise it once per summariser (cached)."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from digest.errors import SourceError, UsageError
from digest.models import DigestItem, Interest, InterestKind, Paper
from digest.ports import Clock, Repository
from digest.ranking.ranker import ChannelProfile, LexicalRanker
from digest.sources.arxiv import ArxivApi
from digest.sources.hf import HfSearch
from digest.summarise.extractive import ExtractiveSummariser
from digest.summarise.fulltext import FullTextSource
from digest.summarise.model import Section, Summariser, Summary
from digest.summarise.reference import parse_reference

__all__ = ["HfSummariser", "Resolution", "SummaryService"]

log = logging.getLogger(__name__)


class HfSummariser:
    """Hugging Face's own ``ai_summary`` and ``ai_keywords``, labelled as such."""

    name = "hf"

    def __init__(self, extractive: ExtractiveSummariser | None = None) -> None:
        self._extractive = extractive or ExtractiveSummariser()

    def summarise(self, paper: Paper, sections: Sequence[Section] = ()) -> Summary:
        base = self._extractive.summarise(paper, sections)
        points = list(base.points[:4])
        if paper.ai_keywords:
            points.append("Keywords (Hugging Face): " + ", ".join(paper.ai_keywords[:8]))
        return Summary.of(
            paper,
            tldr=paper.ai_summary or base.tldr,
            points=points,
            summariser=self.name,
            note="TL;DR written by Hugging Face's AI",
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Resolution:
    paper: Paper | None = None
    candidates: tuple[Paper, ...] = ()


class SummaryService:
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        summariser: Summariser | None = None,
        full_text: FullTextSource | None = None,
        arxiv: ArxivApi | None = None,
        hf_search: HfSearch | None = None,
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._extractive = ExtractiveSummariser()
        self._summariser: Summariser = summariser or self._extractive
        self._hf = HfSummariser(self._extractive)
        self._full_text = full_text
        self._arxiv = arxiv
        self._hf_search = hf_search

    # --- resolving ------------------------------------------------------------------------
    async def resolve(self, text: str, local: Sequence[Paper] = ()) -> Resolution:
        """The paper a person means, or a few candidates to choose from. UsageError when the
        reference is refused or names nothing."""
        reference = parse_reference(text)
        if reference.kind == "arxiv":
            return Resolution(paper=await self._by_arxiv_id(reference.value, local))
        if reference.kind == "doi":
            found = await asyncio.to_thread(self._by_doi, reference.value, local)
            if found is None:
                raise UsageError(
                    f"DOI {reference.value} is not among the stored papers "
                    "(following doi.org to publishers is turned off)"
                )
            return Resolution(paper=found)
        return await self._by_title(reference.value, local)

    async def _by_arxiv_id(self, arxiv_id: str, local: Sequence[Paper]) -> Paper:
        found = next((p for p in local if p.arxiv_id == arxiv_id), None)
        found = found or self._repository.get_paper(arxiv_id)
        if found is not None:
            return found
        if self._arxiv is None:
            raise UsageError(f"arXiv paper {arxiv_id} is not stored, and arXiv is not reachable")
        try:
            fetched = await self._arxiv.by_ids([arxiv_id])
        except SourceError as exc:
            raise UsageError(f"could not look {arxiv_id} up on arXiv ({exc.reason})") from None
        if not fetched:
            raise UsageError(f"arXiv has no paper {arxiv_id}")
        self._repository.upsert_papers(fetched[:1], self._clock.now())
        return self._repository.get_paper(arxiv_id) or fetched[0]

    def _by_doi(self, doi: str, local: Sequence[Paper]) -> Paper | None:
        pool = [*local, *self._repository.list_papers(limit=50_000)]
        return next((p for p in pool if p.doi == doi), None)

    def _title_matches(self, words: str, local: Sequence[Paper]) -> list[DigestItem]:
        pool = [*local, *self._repository.list_papers(limit=20_000)]
        profile = ChannelProfile(interests=(Interest(kind=InterestKind.QUERY, text=words),))
        try:
            ranked = LexicalRanker().score(pool, profile)
        except UsageError:
            return []
        return [i for i in ranked if (i.relevance or 0) >= 0.3][:3]

    async def _by_title(self, words: str, local: Sequence[Paper]) -> Resolution:
        # Reading and scoring thousands of stored papers: off the event loop (see resolve).
        scored = await asyncio.to_thread(self._title_matches, words, local)
        if scored:
            top = scored[0]
            clear = len(scored) == 1 or (top.relevance or 0) - (scored[1].relevance or 0) >= 0.15
            if clear and (top.relevance or 0) >= 0.5:
                return Resolution(paper=top.paper)
            return Resolution(candidates=tuple(i.paper for i in scored))
        if self._hf_search is not None:
            try:
                remote = await self._hf_search.search(words, limit=3)
            except SourceError as exc:
                raise UsageError(
                    f"no stored paper matches, and Hugging Face search failed ({exc.reason})"
                ) from None
            if len(remote) == 1:
                return Resolution(paper=remote[0])
            if remote:
                return Resolution(candidates=tuple(remote))
        raise UsageError(f"no paper matches “{words}”; try an arXiv id or link")

    # --- summarising ----------------------------------------------------------------------
    def _choose(self, paper: Paper) -> Summariser:
        if self._summariser is self._extractive and paper.ai_summary:
            return self._hf
        return self._summariser

    async def summarise(self, paper: Paper) -> Summary:
        summariser = self._choose(paper)
        cached = self._repository.get_summary(paper.key, summariser.name)
        if cached:
            return Summary.from_json(cached)
        sections: list[Section] = []
        if self._full_text is not None and paper.arxiv_id and summariser.name != "hf":
            sections = await self._full_text.sections(paper.arxiv_id)
        if inspect.iscoroutinefunction(summariser.summarise):
            summary = await summariser.summarise(paper, sections)
        else:  # an offline summariser computes: off the event loop
            result = await asyncio.to_thread(summariser.summarise, paper, sections)
            summary = await result if inspect.isawaitable(result) else result
        if summary.summariser == summariser.name:  # fallbacks are not cached as the real thing
            self._repository.put_summary(
                paper.key, summariser.name, summary.to_json(), self._clock.now()
            )
        return summary

    def quick_tldr(self, paper: Paper) -> str:
        """A digest's TL;DR: the cached summary's, else the offline one (no network)."""
        for name in (self._summariser.name, "hf", "extractive"):
            cached = self._repository.get_summary(paper.key, name)
            if cached:
                return Summary.from_json(cached).tldr
        summariser = self._hf if paper.ai_summary else self._extractive
        summary = summariser.summarise(paper)
        self._repository.put_summary(
            paper.key, summariser.name, summary.to_json(), self._clock.now()
        )
        return summary.tldr
