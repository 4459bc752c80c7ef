"""An interest's words as the ranking uses them: with acronyms spelled out or abbreviated for
matching, expanded for the embedding, and grouped by form for explanations."""

from __future__ import annotations

import re
from collections.abc import Mapping

from digest.ranking.acronyms import spell
from digest.ranking.text import tokenize

__all__ = ["SpelledOut", "display_words", "expanded_query", "spelled_out", "variants"]


def variants(text: str, acronyms: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The query as typed, with acronyms spelled out, and with long forms abbreviated."""
    found = [text]
    lowered = text.lower()
    for word in re.findall(r"[A-Za-z][A-Za-z0-9-]*", text):
        for long_form in acronyms.get(word.lower(), ())[:3]:
            found.append(re.sub(rf"\b{re.escape(word)}\b", long_form, text))
    for acronym, long_forms in acronyms.items():
        for long_form in long_forms:
            if len(long_form) > 8 and long_form in lowered:
                found.append(lowered.replace(long_form, acronym))
    return list(dict.fromkeys(found))


def expanded_query(text: str, acronyms: Mapping[str, tuple[str, ...]]) -> str:
    """For the embedding: acronyms followed by their spelled-out forms."""
    extra = [
        acronyms[w.lower()][0]
        for w in re.findall(r"[A-Za-z][A-Za-z0-9-]*", text)
        if w.lower() in acronyms
    ]
    return f"{text} ({'; '.join(extra)})" if extra else text


# A spelled-out form as its words, how it is written, and its acronym; by first word.
SpelledOut = Mapping[str, list[tuple[tuple[str, ...], str, str]]]


def spelled_out(acronyms: Mapping[str, tuple[str, ...]]) -> SpelledOut:
    """The acronym table turned around, longest first under each first word."""
    table: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
    for acronym, long_forms in acronyms.items():
        for long_form in long_forms:
            parts = tuple(re.findall(r"\w+", long_form.lower()))
            if len(parts) > 1:
                table.setdefault(parts[0], []).append((parts, long_form, acronym))
    for entries in table.values():
        entries.sort(key=lambda entry: -len(entry[0]))
    return table


def display_words(
    text: str,
    acronyms: Mapping[str, tuple[str, ...]],
    spelled: SpelledOut,
    spellings: Mapping[str, str],
) -> list[tuple[str, ...]]:
    """The query's words, each with the forms an explanation may show, the typed one first.
    An acronym also goes by its spelled-out form ("RLHF" or "reinforcement learning from
    human feedback") and a spelled-out form by its acronym ("mixture of experts" or "MoE"),
    so a paper is explained by the phrase it uses, not by loose words of the other."""
    words = re.findall(r"[\w-]+", text)
    # Hyphens split typed words as they split long forms ("mixture-of-experts").
    parts = [re.findall(r"\w+", word.lower()) for word in words]
    forms: list[tuple[str, ...]] = []
    position = 0
    while position < len(words):
        rest = [part for word in parts[position:] for part in word]
        phrase = next(
            (
                (written, acronym, len(words_of))
                for words_of, written, acronym in spelled.get(rest[0] if rest else "", ())
                if tuple(rest[: len(words_of)]) == words_of
            ),
            None,
        )
        if phrase is None:
            if tokenize(words[position]):
                forms.append((words[position], *acronyms.get(words[position].lower(), ())[:1]))
            position += 1
            continue
        written, acronym, length = phrase
        forms.append((written, spell(acronym, spellings)))
        while length > 0:  # past the typed words the phrase spans
            length -= len(parts[position])
            position += 1
    return list(dict.fromkeys(forms))
