"""Which line of a Daily Papers page text is a title, which is (part of) an abstract.

A page saved as text may keep nothing but the title and abstract lines: no blank lines, no
metadata, no dates. Per-line rules cannot tell a short single-sentence abstract from a
title, or a title ending in "?" from the end of an abstract. What can is the structure of
the whole page: entries are a title followed by an abstract, over and over. So every line
gets a cost for each role it could play, the grammar of the page says which role may follow
which, and a Viterbi pass (dynamic programming) picks the cheapest role sequence for the
whole file. Where blank lines or metadata blocks survive, they only make some choices
cheaper or forbidden; where nothing survives, alternation decides.

Costs are hand-set weights of evidence (roughly "nats"): 0 is unremarkable, 2 is a clear
oddity, 8 or more is a near-contradiction. Only differences between a line's roles matter.
"""

from __future__ import annotations

import enum
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from digest.parsers.listing_shape import LONG_LINE, Shape, judged_by_start, shape_of

__all__ = ["Line", "Role", "assign_roles"]


class Role(enum.Enum):
    HEADER = "header"  # page furniture before the first entry ("Subscribe", an unknown banner)
    TITLE = "title"  # starts an entry
    ABSTRACT = "abstract"  # the first line of the entry's abstract
    MORE = "more"  # a further line of the same abstract (text wrapped by a narrow window)
    FOOTER = "footer"  # page furniture after the last entry


@dataclass(frozen=True, kw_only=True, slots=True)
class Line:
    """A non-empty content line, with what the page said around it."""

    text: str
    blank_before: bool = False  # it starts a paragraph: first on the page, or after a blank
    boundary_before: bool = False  # a metadata block does: the previous entry ended there
    boilerplate: bool = False  # a known page-furniture line ("Daily Papers", "Subscribe")


_NO_ABSTRACT = 12.0  # a title with no abstract after it: only where the page was cut short
_ACROSS_BOUNDARY = 50.0  # an abstract cannot continue past a metadata block
# On a page that starts every title and abstract after a blank line, one that does not.
_UNBROKEN = 4.0
_MIN_WRAPPED = 5  # surely wrapped lines needed before a wrap width is trusted
_WIDEST_WRAP = 1.25  # wrapped lines stay within a long word of the width, near their median
# The width estimate can fall short of the true width by about a word when few lines show it.
_WIDTH_SLACK = 0.15
_FITTED = 3.0  # the next word fitted on the line before: that line ended its paragraph
_STARTS = frozenset({Role.TITLE, Role.ABSTRACT})  # the roles that start a paragraph
_MIN_STARTS = 4  # two entries' titles and abstracts, before a page's habit is trusted
# Share of titles and abstracts after a blank line that shows the habit, allowing for the
# first pass's own mistakes: packed pages score about 0, pages with blank lines only between
# entries about one half.
_BLANK_HABIT = 0.75


def _title_cost(s: Shape) -> float:
    cost = 0.0
    if s.length > 2 * LONG_LINE:
        cost += 40
    elif s.length > 250:
        cost += 8
    if s.length < 8:
        cost += 3
    if s.ends_mid_sentence:
        cost += 4  # "... and", "... of the,": a wrapped line, never a whole title
    elif s.ends_sentence:
        cost += 1.5  # titles can end in "?", "!" or ".", but most do not
    cost += 2.5 * min(s.inner_statements, 4) + 1.0 * min(s.inner_sentences, 4)
    if s.starts_lower:
        cost += 1.5
    if s.starts_prose:
        cost += 1.5
    if s.titleish:
        cost -= 1
    elif s.words >= 4:
        cost += 2  # sentence case: 4 of the 186 titles of the real pages, most abstract lines
        if s.ends_sentence:
            cost += 1.5  # and a full sentence at that: rarer in titles than either alone
    if s.markup:
        cost += 3
    return cost


def _abstract_cost(s: Shape) -> float:
    cost = 3.0 if s.starts_connective else 0.0
    if s.length < 30:
        cost += 3
    if s.starts_lower:
        cost += 1
    if s.titleish and s.length < 200:
        cost += 3  # reads like a second title, not like prose
    return cost


def _more_cost(s: Shape, prev: Shape, *, blank_before: bool, one_per_line: bool) -> float:
    # In a page that keeps each paragraph on one line, a second line of an abstract is
    # itself unusual; in a page wrapped by a narrow window it is the rule.
    cost = 5.0 if one_per_line else 1.0
    if blank_before:
        cost += 8
    if prev.length > LONG_LINE:
        cost += 4
    if prev.ends_mid_sentence:
        cost -= 2
    elif prev.ends_sentence:
        cost += 2
    elif prev.ends_link:
        cost += 1  # "code at https://...": a link usually closes an abstract
    elif prev.ends_open:
        cost -= 1
    if s.starts_lower:
        cost -= 2
    elif s.titleish:
        cost += 2
    elif prev.ends_open and s.starts_capitalised:
        cost += 1  # "... we propose\nMethod ...": names occur mid-sentence, but not often
    return cost


def _furniture_cost(s: Shape, line: Line) -> float:
    """A header or footer line: cheap when known, affordable when short, else implausible."""
    if line.boilerplate:
        return -3
    if s.length > 120 or s.inner_sentences:
        return 20
    cost = 1.5 + s.length / 80
    if s.words >= 5 and not s.titleish:
        cost += 2 + (1.5 if s.ends_sentence else 0)  # prose: an abstract's, not the page's
    if s.starts_lower:
        cost += 1
    if s.ends_link:
        cost += 2  # page text shows a link's words, not its address; abstracts do
    return cost


# Which role may follow which (None: the start of the page).
_FOLLOWS: dict[Role, tuple[Role | None, ...]] = {
    Role.HEADER: (None, Role.HEADER),
    Role.TITLE: (None, Role.HEADER, Role.TITLE, Role.ABSTRACT, Role.MORE),
    Role.ABSTRACT: (Role.TITLE,),
    Role.MORE: (Role.ABSTRACT, Role.MORE),
    Role.FOOTER: (Role.ABSTRACT, Role.MORE, Role.FOOTER),
}


def _step_cost(prev: Role | None, role: Role, prev_shape: Shape | None, line: Line) -> float:
    cost = 0.0
    if prev is Role.TITLE and role is Role.TITLE:
        cost += _NO_ABSTRACT
    if role is Role.TITLE and prev in (Role.ABSTRACT, Role.MORE) and prev_shape is not None:
        # An abstract that stops mid-sentence is more likely wrapped than finished.
        if prev_shape.ends_mid_sentence:
            cost += 3
        elif prev_shape.ends_open:
            cost += 1.5
    if line.boundary_before and role in (Role.ABSTRACT, Role.MORE):
        cost += _ACROSS_BOUNDARY
    return cost


def _wrap_width(lines: Sequence[Line]) -> int | None:
    """The width a narrow window wrapped the text at, or None when it was not wrapped.

    Measured on lines surely wrapped (the next line goes on in lower case): none is wider
    than the window, so the widest is the estimate, once the odd far wider line (a title
    before an abstract that starts "iMix ...") is set aside. A line of one unbreakable
    word (a long link) may overflow the window and says nothing.
    """
    lengths = sorted(
        len(line.text)
        for line, after in itertools.pairwise(lines)
        if after.text[:1].islower() and not after.blank_before and " " in line.text
    )
    if len(lengths) < _MIN_WRAPPED:
        return None
    median = lengths[len(lengths) // 2]
    return max(length for length in lengths if length <= _WIDEST_WRAP * median)


def _wrap_evidence(prev: Line, line: Line, width: int | None) -> float:
    """How strongly a narrow window's wrapping says the previous line ended its paragraph
    (positive) or went on into this one (negative); 0 when the page is not wrapped.

    A window breaks a line only when the next word does not fit. So if this line's first
    word would have fitted on the previous line, that line ended a paragraph. If it would
    not have, the previous line was full: that is certain for a wrapped line but happens
    by chance to a paragraph's last line (length spread over the width) with probability
    about (word + 1) / width, so the evidence is the log of that ratio: weak for long words.
    """
    if width is None:
        return 0.0
    first = line.text.split(" ", 1)[0]
    if len(prev.text) + 1 + len(first) <= width:
        return _FITTED
    return -min(_FITTED, math.log(width / (len(first) + 1)))


def _end_cost(last: Role | None, *, truncated: bool) -> float:
    if last is Role.TITLE and not truncated:
        return _NO_ABSTRACT
    return 0.0


class _Costs:
    """Every line's cost in every role, computed once for the Viterbi pass."""

    def __init__(self, lines: Sequence[Line], *, truncated: bool) -> None:
        self.lines = lines
        self.shapes = [shape_of(line.text) for line in lines]
        self.cut = len(lines) - 1 if truncated else None
        if self.cut is not None:
            self.shapes[self.cut] = judged_by_start(self.shapes[self.cut])
        # The global decision: does this page keep one paragraph per line? Then titles and
        # abstracts strictly alternate, and a second abstract line needs strong evidence.
        long_lines = sum(s.length > LONG_LINE for s in self.shapes)
        self.one_per_line = long_lines >= 0.25 * len(self.shapes)
        self.width = None if self.one_per_line else _wrap_width(lines)
        # Set by a first pass: the page starts every title and abstract after a blank line.
        self.blank_separated = False

    def line(self, role: Role, index: int) -> float:
        s, line = self.shapes[index], self.lines[index]
        # On a page that starts paragraphs after blank lines, a line without one goes on.
        unbroken = _UNBROKEN if self.blank_separated and not line.blank_before else 0.0
        if role is Role.TITLE:
            return _title_cost(s) + unbroken
        if role is Role.ABSTRACT:
            return _abstract_cost(s) + self._wrap_cost(role, index) + unbroken
        if role is Role.MORE:
            prev = self.shapes[index - 1]
            cost = _more_cost(
                s, prev, blank_before=line.blank_before, one_per_line=self.one_per_line
            )
            return cost + self._wrap_cost(role, index)
        return _furniture_cost(s, line)

    def _wrap(self, index: int) -> float:
        """``_wrap_evidence`` before line ``index`` (none for a cut-off line: its first word
        may be cut too)."""
        if index == self.cut:
            return 0.0
        return _wrap_evidence(self.lines[index - 1], self.lines[index], self.width)

    def _wrap_cost(self, role: Role, index: int) -> float:
        """What a narrow window's wrapping says of an abstract line (nothing if unwrapped)."""
        if self.width is None:
            return 0.0
        cost = 0.0
        text = self.lines[index].text
        if len(text) > self.width * (1 + _WIDTH_SLACK) and " " in text:
            cost += 4  # wider than the window: a title the window did not wrap
        if role is Role.MORE:
            evidence = self._wrap(index)  # ended: all of it; went on: half, the title the rest
            cost += evidence if evidence > 0 else evidence / 2
        return cost

    def step(self, prev: Role | None, role: Role, index: int) -> float:
        prev_shape = self.shapes[index - 1] if index else None
        cost = _step_cost(prev, role, prev_shape, self.lines[index])
        # After a full line, a wrapped abstract more likely went on than ended.
        after_abstract = role is Role.TITLE and prev in (Role.ABSTRACT, Role.MORE)
        if after_abstract:
            cost -= min(0.0, self._wrap(index)) / 2
        return cost


def assign_roles(lines: Sequence[Line], *, truncated: bool = False) -> list[Role]:
    """The cheapest role for every line under the page grammar (Viterbi over the lines).

    Two passes: the first finds out whether this page starts every title and abstract
    after a blank line; if it does, a second pass holds every line to that.

    ``truncated``: the text stops mid-line, so a final title without abstract is expected.
    """
    if not lines:
        return []
    costs = _Costs(lines, truncated=truncated)
    roles = _viterbi(costs, truncated=truncated)
    starts = [line for line, role in zip(lines, roles, strict=True) if role in _STARTS]
    after_blank = sum(line.blank_before for line in starts)
    if len(starts) >= _MIN_STARTS and after_blank >= _BLANK_HABIT * len(starts):
        costs.blank_separated = True
        roles = _viterbi(costs, truncated=truncated)
    return roles


def _viterbi(costs: _Costs, *, truncated: bool) -> list[Role]:
    best: dict[Role | None, float] = {None: 0.0}
    back: list[dict[Role, Role | None]] = []
    for index in range(len(costs.lines)):
        here: dict[Role | None, float] = {}
        came_from: dict[Role, Role | None] = {}
        for role in Role:
            options = [
                (best[prev] + costs.step(prev, role, index), prev)
                for prev in _FOLLOWS[role]
                if prev in best
            ]
            if not options:
                continue
            total, prev = min(options, key=lambda option: option[0])
            here[role] = total + costs.line(role, index)
            came_from[role] = prev
        best = here
        back.append(came_from)
    last = min(best, key=lambda role: best[role] + _end_cost(role, truncated=truncated))
    return _trace(back, last)


def _trace(back: list[dict[Role, Role | None]], last: Role | None) -> list[Role]:
    roles: list[Role] = []
    role = last
    for came_from in reversed(back):
        assert role is not None  # every line has a role; only the start has none
        roles.append(role)
        role = came_from[role]
    roles.reverse()
    return roles
