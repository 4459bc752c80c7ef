"""What a line of a Daily Papers page text looks like: the evidence ``listing_roles``
weighs to tell titles from abstracts. Pure functions of one line's text."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

__all__ = [
    "LONG_LINE",
    "Shape",
    "can_be_title",
    "ends_paragraph",
    "judged_by_start",
    "shape_of",
    "title_cased",
]

_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
# Abstracts often end on a link with no period after it.
_LINK_END = re.compile(r"(?:https?://|www\.)\S*$|\.(?:com|org|io|ai|net|edu|html?)/?$", re.I)
# A line stopping on a comma or a lower-case function word stops mid-sentence: wrapped text,
# never a whole title (Title Case capitalises a final "For": "... Good For").
_MID_SENTENCE_END = re.compile(
    r"[,;:(\-–—]$|\b(?:and|or|but|nor|the|of|a|an|to|in|on|at|by|for|with|from|as|into|"
    r"than|that|which|whose|while|is|are|was|were|be|been|has|have|had|can|could|may|might|"
    r"will|would|should|its|their|our|this|these|such|both|via|we|it)$"
)
# Abbreviations whose full stop ends no sentence: "e.g. LLMs", "et al. In".
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|vs|cf|et al|viz|resp|approx|Fig|Eq|Sec)\.")
# A sentence boundary inside the line: "... tasks. We show ..."; titles almost never have one.
_INNER_SENTENCE = re.compile(r"[a-z0-9)\]%][.!?]\s+[A-Z]")
# ... but "When, Why and How Much? Adaptive ..." and "Compose Your Policies! Improving ...":
# a question or exclamation inside a title is common, a full stop is not.
_INNER_STATEMENT = re.compile(r"[a-z0-9)\]%]\.\s+[A-Z]")
# Longer words Title Case leaves in lower case; they say nothing either way.
_MINOR_WORDS = frozenset(
    (
        *("with", "from", "into", "onto", "over", "under", "upon", "than", "that", "this"),
        *("these", "those", "their", "through", "towards", "toward", "without", "within"),
        *("across", "between", "beyond", "about", "after", "before", "during", "versus"),
        *("when", "where", "which", "while"),
    )
)
_CONTINUING = frozenset(",;:)(")
_CAPITALISED = re.compile(r"^[A-Z][a-z]+\b(?![-.\d])")
_PROSE_START = re.compile(r"^(?:We|Our|In this|This (?:paper|work|article|study)|Here,? we)\b")
# A sentence that leans on the one before: it goes on an abstract, it never starts one.
_CONNECTIVE = re.compile(
    r"^(?:Furthermore|Moreover|However|Additionally|Specifically|Finally|Thus|Therefore|"
    r"Hence|Consequently|In addition|In particular|To this end|Notably|Importantly|Besides|"
    r"Then|Lastly|Second|Third|Experiments|Extensive experiments)\b"
)
# "BQ-NCO: Bisimulation ...", the common "Name: Subtitle" title (but not "Code: https://...").
_NAME_COLON = re.compile(r"^\S{2,40}:\s+(?!https?://|www\.)[A-Z0-9]")
# A README's heading, list item, quote, table row or link: not a title.
_MARKUP = re.compile(r"^(?:#|```|[-*+] |> |\d+[.)] )|\]\(|\|")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")

# A title is one line of at most ~250 characters; the unwrapped abstracts of real pages run
# to 1,000-2,000. A page where many lines are this long keeps one paragraph per line.
LONG_LINE = 300


@dataclass(frozen=True, slots=True)
class Shape:
    """What a line looks like, measured once."""

    length: int
    ends_sentence: bool
    ends_link: bool
    ends_mid_sentence: bool
    starts_lower: bool  # or with punctuation that continues a sentence: "(COCOA) for ..."
    starts_capitalised: bool  # an ordinary capitalised word ("Method"), not "GPT-4", "iMix"
    starts_prose: bool  # "We propose ...", "However, ...": how abstract sentences start
    starts_connective: bool  # "Furthermore, ...", "However, ...": never an abstract's first
    inner_sentences: int
    inner_statements: int
    capitalised: float  # share of the longer content words after the first in upper case
    words: int
    name_colon: bool
    markup: bool

    @property
    def titleish(self) -> bool:
        return self.capitalised >= 0.75 or self.name_colon

    @property
    def ends_open(self) -> bool:
        """The line stops where no paragraph would: a wrapped line continues after it."""
        return not self.ends_sentence and not self.ends_link


def ends_paragraph(text: str) -> bool:
    """Whether a line stops where an abstract may end: a sentence end or a link."""
    return bool(_SENTENCE_END.search(text) or _LINK_END.search(text))


def can_be_title(text: str) -> bool:
    """Whether a line could be a whole title: short, not stopping mid-sentence, no markup."""
    s = shape_of(text)
    return s.length <= 250 and not s.ends_mid_sentence and not s.markup


def title_cased(text: str) -> bool:
    """Whether a line is in Title Case or of the "Name: subtitle" form, as most titles are."""
    return shape_of(text).titleish


def shape_of(text: str) -> Shape:
    words = _WORD.findall(text)
    # Title Case shows in the longer content words; lacking enough, in all words after the
    # first ("Policy-Guided Diffusion"). Acronyms and names like "GPT-4", "LLMs", "iMix" are
    # written so in any text and say nothing.
    plain_words = [w for w in words[1:] if w[1:].islower() or w.islower()]
    counted = [w for w in plain_words if len(w) >= 4 and w.lower() not in _MINOR_WORDS]
    if len(counted) < 3:
        counted = plain_words
    capitalised = sum(w[0].isupper() for w in counted) / len(counted) if counted else 0.5
    # Sentence ends are judged with abbreviations' full stops taken out ("e.g" ends mid-way).
    plain = _ABBREVIATION.sub(lambda m: m.group(0)[:-1] + ",", text)
    return Shape(
        length=len(text),
        ends_sentence=bool(_SENTENCE_END.search(plain)),
        ends_link=bool(_LINK_END.search(text)),
        ends_mid_sentence=bool(_MID_SENTENCE_END.search(plain)),
        starts_lower=text[:1].islower() or text[:1] in _CONTINUING,
        starts_prose=bool(_PROSE_START.match(text) or _CONNECTIVE.match(text)),
        starts_connective=bool(_CONNECTIVE.match(text)),
        starts_capitalised=bool(_CAPITALISED.match(text)),
        inner_sentences=len(_INNER_SENTENCE.findall(plain)),
        inner_statements=len(_INNER_STATEMENT.findall(plain)),
        capitalised=capitalised,
        words=len(words),
        name_colon=bool(_NAME_COLON.match(text)),
        markup=bool(_MARKUP.search(text)),
    )


def judged_by_start(s: Shape) -> Shape:
    """The shape of a line cut off by the end of the text: short and unfinished only
    because of the cut, so its length, ending and casing say nothing; its start still does."""
    return dataclasses.replace(
        s,
        length=LONG_LINE // 4,
        ends_sentence=False,
        ends_link=False,
        ends_mid_sentence=False,
        inner_sentences=0,
        inner_statements=0,
        capitalised=0.5,
        words=3,
    )
