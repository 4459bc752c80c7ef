"""Full text from arXiv's HTML rendering: cleaned, split into titled sections, bounded."""

from __future__ import annotations

import logging

from lxml import etree, html

from digest.errors import SourceError
from digest.parsers.common import clean_text
from digest.sources.http import HttpFetcher
from digest.summarise.model import Section

__all__ = ["FullTextSource", "parse_arxiv_html"]

log = logging.getLogger(__name__)
_DROP = ("script", "style", "nav", "header", "footer", "math", "figure", "table", "noscript")


def parse_arxiv_html(data: bytes, *, max_chars: int = 40_000) -> list[Section]:
    """Sections (heading, text) of an arXiv HTML paper, at most ``max_chars`` in all."""
    try:
        document = html.fromstring(data)
    except (etree.ParserError, ValueError):
        return []
    for element in document.xpath("|".join(f"//{tag}" for tag in _DROP)):
        element.drop_tree()
    sections: list[Section] = []
    total = 0
    for heading in document.xpath("//h2|//h3"):
        title = clean_text(heading.text_content())
        texts = []
        for sibling in heading.itersiblings():
            if sibling.tag in ("h2", "h3"):
                break
            texts.append(clean_text(sibling.text_content()))
        text = " ".join(t for t in texts if t)
        if not title or not text or title.lower().startswith(("references", "bibliography")):
            continue
        text = text[: max(0, max_chars - total)]
        if not text:
            break
        sections.append(Section(title=title, text=text))
        total += len(text)
    return sections


class FullTextSource:
    """``<base>/<arxiv id>``; a missing rendering (many papers have none) is simply no text."""

    def __init__(
        self,
        fetcher: HttpFetcher,
        *,
        base_url: str = "https://arxiv.org/html",
        max_chars: int = 40_000,
    ) -> None:
        self._fetcher = fetcher
        self._base = base_url.rstrip("/")
        self._max_chars = max_chars

    async def sections(self, arxiv_id: str) -> list[Section]:
        try:
            # One try: a summary should not wait long for text that only improves it.
            response = await self._fetcher.get(
                "arxiv-html", f"{self._base}/{arxiv_id}", conditional=False, attempts=1
            )
        except SourceError as exc:
            log.info("no full text", extra={"paper": arxiv_id, "reason": exc.reason})
            return []
        return parse_arxiv_html(response.content, max_chars=self._max_chars)
