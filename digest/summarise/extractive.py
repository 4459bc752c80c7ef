"""The offline summariser: whole sentences picked from the abstract (and full text), by role.

A TL;DR sentence and 3-5 key points labelled problem / method / result / limitations. Nothing
is paraphrased, so the paper's own numbers stay exactly as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from digest.models import Paper
from digest.summarise.model import Section, Summary

__all__ = ["ExtractiveSummariser", "split_sentences"]

_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9(\"'])")
_ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e|et al|vs|cf|Fig|Eq|Sec|approx|resp)\.$", re.IGNORECASE)
_CUES = {
    "problem": re.compile(
        r"\b(challeng\w*|problem\w*|difficult\w*|bottleneck\w*|lack\w*|limited|costly|expensive|"
        r"struggle\w*|remains? (a|an|open|unclear|underexplored)|however|yet|despite|suffer\w*|"
        r"prohibitive|inefficien\w*)\b",
        re.IGNORECASE,
    ),
    "method": re.compile(
        r"\b(we (propose|present|introduce|develop|design|describe|formulate|build|train|"
        r"construct|study|investigate|analy[sz]e|show)|this (paper|work)|in this (paper|work)|"
        r"our (method|approach|framework|model|algorithm|system)|"
        r"(is|are) (proposed|presented|introduced|developed)|^we [a-z]+)\b",
        re.IGNORECASE,
    ),
    "result": re.compile(
        r"(\d+(\.\d+)?\s?(%|x\b|×|points?\b|fold\b)|outperform\w*|state[- ]of[- ]the[- ]art|"
        r"improv\w*|achiev\w*|surpass\w*|(results?|experiments?|evaluations?) (show|demonstrate|"
        r"confirm|indicate|suggest)\w*|speed-?up|reduc\w* .* by)",
        re.IGNORECASE,
    ),
    "limitations": re.compile(
        r"\b(limitation\w*|future work|does not|do not|cannot|fails? to|only (when|if|for)|"
        r"restricted to|remains? (unclear|open)|left for)\b",
        re.IGNORECASE,
    ),
}
_LABELS = {
    "problem": "Problem",
    "method": "Method",
    "result": "Result",
    "limitations": "Limitations",
}
_RESULT_SECTIONS = re.compile(r"experiment|result|evaluation|benchmark", re.IGNORECASE)
_LIMIT_SECTIONS = re.compile(r"limitation|conclusion|discussion|future", re.IGNORECASE)


def split_sentences(text: str) -> list[str]:
    """Sentences kept whole; "e.g." and "et al." do not end one."""
    pieces = _SENTENCE.split(" ".join(text.split()))
    sentences: list[str] = []
    for piece in pieces:
        if sentences and _ABBREVIATIONS.search(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {piece}"
        elif piece.strip():
            sentences.append(piece.strip())
    return sentences


@dataclass(frozen=True, kw_only=True, slots=True)
class _Candidate:
    text: str
    section: str | None
    position: int


def _score(candidate: _Candidate, role: str) -> float:
    hits = len(_CUES[role].findall(candidate.text))
    if not hits:
        return 0.0
    score = float(hits)
    if role == "result":
        score += 0.5 * len(re.findall(r"\d", candidate.text)) ** 0.5
    if role == "problem":
        score += 1.0 / (1 + candidate.position)  # problems are stated early
    if role == "method" and re.search(r"\bwe (propose|present|introduce)", candidate.text, re.I):
        score += 2.0
    if 40 <= len(candidate.text) <= 400:
        score += 0.5
    return score


class ExtractiveSummariser:
    name = "extractive"

    def __init__(self, *, max_points: int = 5) -> None:
        self.max_points = max_points

    def summarise(self, paper: Paper, sections: Sequence[Section] = ()) -> Summary:
        abstract = [
            _Candidate(text=s, section=None, position=i)
            for i, s in enumerate(split_sentences(paper.abstract))
        ]
        body = [
            _Candidate(text=s, section=section.title, position=i)
            for section in sections
            for i, s in enumerate(split_sentences(section.text))
            if 30 <= len(s) <= 600
        ]
        if not abstract and not body:
            return Summary.of(paper, tldr=paper.title, points=(), summariser=self.name)
        pool = abstract or body
        tldr = max(
            pool, key=lambda c: (_score(c, "method") + 0.5 * _score(c, "result"), -c.position)
        )
        if _score(tldr, "method") == 0:
            tldr = pool[0]
        used = {tldr.text}
        points: list[str] = []
        for role in ("problem", "method", "result", "limitations"):
            candidates = list(abstract)
            if role == "result":
                candidates += [c for c in body if c.section and _RESULT_SECTIONS.search(c.section)]
            if role == "limitations":
                candidates += [c for c in body if c.section and _LIMIT_SECTIONS.search(c.section)]
            ranked = sorted(
                (c for c in candidates if c.text not in used),
                key=lambda c: (-_score(c, role), c.position),
            )
            if ranked and _score(ranked[0], role) > 0:
                chosen = ranked[0]
                used.add(chosen.text)
                where = f" ({chosen.section})" if chosen.section else ""
                points.append(f"{_LABELS[role]}{where}: {chosen.text}")
        for candidate in abstract:  # at least three points: fill with the abstract's order
            if len(points) >= 3:
                break
            if candidate.text not in used:
                used.add(candidate.text)
                points.append(f"Also: {candidate.text}")
        return Summary.of(
            paper, tldr=tldr.text, points=tuple(points[: self.max_points]), summariser=self.name
        )
