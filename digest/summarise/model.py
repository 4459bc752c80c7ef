"""Summary values and the Summariser port."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

from digest.models import Paper

__all__ = ["Section", "Summariser", "Summary"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Section:
    """A titled part of a paper's full text."""

    title: str
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Summary:
    paper_key: str
    id: str | None
    title: str
    tldr: str
    points: tuple[str, ...]
    summariser: str  # extractive | hf | llm
    url: str | None
    note: str | None = None  # e.g. why the LLM was not used

    @classmethod
    def of(
        cls,
        paper: Paper,
        *,
        tldr: str,
        points: Sequence[str],
        summariser: str,
        note: str | None = None,
    ) -> Summary:
        return cls(
            paper_key=paper.key,
            id=paper.id,
            title=paper.title,
            tldr=tldr,
            points=tuple(points),
            summariser=summariser,
            url=paper.link,
            note=note,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Summary:
        data = json.loads(text)
        data["points"] = tuple(data.get("points", ()))
        return cls(**data)

    def contract(self) -> dict[str, object]:
        """The `paperboy summarize --json` shape."""
        return {
            "id": self.id,
            "title": self.title,
            "tldr": self.tldr,
            "points": list(self.points),
            "summariser": self.summariser,
            "url": self.url,
        }


class Summariser(Protocol):
    """Offline summarisers answer at once; network ones (the LLM) answer an awaitable."""

    name: str

    def summarise(
        self, paper: Paper, sections: Sequence[Section] = ()
    ) -> Summary | Awaitable[Summary]: ...
