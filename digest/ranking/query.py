"""The interest syntax people type: free text plus a few operators for control.

diffusion policy                 free text (every word counts, none is required)
"exact phrase"                   a phrase that must appear as written
-exclude  /  NOT term            papers with the term are dropped
author:"Yann LeCun"  author:Sutton
cat:cs.LG                        arXiv category (primary or cross-list)
like:2401.12345                  more like this paper (a seed)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digest.errors import UsageError
from digest.identifiers import parse_arxiv_id

__all__ = ["MAX_QUERY_LENGTH", "ParsedQuery", "interest_filters", "parse_query"]

MAX_QUERY_LENGTH = 500
_FIELDS = {"author", "cat", "category", "like"}
_TOKEN = re.compile(
    r'(?P<neg>-)?(?:(?P<field>[A-Za-z]+):)?(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"]+))'
)
_CATEGORY = re.compile(r"^[a-z-]+(\.[A-Za-z-]+)?$")


@dataclass(frozen=True, kw_only=True, slots=True)
class ParsedQuery:
    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    seeds: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The words that describe the topic (terms and phrases), for lexical and dense scoring."""
        return " ".join((*self.phrases, *self.terms))

    @property
    def is_empty(self) -> bool:
        return not (self.terms or self.phrases or self.authors or self.categories or self.seeds)


def parse_query(text: str) -> ParsedQuery:
    """Parse an interest. Raises UsageError with the right usage when it cannot be understood."""
    text = text.strip()
    if not text:
        raise UsageError("an interest needs some words, e.g. `diffusion policy`")
    if len(text) > MAX_QUERY_LENGTH:
        raise UsageError(f"an interest is at most {MAX_QUERY_LENGTH} characters")
    if text.count('"') % 2:
        raise UsageError('unclosed quote: write phrases as "exact phrase"')
    parts: dict[str, list[str]] = {
        k: [] for k in ("terms", "phrases", "excluded", "authors", "categories", "seeds")
    }
    negate_next = False
    position = 0
    for match in _TOKEN.finditer(text):
        if text[position : match.start()].strip():
            raise UsageError(f"cannot read `{text[position : match.start()].strip()}`")
        position = match.end()
        field = (match.group("field") or "").lower()
        value = match.group("quoted") if match.group("quoted") is not None else match.group("bare")
        value = value.strip()
        negated = bool(match.group("neg")) or negate_next
        negate_next = False
        if (
            not field
            and not match.group("neg")
            and value == "NOT"
            and match.group("quoted") is None
        ):
            negate_next = True
            continue
        if not field and value.endswith(":") and value[:-1].lower() in _FIELDS:
            field = value[:-1].lower()
            raise UsageError(f"`{field}:` needs a value, e.g. {field}:{_example(field)}")
        if field and field not in _FIELDS:
            # "word:thing" that is not an operator is ordinary text (e.g. "Re:Invent").
            value, field = f"{match.group('field')}:{value}", ""
        if not value:
            if field:
                raise UsageError(f"`{field}:` needs a value, e.g. {field}:{_example(field)}")
            continue
        if negated:
            parts["excluded"].append(value.lower())
        elif field == "author":
            parts["authors"].append(value)
        elif field in ("cat", "category"):
            if not _CATEGORY.match(value):
                raise UsageError(f"`{value}` is not an arXiv category (e.g. cs.LG, stat.ML)")
            parts["categories"].append(value)
        elif field == "like":
            arxiv = parse_arxiv_id(value)
            if arxiv is None:
                raise UsageError(f"`like:` takes an arXiv id, e.g. like:2401.12345 (got `{value}`)")
            parts["seeds"].append(arxiv.base)
        elif match.group("quoted") is not None:
            parts["phrases"].append(value)
        else:
            parts["terms"].append(value)
    if negate_next:
        raise UsageError("`NOT` must be followed by a term, e.g. NOT survey")
    parsed = ParsedQuery(**{k: tuple(v) for k, v in parts.items()})
    if parsed.is_empty:
        raise UsageError("an interest needs at least one thing to look for besides exclusions")
    return parsed


def _example(field: str) -> str:
    return {"author": '"Ada Lovelace"', "cat": "cs.LG", "category": "cs.LG", "like": "2401.12345"}[
        field
    ]


Filters = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def interest_filters(kind: str, text: str) -> Filters:
    """The hard filters an interest sets: (authors, categories, exact phrases). An author or
    category follow is its own filter; a query carries its author:, cat: and "phrases"; a
    query that no longer parses sets none."""
    if kind == "author":
        return (text,), (), ()
    if kind == "category":
        return (), (text,), ()
    if kind != "query":
        return (), (), ()
    try:
        parsed = parse_query(text)
    except UsageError:
        return (), (), ()
    return parsed.authors, parsed.categories, parsed.phrases
